"""Importing one export file whole or not at all: every row is checked; only a clean file is registered,
in one transaction, with what the operators' register() stores.

One pass over the file: each row is read, checked and parsed once, and the good rows are written in
batches inside a savepoint, holding the imports' write turn. The first bad row stops the writing (the rest
are only checked, for the report) and the savepoint is rolled back, so a failed file leaves nothing
behind, exactly as if every row had been checked before the first was written."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, col, select

from complaints.db import take_write_turn
from complaints.errors import DomainError, InvalidInput
from complaints.i18n import gettext
from complaints.importing.common import ReadLimits, strip_controls
from complaints.importing.mapping import ColumnMap, RowError, map_row
from complaints.importing.readers import Export, FileProblem, find_header, scan
from complaints.models import Complaint, ImportedFile, User
from complaints.presenters import local_text
from complaints.runtime import Runtime
from complaints.services import registration
from complaints.services.registration import ComplaintIn, register_many

Progress = Callable[[str, int, int | None], None]  # (phase: "check" | "import", rows done, rows in all)
FLUSH_EVERY = 1000
log = logging.getLogger("complaints.importing")


@dataclass
class BadRow:
    number: int
    field: str | None
    message: str


@dataclass
class ImportResult:
    filename: str
    source: str
    sha256: str = ""
    rows: int = 0
    created: int = 0
    existing: int = 0  # rows whose external reference was imported before
    problem: str | None = None
    bad_rows: list[BadRow] = field(default_factory=list)
    bad_row_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    already_imported: bool = False
    notes: list[BadRow] = field(default_factory=list)  # cells cleaned on the way in (control characters)
    note_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.bad_row_count


def import_file(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    path: Path,
    source_name: str,
    now: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row and register them all (flushing, never committing); a failed file writes nothing.
    Whatever the file holds, the answer is a result naming the problem: only the database failing raises."""
    settings = runtime.settings
    result = ImportResult(filename=path.name, source=source_name)
    try:
        if settings.source_map.get(source_name) is None:
            raise FileProblem(
                gettext("未知来源：{name}；可选：{valid}", name=source_name[:32], valid="、".join(settings.source_map))
            )
        facts = scan(path, max_bytes=settings.collection.max_file_mb * 2**20)
        result.sha256 = facts.sha256
        with Export(path, facts, ReadLimits.from_settings(settings.collection)) as export:
            _import(session, runtime, actor, export, result, now, progress)
    except FileProblem as exc:
        result.created = 0
        result.problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - one file never stops the others; its rows were rolled back
        if not_the_files_fault(exc):
            raise
        log.exception("importing %s failed", path.name)
        result.created = 0
        detail = f"{type(exc).__name__}: {exc}"[:200]
        result.problem = gettext("导入时出现意外错误，已全部撤销：{error}", error=detail)
    return result


class _Refused(Exception):
    """The file has bad rows: what was written of it is rolled back."""


def not_the_files_fault(exc: Exception) -> bool:
    """The database unreachable, locked or gone: the file is left where it is for the next attempt."""
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def _refuse_if_imported(session: Session, settings, result: ImportResult) -> None:
    earlier = session.exec(select(ImportedFile).where(ImportedFile.sha256 == result.sha256)).first()
    if earlier is not None:
        result.already_imported = True
        raise FileProblem(
            gettext(
                "该文件已于 {date} 导入（{name}），未重复导入",
                date=local_text(earlier.imported_at, settings.app.timezone),
                name=earlier.filename,
            )
        )


def _mapped(export: Export, runtime: Runtime, result: ImportResult, notes: list[BadRow] | None = None):
    """(row number, ComplaintIn fields or RowError) for each data row; control characters are removed from
    every cell first, and each cell cleaned is noted in `notes`."""
    source = runtime.settings.source_map[result.source]
    stream = export.rows()
    known = {name for names in source.columns.values() for name in names}
    _, header = find_header(stream, known, source.header_row)
    columns = ColumnMap.from_header(header, source)
    result.ignored_columns = columns.ignored
    for number, cells in stream:
        cleaned = strip_controls(cells)
        if notes is not None:
            notes.extend(
                BadRow(number, header[i] if i < len(header) else None, gettext("已删除控制字符 {char}", char=char))
                for i, char in cleaned
            )
        try:
            yield number, map_row(cells, columns, source, runtime.settings)
        except RowError as exc:
            yield number, exc


def _import(
    session: Session,
    runtime: Runtime,
    actor: User,
    export: Export,
    result: ImportResult,
    now: datetime,
    progress: Progress | None,
) -> None:
    """Check and register the rows in a savepoint, holding the imports' write turn, so that a second
    import of overlapping rows at the same moment waits and then finds them already there."""
    take_write_turn(session, key="import")  # one for all sources: a file's SHA-256 is unique across them
    try:
        with session.begin_nested():  # on PostgreSQL a failed file must not spoil the files around it
            _refuse_if_imported(session, runtime.settings, result)
            _rows(session, runtime, actor, export, result, now, progress)
            if not result.ok:
                raise _Refused
            result.existing = result.rows - result.created
            session.add(
                ImportedFile(
                    source=result.source,
                    filename=export.path.name[:255],
                    sha256=result.sha256,
                    rows=result.rows,
                    created=result.created,
                    imported_at=now,
                )
            )
            session.flush()
    except _Refused:
        result.created = 0
    except DomainError as exc:
        result.created = 0
        result.problem = gettext("导入失败，已全部撤销：{error}", error=exc.message)


def _rows(
    session: Session,
    runtime: Runtime,
    actor: User,
    export: Export,
    result: ImportResult,
    now: datetime,
    progress: Progress | None,
) -> None:
    """Every row checked once; the good ones registered in batches until the first bad one."""
    limits = runtime.settings.collection
    seen: dict[str, int] = {}
    notes: list[BadRow] = []
    batch: list[tuple[dict, ComplaintIn]] = []
    for number, data in _mapped(export, runtime, result, notes):
        result.rows += 1  # never beyond max_rows: the reader counts every row, blank ones too
        parsed, problem = (None, data) if isinstance(data, RowError) else _parsed(data, runtime, now)
        if problem is None and data["external_ref"] in seen:
            problem = RowError(
                "external_ref",
                gettext("编号 {ref} 与第 {row} 行重复", ref=data["external_ref"], row=seen[data["external_ref"]]),
            )
        if problem is not None:
            _bad(result, number, problem, limits.max_errors_reported, runtime)
            batch.clear()  # nothing more is written: the file will be refused
        elif parsed is None:  # _parsed gives the row or its problem
            raise RuntimeError(f"row {number} neither parsed nor refused")
        else:
            seen[data["external_ref"]] = number
            if not result.bad_row_count:
                batch.append((data, parsed))
                if len(batch) == FLUSH_EVERY:
                    _register_batch(session, runtime, actor, batch, result, now)
        if progress and result.rows % 500 == 0:
            progress("check" if result.bad_row_count else "import", result.rows, None)
        result.note_count += len(notes)
        result.notes.extend(notes[: max(limits.max_errors_reported - len(result.notes), 0)])
        notes.clear()
    if result.rows == 0:
        raise FileProblem(gettext("文件中没有数据行"))
    if result.bad_row_count:
        result.existing = _count_existing(session, result.source, list(seen))
        return
    _register_batch(session, runtime, actor, batch, result, now)
    if progress:
        progress("import", result.rows, result.rows)


def _parsed(data: dict, runtime: Runtime, now: datetime) -> tuple[ComplaintIn | None, RowError | None]:
    """The row validated as registration takes it, or what registration would refuse."""
    try:
        parsed = registration.parse_input(data)
        registration.check(parsed, runtime, now)
    except InvalidInput as exc:
        return None, RowError(exc.field, exc.message)
    return parsed, None


def _row_problem(data: dict, runtime: Runtime, now: datetime) -> RowError | None:
    """What register() would refuse, found before anything is written."""
    return _parsed(data, runtime, now)[1]


def _bad(result: ImportResult, number: int, problem: RowError, limit: int, runtime: Runtime) -> None:
    """Count the row; keep the first `limit` for the report, naming the column as the export does."""
    result.bad_row_count += 1
    if len(result.bad_rows) < limit:
        columns = runtime.settings.source_map[result.source].columns
        column = columns[problem.field][0] if problem.field in columns else problem.field
        result.bad_rows.append(BadRow(number, column, problem.message))


def _count_existing(session: Session, source: str, refs: list[str]) -> int:
    found = 0
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        found += len(
            session.exec(
                select(col(Complaint.id)).where(col(Complaint.source) == source, col(Complaint.external_ref).in_(chunk))
            ).all()
        )
    return found


def _register_batch(
    session: Session,
    runtime: Runtime,
    actor: User,
    batch: list[tuple[dict, ComplaintIn]],
    result: ImportResult,
    now: datetime,
) -> None:
    """Register the rows whose external reference is new; the batch is emptied (nothing is kept in memory
    between batches)."""
    if not batch:
        return
    refs = [data["external_ref"] for data, _ in batch]
    known = set(
        session.exec(
            select(col(Complaint.external_ref)).where(
                col(Complaint.source) == result.source, col(Complaint.external_ref).in_(refs)
            )
        ).all()
    )
    fresh = [(data, parsed) for data, parsed in batch if data["external_ref"] not in known]
    result.created += register_many(
        session=session,
        runtime=runtime,
        actor=actor,
        rows=[data for data, _ in fresh],
        parsed=[parsed for _, parsed in fresh],
        now=now,
    )
    batch.clear()
