"""`complaints stats rebuild`: count every item again into the counts the dashboard reads."""

from __future__ import annotations

import time

import typer

from complaints.cli.common import state
from complaints.db import build_counts

app = typer.Typer(help="统计：仪表板、考核与督办看板所用的计数", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="stats")


@app.command("rebuild")
def rebuild() -> None:
    """按全部诉求重新计数（更改时区后或绕过程序写入数据后运行）。"""
    settings = state.settings
    started = time.perf_counter()
    counted = build_counts(settings.database.url, timezone=settings.app.timezone, again=True)
    typer.echo(f"已重新计数 {counted} 件诉求，用时 {time.perf_counter() - started:.1f} 秒")
