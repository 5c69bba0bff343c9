"""Typed handles on the models for code that works below the ORM: a model's table (for Core statements)
and a stored row's id (a primary key is None only until the row is flushed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import Table
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)


class Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def table_of(model: type[SQLModel]) -> Table:
    """The model's table; SQLModel's metaclass sets `__table__` on every `table=True` model."""
    table = model.__table__  # type: ignore[attr-defined]  # set by the metaclass, unknown to the type checker
    assert isinstance(table, Table), f"{model.__name__} is not a table model"
    return table


def id_of(row: Stored) -> int:
    """The id of a row that has been flushed; a row without one here is a programming error."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id


def stored_ids(ids: Iterable[int | None]) -> list[int]:
    """Primary keys read back from the database: never None there, though the model's field is Optional."""
    return [i for i in ids if i is not None]


def stored(session: Session, model: type[M], key: object) -> M:
    """The row `key` refers to through a foreign key; a missing one here is a broken reference."""
    row = session.get(model, key)
    if row is None:
        raise RuntimeError(f"{model.__name__} {key!r} is not stored")
    return row
