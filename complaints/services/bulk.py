"""One action on many items: each still goes through the lifecycle on its own (its own event, its own version
check, its own savepoint), and a refusal on one is reported without undoing the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from complaints.errors import DomainError, InvalidInput
from complaints.i18n import gettext
from complaints.models import User
from complaints.runtime import Runtime
from complaints.services.queries import get
from complaints.services.transitions import act
from workflows.lifecycle import Action

ACTIONS = (Action.DISPATCH, Action.REASSIGN, Action.SUPERVISE)
MAX_ITEMS = 200


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)  # tracking numbers
    refused: list[tuple[str, str]] = field(default_factory=list)  # (tracking number or what was sent, why)


def parse_refs(values: list[str]) -> list[tuple[str, int | None]]:
    """`ATS-2026-000123:4` (the tracking number and the version the list showed) or a bare tracking number."""
    refs = []
    for value in values[: MAX_ITEMS + 1]:
        ref, _, version = str(value).strip().partition(":")
        refs.append((ref[:40], int(version) if version.isdigit() and len(version) < 10 else None))
    if not refs:
        raise InvalidInput(gettext("请先勾选诉求件"), field="item")
    if len(refs) > MAX_ITEMS:
        raise InvalidInput(gettext("一次最多处理 {n} 件", n=MAX_ITEMS), field="item")
    return refs


def bulk_act(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    refs: list[tuple[str, int | None]],
    action: Action | str,
    payload: dict,
) -> BulkResult:
    """Fire `action` on each item in turn; flushes, never commits."""
    try:
        chosen: Action | None = Action(action)
    except ValueError:
        chosen = None
    if chosen not in ACTIONS:
        raise InvalidInput(gettext("批量操作只能是派单、改派或督办"), field="action")
    result = BulkResult()
    for ref, version in refs:
        try:
            with session.begin_nested():
                item = get(session=session, runtime=runtime, actor=actor, ref=ref)
                act(
                    session=session,
                    runtime=runtime,
                    actor=actor,
                    item=item,
                    action=action,
                    payload=payload,
                    expected_version=version,
                )
            result.done.append(item.tracking_no)
        except DomainError as exc:
            result.refused.append((ref, exc.message))
    return result
