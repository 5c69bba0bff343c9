"""`complaints import FILE --source NAME`: one export by hand, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError

from complaints.cli.common import domain_errors, fail, state
from complaints.clock import utcnow
from complaints.i18n import gettext
from complaints.importing.importer import import_file
from complaints.importing.report import report_text, summary_text


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)


def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="导出文件（.csv 或 .xlsx）"),
    source: str = typer.Option(..., "--source", help="来源：hotline12345、xinfang、message_board 等"),
) -> None:
    """导入一个平台导出文件：先逐行检查，全部无误才导入（同一文件或同一编号不会重复导入）。"""

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} 行"), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress, state.session() as session, domain_errors():
        tasks = {
            "check": progress.add_task(gettext("检查"), total=None),
            "import": progress.add_task(gettext("导入"), total=None, visible=False),
        }

        def advance(phase: str, done: int, total: int | None) -> None:
            if phase == "import":
                progress.update(tasks["check"], visible=False)
                progress.update(tasks["import"], visible=True, total=total)
            progress.update(tasks[phase], completed=done)

        try:
            result = import_file(
                session=session,
                runtime=state.runtime,
                actor=state.actor(session),
                path=file,
                source_name=source,
                now=utcnow(),
                progress=advance,
            )
        except DBAPIError as exc:  # nothing was written; the file can be imported again later
            fail(gettext("数据库暂时不可用或正忙，文件未导入，请稍后重试：{error}", error=str(exc.orig)[:200]))
    if not result.ok:
        typer.echo(report_text(result), err=True)
        fail(gettext("未导入"))
    typer.echo(summary_text(result))
