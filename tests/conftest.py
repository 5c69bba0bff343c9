"""Fixtures: one migrated database per run (SQLite, or PostgreSQL via TEST_DATABASE_URL), and a
rolled-back transaction per test so that tests never see each other's rows."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgdb import PG_URL, _create_pg_database, _drop_pg_database
from sqlalchemy import Engine
from sqlmodel import Session

from complaints.db import make_engine, upgrade
from complaints.models import User
from complaints.runtime import Runtime
from complaints.services import people, registration
from complaints.settings import Settings, load_settings

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database for the whole run."""
    if PG_URL:
        url, name = _create_pg_database(PG_URL)
        upgrade(url)
        yield url
        _drop_pg_database(PG_URL, name)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


@pytest.fixture
def scratch_url(tmp_path) -> Iterator[str]:
    """An empty database of the test's own (not migrated), for tests that move the schema up and down."""
    if PG_URL:
        url, name = _create_pg_database(PG_URL)
        yield url
        _drop_pg_database(PG_URL, name)
    else:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return load_settings(
        app={"environment": "test", "secret_key": "test-secret"},
        database={"url": database_url},
        attachments={"storage": str(tmp_path_factory.mktemp("attachments"))},
    )


@pytest.fixture
def connection(engine) -> Iterator:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()


@pytest.fixture
def session(connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the test's outer transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        yield session


@pytest.fixture
def runtime(settings, engine) -> Runtime:
    return Runtime.load(settings, engine)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}_{uuid.uuid4().hex[:4]}"


@pytest.fixture
def make_user(session, settings):
    """make_user("handler", unit="ATS") -> a new person with those roles."""

    def factory(*roles: str, unit: str = "ATS", name: str | None = None, password: str | None = None) -> User:
        return people.add_user(
            session=session,
            settings=settings,
            actor=None,
            username=unique("u"),
            name=name or f"测试{'/'.join(roles)}",
            unit_code=unit,
            roles=list(roles) or ["operator"],
            password=password,
        )

    return factory


@pytest.fixture
def make_item(session, runtime, make_user):
    """make_item(actor=None, **fields) -> a registered item (an operator of the unit by default)."""

    def factory(actor: User | None = None, **fields):
        data = {
            "channel": "call",
            "kind": "complaint",
            "unit_code": "ATS",
            "category": "fees",
            "summary": "反映学校收取共建费",
            "details": "家长反映入学时被要求缴纳共建费",
            "complainant_name": "王丽",
            "complainant_phone": "13812345678",
        }
        data.update(fields)
        actor = actor or make_user("operator", unit=data["unit_code"])
        return registration.register(session=session, runtime=runtime, actor=actor, data=data)

    return factory


@pytest.fixture(scope="session")
def shared_app(settings, engine):
    """One app for the whole run: FastAPI builds an app's routes and middleware on its first request, which
    with an app per test was a good part of the API and page tests' time. Each test gets it afresh (`app`)."""
    from complaints.app import create_app

    app = create_app(settings, engine=engine)
    return app, dict(app.state._state)


@pytest.fixture
def app(shared_app, settings, engine, connection, runtime):
    """The app on this test's rolled-back transaction (each request's session joins the test's connection:
    its commit is a savepoint, rolled back with the test). Its state (sessions, runtime, write turns, rate
    limits, request latencies) is set up afresh, as create_app does for an injected connection, and no
    dependency override outlives a test."""
    from complaints.app import setup

    app, initial = shared_app
    app.state._state.clear()
    app.state._state.update(initial)
    app.state.histogram.clear()
    app.dependency_overrides.clear()
    setup(app, settings, engine, connection, runtime)
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def providers():
    """The providers' APIs on a local port (tests/fake_providers.py)."""
    from tests.fake_providers import FakeProviders

    fake = FakeProviders()
    yield fake
    fake.close()


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


@pytest.fixture
def configure(runtime):
    """configure(notify={"wecom": {"enabled": True}}) -> a runtime whose settings have those sections changed."""
    import dataclasses

    def factory(**sections) -> Runtime:
        settings = Settings(**_merge(runtime.settings.model_dump(), sections))
        return dataclasses.replace(runtime, settings=settings)

    return factory
