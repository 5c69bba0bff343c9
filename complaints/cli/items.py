"""`complaints register | assign | act | show | list`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import typer

from complaints.cli.common import domain_errors, echo_table, fail, state
from complaints.clock import utcnow
from complaints.models import User
from complaints.presenters import (
    DUE_STATE_LABELS,
    action_label,
    channel_label,
    due_state,
    due_text,
    kind_label,
    local_text,
    status_label,
)
from complaints.services import identity, itemview, queries, registration
from complaints.services.people import names_of
from complaints.services.transitions import act as fire_action
from workflows.vocab import Status


def register(app: typer.Typer) -> None:
    app.command("register")(register_item)
    app.command("assign")(assign)
    app.command("act")(act)
    app.command("show")(show)
    app.command("list")(list_items)


def register_item(
    summary: str = typer.Option(..., help="问题线索摘要"),
    unit: str = typer.Option(..., help="承办单位代码"),
    channel: str = typer.Option("call", help="渠道：call letter visit platform referral web"),
    kind: str = typer.Option("complaint", help="类型：question help complaint report suggestion"),
    category: str = typer.Option(None, help="类别代码（不给则按关键词推荐）"),
    details: str = typer.Option("", help="详细内容"),
    school: str = typer.Option(None, help="涉及学校"),
    name: str = typer.Option(None, help="诉求人姓名"),
    phone: str = typer.Option(None, help="诉求人电话"),
    confidential: bool = typer.Option(False, help="保密（举报人保护）"),
    urgent: bool = typer.Option(False, help="紧急"),
    received_at: datetime = typer.Option(None, help="收到时间（本地时间，默认现在）"),
) -> None:
    """登记一件诉求，打印受理编号。"""
    data = {
        "summary": summary,
        "unit_code": unit,
        "channel": channel,
        "kind": kind,
        "category": category,
        "details": details,
        "school": school,
        "complainant_name": name,
        "complainant_phone": phone,
        "confidential": confidential,
        "urgency": "urgent" if urgent else "normal",
        "received_at": received_at,
    }
    with state.session() as session, domain_errors():
        item = registration.register(
            session=session,
            runtime=state.runtime,
            actor=state.actor(session),
            data={k: v for k, v in data.items() if v is not None},
        )
    typer.echo(item.tracking_no)


def assign(
    ref: str, handler: str = typer.Argument(..., help="承办人用户名"), note: str = typer.Option(None, help="派单说明")
) -> None:
    """派单给指定承办人。"""
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        item = queries.get(session=session, runtime=state.runtime, actor=actor, ref=ref)
        target = _user(session, handler)
        action = "dispatch" if item.status == Status.REGISTERED else "reassign"
        fire_action(
            session=session,
            runtime=state.runtime,
            actor=actor,
            item=item,
            action=action,
            payload={"handler_id": target.id, "note": note},
        )
    typer.echo(f"{item.tracking_no} → {target.name}（{status_label(item.status)}）")


def act(
    ref: str,
    action: str,
    data: str = typer.Option("{}", "--data", "-d", help='操作参数 JSON，如 \'{"note": "..."}\''),
    version: int = typer.Option(None, help="期望版本号（并发保护）"),
) -> None:
    """对诉求件执行一项操作（accept、reply、callback、close 等）。"""
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        fail(f"--data 不是合法的 JSON：{exc}")
    if not isinstance(payload, dict):
        fail("--data 应为 JSON 对象")
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        item = queries.get(session=session, runtime=state.runtime, actor=actor, ref=ref)
        before = item.status
        fire_action(
            session=session,
            runtime=state.runtime,
            actor=actor,
            item=item,
            action=action,
            payload=payload,
            expected_version=version,
        )
    typer.echo(f"{item.tracking_no}: {status_label(before)} → {status_label(item.status)}")


def show(ref: str) -> None:
    """显示诉求件详情、期限与全部处理记录。"""
    settings, tz = state.settings, state.settings.app.timezone
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        item = queries.get(session=session, runtime=state.runtime, actor=actor, ref=ref)
        seen = itemview.view(session=session, runtime=state.runtime, actor=actor, item=item)
    who, events, names = seen.who, seen.events, seen.names
    category = settings.category_map[item.category].name
    typer.echo(
        f"{item.tracking_no}  {status_label(item.status)}  "
        f"{DUE_STATE_LABELS[due_state(item, utcnow())]}  v{item.version}"
    )
    for label, value in [
        ("承办单位", settings.unit_map[item.unit_code].name),
        ("渠道", channel_label(item.channel)),
        ("类型", kind_label(item.kind)),
        ("类别", category),
        ("学校", item.school or "—"),
        ("收到时间", local_text(item.received_at, tz)),
        ("承办人", _name(names, item.handler_id, "—")),
        ("诉求人", f"{who.name or '匿名'} {who.phone or ''}".strip()),
        ("摘要", item.summary),
    ]:
        typer.echo(f"  {label}：{value}")
    typer.echo("期限" + ("（暂定：超出已知工作日历）" if item.due_provisional else "") + "：")
    for label, due in [
        ("受理告知", item.ack_due_at),
        ("联系", item.contact_due_at),
        ("答复", item.reply_due_at),
        ("督办", item.supervise_due_at),
    ]:
        if due:
            typer.echo(f"  {label}：{due_text(due, tz)}")
    if item.reply_text:
        typer.echo(f"答复：{item.reply_text}")
    typer.echo("处理记录：")
    for event in events:
        change = (
            f"{status_label(event.from_status)} → {status_label(event.to_status)}"
            if event.from_status and event.to_status and event.from_status != event.to_status
            else ""
        )
        typer.echo(
            f"  {local_text(event.at, tz)}  {_name(names, event.actor_id, '系统')}  "
            f"{action_label(event.action)}  {change}  {event.note or ''}".rstrip()
        )
    typer.echo("可执行操作：" + ", ".join(a.value for a in seen.actions))


def list_items(
    unit: str = typer.Option(None),
    handler: str = typer.Option(None, help="承办人用户名"),
    status: str = typer.Option(None),
    category: str = typer.Option(None),
    overdue: bool = typer.Option(False, "--overdue", help="只看已超期"),
    due_soon: bool = typer.Option(False, "--due-soon", help="只看即将超期"),
    text: str = typer.Option(None, help="在摘要和详情中搜索"),
    limit: int = typer.Option(50, min=1, max=200),
    offset: int = typer.Option(0, min=0),
) -> None:
    """列出诉求件（按期限排序）。"""
    tz, now = state.settings.app.timezone, utcnow()
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        handler_id = _user(session, handler).id if handler else None
        if status and status not in {s.value for s in Status}:
            fail(f"未知状态：{status}；可选：{', '.join(s.value for s in Status)}")
        filters = queries.ListFilter(
            unit_code=unit,
            handler_id=handler_id,
            status=status,
            category=category,
            overdue=overdue,
            due_soon=due_soon,
            text=text,
            limit=limit,
            offset=offset,
        )
        items, total = queries.list_complaints(
            session=session, runtime=state.runtime, actor=actor, filters=filters, now=now
        )
        names = names_of(session, {i.handler_id for i in items})
        rows = [
            [
                i.tracking_no,
                status_label(i.status),
                DUE_STATE_LABELS[due_state(i, now)],
                due_text(i.next_due_at, tz),
                i.unit_code,
                _name(names, i.handler_id, "—"),
                identity.masked(i).phone or "—",
                i.summary[:24],
            ]
            for i in items
        ]
    echo_table(rows, ["编号", "状态", "时限", "期限", "单位", "承办人", "电话", "摘要"])
    more = "" if getattr(total, "exact", True) else "+"  # a search counted up to its cap
    typer.echo(f"共 {total}{more} 件，显示 {offset + 1 if rows else 0}–{offset + len(rows)}")


def _user(session, username: str) -> User:
    from sqlmodel import select

    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        fail(f"找不到用户：{username}")
    return user


def _name(names: Mapping[int, str], user_id: int | None, default: str) -> str:
    """The person's name, or `default` for no one (or someone not looked up)."""
    return names.get(user_id, default) if user_id is not None else default
