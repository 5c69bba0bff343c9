"""/api/people: list and look up colleagues; admins create and change people of the units they manage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StrictBool, StrictInt
from sqlmodel import Session

from complaints.api.schemas import PersonOut, PersonPage, person_out
from complaints.errors import Forbidden, NotFound
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import CurrentUser
from complaints.i18n import gettext
from complaints.models import User
from complaints.runtime import Runtime
from complaints.services import people
from complaints.services.people import check_unit
from complaints.services.scope import may_manage_person, visible_units
from workflows.vocab import Role

router = APIRouter(prefix="/api/people", tags=["people"])
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]
EMAIL = r"^[^@\s]{1,64}@[^@\s]{1,63}$"


class PersonCreate(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.]+$")
    name: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(max_length=8)
    roles: list[Role] = Field(min_length=1, max_length=4)
    password: str | None = Field(default=None, min_length=8, max_length=256)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=128, pattern=EMAIL)


class PersonUpdate(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}

    name: str | None = Field(default=None, min_length=1, max_length=64)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=4)
    unit_code: str | None = Field(default=None, max_length=8, description="move to another unit")
    active: StrictBool | None = None
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=128, pattern=EMAIL)
    password: str | None = Field(default=None, min_length=8, max_length=256, description="reset the password")
    unlock: StrictBool | None = Field(default=None, description="clear a lock-out after failed logins")


class OutOfOffice(BaseModel):
    model_config = {"extra": "forbid"}

    away: StrictBool
    delegate_id: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)


def visible_person(session: Session, runtime: Runtime, actor: User, person_id: int) -> User:
    """A person of a unit `actor` may look into, else NotFound (another unit's staff do not leak)."""
    person = session.get(User, person_id)
    units = visible_units(actor, runtime.settings)
    if person is None or (units is not None and person.unit_code not in units):
        raise NotFound(gettext("找不到人员：{id}", id=person_id), field="person")
    return person


def managed_person(session: Session, runtime: Runtime, actor: User, person_id: int) -> User:
    person = visible_person(session, runtime, actor, person_id)
    if not may_manage_person(actor, person.unit_code, runtime.settings):
        raise Forbidden(gettext("只有本单位（或州局）的管理员可以管理人员"), field="person")
    return person


def shown(actor: User, person: User, runtime: Runtime) -> PersonOut:
    full = person.id == actor.id or may_manage_person(actor, person.unit_code, runtime.settings)
    return person_out(person, full=full)


@router.get("", response_model=PersonPage, summary="人员列表")
def list_people(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    unit: Annotated[str | None, Query(max_length=8)] = None,
    role: Role | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> PersonPage:
    unit_code = check_unit(runtime.settings, unit, field="unit") if unit is not None else None
    found, total = people.list_users(
        session=session,
        units=visible_units(user, runtime.settings),
        unit_code=unit_code,
        role=role,
        active=active,
        limit=limit,
        offset=offset,
    )
    return PersonPage(data=[shown(user, p, runtime) for p in found], count=total)


@router.get("/{person_id}", response_model=PersonOut, summary="人员信息")
def show_person(person_id: PersonId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> PersonOut:
    return shown(user, visible_person(session, runtime, user, person_id), runtime)


@router.post("", status_code=201, response_model=PersonOut, summary="新增人员（管理员）")
def create_person(data: PersonCreate, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> PersonOut:
    person = people.add_user(
        session=session,
        settings=runtime.settings,
        actor=user,
        username=data.username,
        name=data.name,
        unit_code=data.unit_code,
        roles=[r.value for r in data.roles],
        password=data.password,
        phone=data.phone,
        email=data.email,
    )
    return person_out(person, full=True)


@router.patch("/{person_id}", response_model=PersonOut, summary="修改人员（管理员）")
def update_person(
    person_id: PersonId, data: PersonUpdate, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> PersonOut:
    person = managed_person(session, runtime, user, person_id)
    changes = data.model_dump(exclude_unset=True)
    if "roles" in changes:
        changes["roles"] = [r.value for r in data.roles] if data.roles else []
    person = people.update_user(session=session, settings=runtime.settings, actor=user, user=person, changes=changes)
    return person_out(person, full=True)


@router.put("/{person_id}/out-of-office", response_model=PersonOut, summary="设置外出与代理人（管理员或本人）")
def set_out_of_office(
    person_id: PersonId, data: OutOfOffice, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> PersonOut:
    person = (
        visible_person(session, runtime, user, person_id)
        if person_id == user.id
        else managed_person(session, runtime, user, person_id)
    )
    delegate = visible_person(session, runtime, user, data.delegate_id) if data.delegate_id else None
    person = people.set_out_of_office(
        session=session, settings=runtime.settings, actor=user, user=person, away=data.away, delegate=delegate
    )
    return shown(user, person, runtime)
