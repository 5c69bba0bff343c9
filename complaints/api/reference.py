"""/api/units, /api/categories, /api/statuses, /api/actions: the vocabulary, labelled in the user's language."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from complaints.http.session import RuntimeDep
from complaints.http.users import CurrentUser
from complaints.presenters import action_label, status_label
from workflows.lifecycle import RULES, Action
from workflows.vocab import OPEN_STATUSES, Role, Status

router = APIRouter(prefix="/api", tags=["reference"])


class UnitOut(BaseModel):
    code: str
    name: str
    level: str
    hotline: str
    report_line: str


class CategoryOut(BaseModel):
    code: str
    name: str
    annex1_rows: list[int]


class StatusOut(BaseModel):
    code: str
    label: str
    open: bool


class ActionOut(BaseModel):
    code: str
    label: str
    roles: list[str]
    from_statuses: list[str]


@router.get("/units", response_model=list[UnitOut], summary="承办单位")
def units(user: CurrentUser, runtime: RuntimeDep) -> list[UnitOut]:
    return [
        UnitOut(code=u.code, name=u.name, level=u.level, hotline=u.hotline, report_line=u.report_line)
        for u in runtime.settings.units
    ]


@router.get("/categories", response_model=list[CategoryOut], summary="诉求类别（统一答复口径）")
def categories(user: CurrentUser, runtime: RuntimeDep) -> list[CategoryOut]:
    return [CategoryOut(code=c.code, name=c.name, annex1_rows=c.annex1_rows) for c in runtime.settings.categories]


@router.get("/statuses", response_model=list[StatusOut], summary="办理状态")
def statuses(user: CurrentUser) -> list[StatusOut]:
    return [StatusOut(code=s.value, label=status_label(s.value), open=s in OPEN_STATUSES) for s in Status]


@router.get("/actions", response_model=list[ActionOut], summary="操作及可执行的角色")
def actions(user: CurrentUser) -> list[ActionOut]:
    found = []
    for action in Action:
        rules = [r for r in RULES if r.action is action]
        roles = sorted({role for r in rules for role in r.roles}, key=list(Role).index)
        found.append(
            ActionOut(
                code=action.value,
                label=action_label(action.value),
                roles=[r.value for r in roles],
                from_statuses=[r.source.value if r.source else "new" for r in rules],
            )
        )
    return found
