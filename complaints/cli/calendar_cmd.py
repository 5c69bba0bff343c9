"""`complaints calendar is-workday | add-workdays | horizon`."""

from __future__ import annotations

from datetime import date

import typer

from complaints.cli.common import fail, state
from workflows.calendar import CalendarUnknown

app = typer.Typer(help="工作日历（含调休、自治区节日与人工调整）", no_args_is_help=True)

KIND_LABELS = {"workday": "工作日", "holiday": "法定节假日", "weekend": "周末", "makeup_workday": "调休上班",
               "regional_holiday": "自治区节日", "override_workday": "人工设为工作日",
               "override_dayoff": "人工设为休息日"}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{text}", code=2)


@app.command("is-workday")
def is_workday(day: str) -> None:
    """某日是否工作日（退出码 0 是，1 否）。"""
    calendar = state.runtime.clock.calendar
    try:
        working = calendar.is_workday(_date(day))
        kind = calendar.day_kind(_date(day))
    except CalendarUnknown as exc:
        fail(str(exc), code=2)
    typer.echo(f"{day} {'是' if working else '不是'}工作日（{KIND_LABELS.get(kind, kind)}）")
    raise typer.Exit(0 if working else 1)


@app.command("add-workdays")
def add_workdays(day: str, n: int = typer.Argument(..., min=0, max=3650)) -> None:
    """某日之后第 N 个工作日（起算日不计入）。"""
    try:
        typer.echo(state.runtime.clock.calendar.add_workdays(_date(day), n).isoformat())
    except CalendarUnknown as exc:
        fail(str(exc), code=2)


@app.command("horizon")
def horizon() -> None:
    """工作日历已知到哪一天。"""
    calendar = state.runtime.clock.calendar
    end = calendar.horizon()
    left = (end - date.today()).days
    typer.echo(f"工作日历已知至 {end.isoformat()}（还剩 {left} 天）")
    if left < state.settings.calendar.horizon_warning_days:
        typer.secho(f"提醒：请在此之前载入 {end.year + 1} 年的放假与调休安排", err=True, fg=typer.colors.YELLOW)
