"""What the readers share: the file-level problem, a formula cell, the reading limits, control characters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from complaints.settings import CollectionSettings

# C0 controls other than tab, LF and CR; DEL; C1 controls; the two non-characters. A NUL in 工单编号 would
# be stored by SQLite and refused by PostgreSQL; none of them belongs in an item.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


class FileProblem(Exception):
    """The file as a whole cannot be imported (too big, empty, unreadable, no header, over a limit)."""


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: refused, never evaluated."""

    text: str


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file is read before it is refused (rows and cells count blank ones too)."""

    max_rows: int
    max_cells: int
    max_seconds: int
    max_memory_mb: int
    max_uncompressed_mb: int
    max_ratio: int

    @classmethod
    def from_settings(cls, collection: CollectionSettings) -> ReadLimits:
        return cls(
            max_rows=collection.max_rows,
            max_cells=collection.max_cells,
            max_seconds=collection.max_parse_seconds,
            max_memory_mb=collection.max_parse_memory_mb,
            max_uncompressed_mb=collection.max_uncompressed_mb,
            max_ratio=collection.max_compression_ratio,
        )


def strip_controls(cells: list[object]) -> list[tuple[int, str]]:
    """Remove control characters from the text cells in place: (index, first character removed as U+XXXX)
    for each cell changed."""
    texts = [cell for cell in cells if isinstance(cell, str)]
    if not CONTROL.search("".join(texts)):  # the usual row: one look instead of one per cell
        return []
    changed = []
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and (found := CONTROL.search(cell)):
            cells[index] = CONTROL.sub("", cell)
            changed.append((index, f"U+{ord(found.group()):04X}"))
    return changed
