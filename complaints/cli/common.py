"""What every command shares: settings, the database, the acting user, errors to stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from complaints.db import engine_for, ensure_sqlite_dir, unit_of_work
from complaints.errors import DomainError
from complaints.models import User
from complaints.runtime import Runtime
from complaints.settings import Settings, load_settings


@dataclass
class CliState:
    """Built lazily so that `--help` needs no database."""

    acting_as: str | None = None

    def reset(self, acting_as: str | None) -> None:
        """Forget cached settings and connections (each invocation reads them afresh)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        for name in ("settings", "engine", "runtime"):
            self.__dict__.pop(name, None)
        self.acting_as = acting_as

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def engine(self) -> Engine:
        ensure_sqlite_dir(self.settings.database.url)
        return engine_for(self.settings)

    @cached_property
    def runtime(self) -> Runtime:
        return Runtime.load(self.settings, self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(self.engine) as session:
            yield session

    def actor(self, session: Session) -> User:
        """The user a command acts as: --as, $COMPLAINTS_USER, or the first admin."""
        username = self.acting_as or os.environ.get("COMPLAINTS_USER")
        query = (
            select(User).where(User.username == username)
            if username
            else select(User).where(col(User.roles).contains("admin")).order_by(col(User.id))
        )
        user = session.exec(query).first()
        if user is None:
            fail(f"找不到用户 {username}" if username else "还没有管理员：请先运行 complaints init")
        return user


state = CliState()


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"错误：{message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """A domain error becomes a message on stderr and exit status 1; nothing is committed."""
    try:
        yield
    except DomainError as exc:
        where = f"（字段：{exc.field}）" if exc.field else ""
        fail(f"{exc.message}{where}")


def echo_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> None:
    """A plain aligned table (wide characters counted as two columns)."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    table: list[Sequence[object]] = [headers, *rows]
    widths = [max(width(str(r[i])) for r in table) for i in range(len(headers))]
    for index, row in enumerate(table):
        cells = [str(c) + " " * (widths[i] - width(str(c))) for i, c in enumerate(row)]
        typer.echo("  ".join(cells).rstrip())
        if index == 0:
            typer.echo("  ".join("-" * w for w in widths))
    sys.stdout.flush()
