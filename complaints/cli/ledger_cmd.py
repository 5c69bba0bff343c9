"""`complaints ledger export`: 附件1–3 as the workbook (or CSV) a county sends up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from complaints.cli.common import domain_errors, fail, state
from complaints.services import ledger

app = typer.Typer(help="台账：附件1 对照检查表、附件2 问题线索台账、附件3 查处登记表", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ledger")


@app.command("export")
def export(
    annex: int = typer.Option(..., "--annex", min=1, max=3, help="附件编号 1、2 或 3"),
    unit: str = typer.Option(..., help="单位代码，如 ATS"),
    start: str = typer.Option(..., "--from", help="起始日期 YYYY-MM-DD"),
    end: str = typer.Option(..., "--to", help="截止日期 YYYY-MM-DD（含）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件 .xlsx 或 .csv"),
    with_identity: bool = typer.Option(False, "--with-identity", help="包含诉求人身份（仅督办人，操作将被记录）"),
    include_answered: bool = typer.Option(False, "--include-answered", help="附件2 也列出登记时即时答复的咨询"),
) -> None:
    """导出台账。默认去标识化（不含诉求人姓名、电话）。"""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        fail("输出文件须以 .xlsx 或 .csv 结尾")
    try:
        period = ledger.Period(unit_code=unit, start=date.fromisoformat(start), end=date.fromisoformat(end))
    except ValueError:
        fail("日期格式应为 YYYY-MM-DD")
    partial = output.with_name(output.name + ".part")
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        total = (
            ledger.annex2_count(
                session=session, period=period, runtime=state.runtime, include_answered=include_answered
            )
            if annex == 2
            else 26
            if annex == 1
            else 0
        )
        with typer.progressbar(length=max(total, 1), label="导出中", file=None) as bar, partial.open("wb") as stream:
            done = [0]

            def advance(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            try:
                rows = ledger.export(
                    session=session,
                    runtime=state.runtime,
                    actor=actor,
                    annex=annex,
                    period=period,
                    fmt=fmt,
                    stream=stream,
                    with_identity=with_identity,
                    progress=advance,
                    include_answered=include_answered,
                )
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
    partial.replace(output)  # the file appears whole or not at all
    typer.echo(f"已导出附件{annex}：{rows} 行 → {output}")
