"""The lifecycle's refusal as a domain error that names the status and what is allowed."""

from __future__ import annotations

from complaints.errors import ActionNotAllowed
from complaints.i18n import gettext
from workflows import lifecycle
from workflows.lifecycle import ACTION_LABELS, Action
from workflows.vocab import LABELS, Role, Status


def fire_or_refuse(
    status: Status | None, action: Action, roles: frozenset[Role], *, is_assignee: bool
) -> Status | None:
    """lifecycle.fire, with TransitionNotAllowed turned into ActionNotAllowed for people."""
    try:
        return lifecycle.fire(status, action, roles, is_assignee=is_assignee)
    except lifecycle.TransitionNotAllowed as exc:
        raise ActionNotAllowed(
            refusal(exc),
            field="action",
            status=status.value if status else None,
            allowed=[a.value for a in exc.allowed],
        ) from exc


def refusal(exc: lifecycle.TransitionNotAllowed) -> str:
    status = gettext(LABELS[exc.status]) if exc.status else gettext("新建")
    code = exc.status.value if exc.status else "new"
    allowed = "、".join(f"{gettext(ACTION_LABELS[a])}（{a.value}）" for a in exc.allowed) or gettext("无")
    why = gettext("当前状态") if exc.reason == "status" else gettext("您的角色或您并非承办人")
    return gettext(
        "不能执行“{action}”：{why}不允许。当前状态：{status}（{code}）；可执行的操作：{allowed}",
        action=gettext(ACTION_LABELS[exc.action]),
        why=why,
        status=status,
        code=code,
        allowed=allowed,
    )
