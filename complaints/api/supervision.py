"""/api/supervision: what a supervisor watches — overdue, due soon, and open work by unit, handler, category."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from complaints.api.complaints import names_of, page
from complaints.api.schemas import ComplaintPage
from complaints.clock import utcnow
from complaints.errors import Forbidden
from complaints.http.session import ReadSessionDep, RuntimeDep
from complaints.http.users import CurrentUser
from complaints.i18n import gettext
from complaints.models import User
from complaints.runtime import Runtime
from complaints.services import openwork, queries
from complaints.services.people import check_unit
from complaints.services.scope import has_role
from workflows.vocab import Role

router = APIRouter(prefix="/api/supervision", tags=["supervision"])
Unit = Annotated[str | None, Query(max_length=8, description="unit code")]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000)]


class WorkloadRow(BaseModel):
    key: str | None
    label: str
    open: int
    overdue: int
    due_soon: int


def supervisor(user: User) -> User:
    if not has_role(user, Role.SUPERVISOR):
        raise Forbidden(gettext("仅督办人可查看督办视图"), field=None)
    return user


def _unit(runtime: Runtime, unit: str | None) -> str | None:
    return check_unit(runtime.settings, unit, field="unit") if unit is not None else None


@router.get("/overdue", response_model=ComplaintPage, summary="已超期")
def overdue(
    user: CurrentUser,
    reads: ReadSessionDep,
    runtime: RuntimeDep,
    unit: Unit = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ComplaintPage:
    filters = queries.ListFilter(unit_code=_unit(runtime, unit), overdue=True, limit=limit, offset=offset)
    return page(reads, runtime, supervisor(user), filters)


@router.get("/due-soon", response_model=ComplaintPage, summary="即将超期")
def due_soon(
    user: CurrentUser,
    reads: ReadSessionDep,
    runtime: RuntimeDep,
    unit: Unit = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ComplaintPage:
    filters = queries.ListFilter(unit_code=_unit(runtime, unit), due_soon=True, limit=limit, offset=offset)
    return page(reads, runtime, supervisor(user), filters)


@router.get("/counts", response_model=list[WorkloadRow], summary="按单位、承办人或类别统计在办、超期、即将超期")
def counts(
    user: CurrentUser,
    reads: ReadSessionDep,
    runtime: RuntimeDep,
    by: Literal["unit", "handler", "category"] = "unit",
    unit: Unit = None,
) -> list[WorkloadRow]:
    rows = openwork.workload(
        session=reads, runtime=runtime, actor=supervisor(user), by=by, unit_code=_unit(runtime, unit), now=utcnow()
    )
    settings = runtime.settings
    names = names_of(reads, {key for key, *_ in rows}) if by == "handler" else {}
    labels = {
        "unit": lambda k: settings.unit_map[k].name if k in settings.unit_map else k,
        "category": lambda k: settings.category_map[k].name if k in settings.category_map else k,
        "handler": lambda k: names.get(k, gettext("未派单")),
    }[by]
    return [
        WorkloadRow(key=None if key is None else str(key), label=labels(key), open=n, overdue=late, due_soon=soon)
        for key, n, late, soon in rows
    ]
