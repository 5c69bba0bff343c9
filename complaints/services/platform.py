"""The exchange with a platform (12345, the 信访 system): it pushes items in under its own references and
pulls their progress back by them. A pushed item passes exactly the checks of a file import (the same
column mapping and row checks, complaints/importing), is idempotent on its reference, and a platform
sees and creates only items of its own units."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from complaints import auth
from complaints.clock import utcnow
from complaints.errors import Conflict, Forbidden, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.importing.common import CONTROL
from complaints.importing.importer import _row_problem
from complaints.importing.mapping import ColumnMap, RowError, map_row
from complaints.importing.readers import FileProblem
from complaints.jobs.system import system_user
from complaints.models import Complaint, PlatformClient
from complaints.runtime import Runtime
from complaints.services.registration import register_many
from workflows.vocab import Status

TOKEN_PREFIX = "plat_"
MAX_PUSH = 200
STAGES = {
    Status.DISPATCHED: "签收",
    Status.ACCEPTED: "签收",
    Status.REPLIED: "反馈",
    Status.VISITED: "反馈",
    Status.CLOSED: "办结",
    Status.DUPLICATE: "办结",
    Status.NOT_ACCEPTED: "办结",
}


@dataclass
class Pushed:
    external_ref: str
    tracking_no: str
    created: bool


def add_client(
    *, session: Session, runtime: Runtime, name: str, source: str, units: list[str]
) -> tuple[PlatformClient, str]:
    """A platform's account and its token (shown once; only its hash is kept)."""
    if source not in runtime.settings.source_map:
        raise InvalidInput(
            gettext("未知来源：{name}；可选：{valid}", name=source[:32], valid="、".join(runtime.settings.source_map)),
            field="source",
        )
    unknown = set(units) - set(runtime.settings.unit_map)
    if not units or unknown:
        raise InvalidInput(
            gettext("单位应为已配置的单位代码：{units}", units="、".join(sorted(unknown))[:64]), field="units"
        )
    if session.exec(select(PlatformClient).where(col(PlatformClient.name) == name)).first():
        raise Conflict(gettext("已有同名平台：{name}", name=name[:64]), field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = PlatformClient(name=name[:64], source=source, units=sorted(set(units)), token_hash=auth.token_hash(token))
    session.add(client)
    session.flush()
    return client, token


def client_for(*, session: Session, token: str | None, now: datetime | None = None) -> PlatformClient:
    if not token or not token.startswith(TOKEN_PREFIX):
        raise Forbidden(gettext("需要平台令牌"), field="authorization")
    client = session.exec(
        select(PlatformClient).where(col(PlatformClient.token_hash) == auth.token_hash(token))
    ).first()
    if client is None or not client.active:
        raise Forbidden(gettext("平台令牌无效或已停用"), field="authorization")
    client.last_used_at = now or utcnow()
    session.add(client)
    return client


def push(
    *, session: Session, runtime: Runtime, client: PlatformClient, records: list[dict], now: datetime | None = None
) -> list[Pushed]:
    """Register the new records (all or none), hand back the existing ones' numbers."""
    now = now or utcnow()
    if not 1 <= len(records) <= MAX_PUSH:
        raise InvalidInput(gettext("每次推送 1–{max} 件", max=MAX_PUSH), field="items")
    rows = [_checked(record, index, runtime, client, now) for index, record in enumerate(records)]
    refs = [row["external_ref"] for row in rows]
    if len(set(refs)) != len(refs):
        raise InvalidInput(gettext("同一次推送中编号重复"), field="items")
    known = {
        c.external_ref: c
        for c in session.exec(
            select(Complaint).where(col(Complaint.source) == client.source, col(Complaint.external_ref).in_(refs))
        )
    }
    fresh = [row for row in rows if row["external_ref"] not in known]
    register_many(
        session=session,
        runtime=runtime,
        actor=system_user(session=session, settings=runtime.settings),
        rows=fresh,
        now=now,
    )
    found = {
        c.external_ref: c
        for c in session.exec(
            select(Complaint).where(col(Complaint.source) == client.source, col(Complaint.external_ref).in_(refs))
        )
    }
    return [Pushed(ref, found[ref].tracking_no, ref not in known) for ref in refs]


def _checked(record: dict, index: int, runtime: Runtime, client: PlatformClient, now: datetime) -> dict:
    """One record as a file row of the platform's export: its column names are the keys."""
    source = runtime.settings.source_map[client.source]
    if not isinstance(record, dict):
        raise InvalidInput(gettext("第 {n} 件：应为对象", n=index + 1), field="items")
    header, cells = list(record), [record[name] for name in record]
    try:
        data = map_row(cells, ColumnMap.from_header(header, source), source, runtime.settings)
        problem = _control_problem(data) or _row_problem(data, runtime, now)
    except (RowError, FileProblem) as exc:
        problem = exc if isinstance(exc, RowError) else RowError(None, str(exc))
    if problem is not None:
        raise InvalidInput(
            gettext("第 {n} 件：{problem}", n=index + 1, problem=problem.message), field=problem.field or "items"
        )
    if data["unit_code"] not in client.units:
        raise Forbidden(
            gettext("第 {n} 件：该平台不能向 {unit} 推送", n=index + 1, unit=data["unit_code"]), field="unit_code"
        )
    return data


def _control_problem(data: dict) -> RowError | None:
    """A control character (a NUL that PostgreSQL cannot store) is refused: a push has no report to note it in."""
    for field, value in data.items():
        if isinstance(value, str) and (found := CONTROL.search(value)):
            char = f"U+{ord(found.group()):04X}"
            return RowError(field, gettext("含控制字符 {char}", char=char))
    return None


def pull(*, session: Session, client: PlatformClient, external_ref: str) -> Complaint:
    """The platform's own item by its reference (NotFound for anything else, so nothing else is revealed)."""
    item = session.exec(
        select(Complaint).where(
            col(Complaint.source) == client.source, col(Complaint.external_ref) == external_ref[:100]
        )
    ).first()
    if item is None or item.unit_code not in client.units and item.reviewed_unit_code not in client.units:
        raise NotFound(gettext("找不到该编号的诉求件：{ref}", ref=external_ref[:40]), field="external_ref")
    return item


def stage_of(item: Complaint) -> str:
    """签收 / 反馈 / 办结 as the platforms show them ("" while still only registered)."""
    return STAGES.get(Status(item.status), "签收" if item.accepted_at else "")
