"""`complaints replies check | list`: the standard replies (统一答复口径)."""

from __future__ import annotations

import typer
from sqlmodel import col, select

from complaints.cli.common import echo_table, state
from complaints.models import ReplyTemplate
from complaints.replies import check_all, check_source

app = typer.Typer(help="统一答复口径", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="replies")


@app.command("check")
def check() -> None:
    """检查所有模板文件（以及数据库中待审核、已批准的版本），列出有问题的模板。"""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    problems = {name: found for name, found in check_all().items() if found}
    try:
        with state.session() as session:
            for version in session.exec(select(ReplyTemplate).where(ReplyTemplate.status != "retired")):
                found = check_source(version.source, locale=version.locale)
                if found:
                    problems[f"db:{version.category}/{version.locale} v{version.version}"] = found
    except (OperationalError, ProgrammingError):
        typer.echo("（数据库尚未初始化：只检查了模板文件）", err=True)
    for name, found in problems.items():
        typer.echo(name)
        for problem in found:
            typer.echo(f"  - {problem}")
    if problems:
        raise typer.Exit(1)
    typer.echo(f"全部模板检查通过（{len(check_all())} 个文件）")


@app.command("list")
def list_versions() -> None:
    """列出数据库中的模板版本。"""
    with state.session() as session:
        rows = [
            [str(v.id), v.category, v.locale, str(v.version), v.status]
            for v in session.exec(
                select(ReplyTemplate).order_by(col(ReplyTemplate.category), col(ReplyTemplate.version))
            )
        ]
    echo_table(rows, ["id", "类别", "语言", "版本", "状态"])
