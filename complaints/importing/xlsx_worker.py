"""Reading an XLSX export in a child process of its own, so that a hostile workbook (a zip bomb, 20 million
shared strings, one row of a million cells, damaged XML) costs at most that process's memory and time.

`python -m complaints.importing.xlsx_worker SOURCE TARGET LIMITS` writes each non-blank row of the first
sheet to TARGET as one JSON line `[row number, [cells]]` and prints one JSON line saying how it went:
`{"ok": true}` or `{"problem": "...", ...}`. The parent (readers.py) turns the problem into a message.
Only the standard library and openpyxl are imported here: nothing of the application.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path


class Exceeded(Exception):
    """A limit was reached: `what` is "rows", "cells" or "seconds"."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(what)
        self.what, self.limit = what, limit


def encode(cell) -> object:
    """A cell as JSON: text, numbers, booleans and None as they are, the rest tagged."""
    value = cell.value
    if cell.data_type == "f":
        return {"f": str(value)}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, day_time):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    return value


def convert(source: Path, target: Path, *, max_rows: int, max_cells: int, max_seconds: float) -> None:
    """Every row of the first sheet, counted with its blank rows and cells against the limits."""
    from openpyxl import load_workbook

    deadline = time.monotonic() + max_seconds
    workbook = load_workbook(source, read_only=True, data_only=False, keep_links=False)
    rows = cells = 0
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a declared A1:XFD1048576 would otherwise pad every row to 16,384 cells
        with target.open("w", encoding="utf-8") as out:
            for number, row in enumerate(sheet.iter_rows(), 1):
                rows, cells = rows + 1, cells + len(row)
                if rows > max_rows:
                    raise Exceeded("rows", max_rows)
                if cells > max_cells:
                    raise Exceeded("cells", max_cells)
                if time.monotonic() > deadline:
                    raise Exceeded("seconds", int(max_seconds))
                values = [encode(c) for c in row]
                if any(v not in (None, "") for v in values):
                    out.write(json.dumps([number, values], ensure_ascii=False) + "\n")
    finally:
        workbook.close()


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str]) -> int:
    source, target, limits = Path(argv[1]), Path(argv[2]), json.loads(argv[3])
    _limit_memory(limits["memory_mb"])
    try:
        convert(source, target, max_rows=limits["rows"], max_cells=limits["cells"], max_seconds=limits["seconds"])
    except Exceeded as exc:
        outcome = {"problem": exc.what, "limit": exc.limit}
    except MemoryError:
        outcome = {"problem": "memory", "limit": limits["memory_mb"]}
    except Exception as exc:  # noqa: BLE001 - openpyxl and the XML parser raise many kinds for a damaged file
        if "out of memory" in str(exc).lower():  # expat's own allocation failing under the limit
            outcome = {"problem": "memory", "limit": limits["memory_mb"]}
        else:
            outcome = {"problem": "damaged", "detail": f"{type(exc).__name__}: {exc}"[:200]}
    else:
        outcome = {"ok": True}
    print(json.dumps(outcome, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
