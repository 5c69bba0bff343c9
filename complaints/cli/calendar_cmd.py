"""`complaints calendar is-workday | add-workdays | horizon` (per unit: its layers and overrides)."""

from __future__ import annotations

from datetime import date

import typer

from complaints.cli.common import domain_errors, fail, state
from complaints.clock import utcnow
from complaints.services import calendar as calendar_service
from workflows.calendar import CalendarUnknown, WorkCalendar

app = typer.Typer(help="工作日历（含调休、自治区节日与人工调整）", no_args_is_help=True)

KIND_LABELS = {
    "workday": "工作日",
    "holiday": "法定节假日",
    "weekend": "周末",
    "makeup_workday": "调休上班",
    "regional_holiday": "自治区节日",
    "regional_workday": "自治区调休上班",
    "override_workday": "人工设为工作日",
    "override_dayoff": "人工设为休息日",
}
UNIT = typer.Option(None, "--unit", help="单位代码（默认州教育局）：按该单位适用的日历层计算")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{text}", code=2)


def _calendar(unit: str | None) -> WorkCalendar:
    if unit and unit not in state.settings.unit_map:
        fail(f"未知单位：{unit}", code=2)
    return state.runtime.clock_for(unit).calendar


def _estimated_note(calendar: WorkCalendar, *days: date) -> str:
    """Why an answer is only an estimate: which layers have not declared which year."""
    missing = {day.year: calendar.undeclared(day.year) for day in days if not calendar.is_known(day)}
    if not missing:
        return ""
    parts = "；".join(f"{year} 年未公布：{'、'.join(layers)}" for year, layers in sorted(missing.items()))
    return f"（估算，暂定 — {parts}）"


@app.command("is-workday")
def is_workday(day: str, unit: str | None = UNIT) -> None:
    """某日是否工作日（退出码 0 是，1 否，2 无法估算）。"""
    calendar, when = _calendar(unit), _date(day)
    view = calendar if calendar.is_known(when) else calendar.estimating()
    try:
        working, kind = view.is_workday(when), view.day_kind(when)
    except CalendarUnknown as exc:
        fail(str(exc), code=2)
    name = view.day_name(when)
    label = KIND_LABELS.get(kind, kind) + (f"：{name}" if name else "")
    typer.echo(f"{day} {'是' if working else '不是'}工作日（{label}）{_estimated_note(calendar, when)}")
    raise typer.Exit(0 if working else 1)


@app.command("add-workdays")
def add_workdays(day: str, n: int = typer.Argument(..., min=0, max=3650), unit: str | None = UNIT) -> None:
    """某日之后第 N 个工作日（起算日不计入）；落在未公布年份时为估算并注明。"""
    calendar, when = _calendar(unit), _date(day)
    try:
        typer.echo(calendar.add_workdays(when, n).isoformat())
        return
    except CalendarUnknown:
        pass
    try:
        found = calendar.estimating().add_workdays(when, n)
    except CalendarUnknown as exc:
        fail(str(exc), code=2)
    typer.echo(f"{found.isoformat()}{_estimated_note(calendar, when, found)}")


@app.command("horizon")
def horizon() -> None:
    """每个日历层已公布到哪一年，每个单位的日历已知到哪一天。"""
    settings, runtime = state.settings, state.runtime
    today = date.today()
    data = runtime.calendar_data()
    national = WorkCalendar(data.for_unit("", [])).national_last
    typer.echo(f"全国（国务院办公厅通知）：已公布至 {national} 年")
    for layer in data.layers:
        units = [u.name for u in settings.units if layer.name in settings.calendar.layers_for(u.code)]
        if not units:
            continue
        declared = sorted(y for y in layer.years if y >= layer.since)
        missing = [y for y in range(layer.since or today.year, max(declared + [today.year]) + 2) if y not in declared]
        typer.echo(
            f"{layer.label}（{layer.name}，适用：{'、'.join(units)}）：已公布 "
            f"{'、'.join(map(str, declared)) or '—'}；未公布 {'、'.join(map(str, missing)) or '—'}"
        )
        for year in declared[-2:]:
            source = layer.years[year].source
            typer.echo(f"  {year}：{source or '来源未记录'}")
    for unit in settings.units:
        end = runtime.clock_for(unit.code).calendar.horizon()
        left = (end - today).days
        typer.echo(f"{unit.name}：工作日历已知至 {end.isoformat()}（还剩 {left} 天）")
    first_end = (
        min(runtime.clock_for(u.code).calendar.horizon() for u in settings.units)
        if settings.units
        else runtime.clock.calendar.horizon()
    )
    if (first_end - today).days < settings.calendar.horizon_warning_days:
        typer.secho(
            f"提醒：请在 {first_end.isoformat()} 之前录入 {first_end.year + 1} 年的放假与调休安排"
            "（国务院办公厅通知及自治区通知），否则其后的期限均为估算（暂定）",
            err=True,
            fg=typer.colors.YELLOW,
        )


@app.command("declare")
def declare(
    path: str = typer.Argument(..., help="全年安排文件：逐行、CSV 或 TOML"),
    layer: str = typer.Option("national", help="日历层：national 或区域层名（如 xinjiang）"),
    year: int = typer.Option(..., help="年份"),
    title: str = typer.Option("", help="通知标题"),
    number: str = typer.Option("", help="文号"),
    published: str = typer.Option("", help="发布日期 YYYY-MM-DD"),
    fmt: str = typer.Option("", "--format", help="lines | csv | toml（默认按扩展名）"),
    confirm: bool = typer.Option(False, "--confirm", help="确认录入（不加则只预览）"),
) -> None:
    """录入或更正一年的全年安排：先预览哪些在办件的期限会变，加 --confirm 才生效（管理员）。"""
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        fail(f"找不到文件：{path}", code=2)
    text = file.read_text(encoding="utf-8-sig")
    fmt = fmt or {".csv": "csv", ".toml": "toml"}.get(file.suffix.lower(), "lines")
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        declaration = calendar_service.parse(
            runtime=state.runtime,
            layer=layer,
            year=year,
            text=text,
            fmt=fmt,
            title=title,
            number=number,
            published=_date(published) if published else None,
        )
        calendar_service.check(runtime=state.runtime, declaration=declaration)
        if confirm:
            row = calendar_service.confirm(
                session=session, runtime=state.runtime, actor=actor, declaration=declaration, now=utcnow()
            )
            typer.echo(f"{layer} {year} 年全年安排第 {row.version} 版已确认；期限已按新日历重算")
            return
        _show_moves(
            calendar_service.preview(
                session=session, runtime=state.runtime, layer=layer, year=year, declaration=declaration
            )
        )
        typer.echo("预览完毕，未保存：加 --confirm 确认录入")


@app.command("withdraw")
def withdraw(
    layer: str = typer.Option(...),
    year: int = typer.Option(...),
    reason: str = typer.Option(..., help="撤回原因"),
    confirm: bool = typer.Option(False, "--confirm", help="确认撤回（不加则只预览）"),
) -> None:
    """撤回已确认的一年：该年内的期限重新按估算（暂定）（管理员）。"""

    with state.session() as session, domain_errors():
        actor = state.actor(session)
        if confirm:
            calendar_service.withdraw(
                session=session, runtime=state.runtime, actor=actor, layer=layer, year=year, reason=reason, now=utcnow()
            )
            typer.echo(f"{layer} {year} 年全年安排已撤回")
            return
        _show_moves(
            calendar_service.preview(session=session, runtime=state.runtime, layer=layer, year=year, declaration=None)
        )
        typer.echo("预览完毕，未保存：加 --confirm 确认撤回")


def _show_moves(moves) -> None:
    typer.echo(f"将调整期限的在办诉求：{len(moves)} 件")
    for move in moves:
        for name, (old, new) in move.changes.items():
            typer.echo(f"  {move.item.tracking_no} {name}: {old} → {new}")
        if not move.changes:
            typer.echo(f"  {move.item.tracking_no}: 暂定 {move.provisional[0]} → {move.provisional[1]}")
