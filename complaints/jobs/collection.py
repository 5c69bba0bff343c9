"""每天收集: on working days, import every export dropped into the collection folder. A good file goes to
processed/ once its rows are committed; a bad one to rejected/ with a report; nothing half-imported."""

from __future__ import annotations

import fnmatch
import shutil
import time
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from complaints.clock import to_local
from complaints.i18n import gettext
from complaints.importing.importer import ImportResult, import_file
from complaints.importing.report import write_report
from complaints.jobs.registry import daily_at, job
from complaints.jobs.runner import after_commit
from complaints.jobs.system import system_user
from complaints.runtime import Runtime
from complaints.settings import Settings

FORMATS = {".csv", ".xlsx"}


def source_for(filename: str, settings: Settings) -> str | None:
    """The first source whose file-name patterns match."""
    for source in settings.sources:
        if any(fnmatch.fnmatch(filename.lower(), pattern.lower()) for pattern in source.patterns):
            return source.name
    return None


def waiting_files(settings: Settings) -> list[Path]:
    """Files in the drop folder that are complete (not changed for settle_seconds), oldest first."""
    drop = settings.collection_path()
    if not drop.is_dir():
        return []
    settled = time.time() - settings.collection.settle_seconds
    found = [
        p
        for p in drop.iterdir()
        if p.is_file()
        and not p.name.startswith((".", "~$"))
        and not p.name.endswith(".report.txt")
        and p.stat().st_mtime <= settled
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def move(path: Path, folder: Path) -> Path:
    """Move without overwriting: a second file of the same name gets a numbered name."""
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        target, n = folder / f"{path.stem}.{n}{path.suffix}", n + 1
    shutil.move(str(path), target)
    return target


@job(
    "daily_collection",
    trigger=daily_at(lambda s: s.collection.time),
    description="每天收集：导入收集目录中的 12345、信访系统、网上留言导出文件",
)
def daily_collection(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    settings = runtime.settings
    if not runtime.clock.calendar.is_workday(to_local(now, settings.app.timezone).date()):
        return {"skipped_non_workday": 1}
    counts = {"files": 0, "imported": 0, "rejected": 0, "already_imported": 0, "created": 0}
    actor = system_user(session=session, settings=settings)
    for path in waiting_files(settings):
        counts["files"] += 1
        result = collect_file(session=session, runtime=runtime, actor=actor, path=path, now=now)
        if result.ok:
            counts["imported"] += 1
            counts["created"] += result.created
        else:
            counts["already_imported" if result.already_imported else "rejected"] += 1
    return counts


def collect_file(*, session: Session, runtime: Runtime, actor, path: Path, now: datetime) -> ImportResult:
    """Import one dropped file and decide where it goes."""
    settings = runtime.settings
    processed = settings.collection_path(settings.collection.processed_folder)
    rejected = settings.collection_path(settings.collection.rejected_folder)
    source = source_for(path.name, settings)
    if path.suffix.lower() not in FORMATS or source is None:
        result = ImportResult(filename=path.name, source=source or "—")
        result.problem = (
            gettext("不支持的文件格式 {suffix}（请另存为 .xlsx 或 .csv）", suffix=path.suffix or "—")
            if path.suffix.lower() not in FORMATS
            else gettext(
                "无法按文件名判断来源（已配置：{patterns}）",
                patterns="、".join(f"{s.label} {'/'.join(s.patterns)}" for s in settings.sources),
            )
        )
    else:
        result = import_file(session=session, runtime=runtime, actor=actor, path=path, source_name=source, now=now)
    if result.ok:
        after_commit(session, lambda: _processed(result, path, processed))  # only once the rows are really there
    elif result.already_imported:
        move(path, processed)  # imported before (perhaps the move was interrupted): nothing to do
    else:
        write_report(result, move(path, rejected))
    return result


def _processed(result: ImportResult, path: Path, processed: Path) -> None:
    """Move an imported file to processed/, with a report beside it when cells were cleaned."""
    target = move(path, processed)
    if result.note_count:
        write_report(result, target)
