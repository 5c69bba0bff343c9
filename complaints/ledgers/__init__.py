"""附件1–3 ledgers: the forms as data (``forms``) and pure xlsx/CSV writers (``writer``)."""

from .forms import (
    ANNEX1_CLOSED_HEADING,
    ANNEX1_COUNTS_SHEET,
    ANNEX1_GROUPS,
    ANNEX1_RECEIVED_HEADING,
    ANNEX1_ROWS,
    FORMS,
    HEADER_TEMPLATE,
    ChecklistItem,
    Column,
    Form,
    get_form,
    header_line,
)
from .writer import (
    Annex1Counts,
    Annex1Row,
    Annex2Row,
    Annex3Row,
    HeaderInfo,
    checklist_counts,
    checklist_rows,
    clean_text,
    csv_safe,
    write_csv,
    write_xlsx,
)

__all__ = [
    "ANNEX1_CLOSED_HEADING", "ANNEX1_COUNTS_SHEET", "ANNEX1_GROUPS", "ANNEX1_RECEIVED_HEADING", "ANNEX1_ROWS",
    "FORMS", "HEADER_TEMPLATE", "Annex1Counts", "Annex1Row", "Annex2Row", "Annex3Row", "ChecklistItem", "Column",
    "Form", "HeaderInfo", "checklist_counts", "checklist_rows", "clean_text", "csv_safe", "get_form", "header_line",
    "write_csv", "write_xlsx",
]
