"""The connection pool: a pooled connection that died while idle is replaced, not handed to a request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from complaints import db

pytest_plugins = ["test_api_client"]  # the app fixture


def _kill(engine, dbapi_connection) -> None:
    """What a database restart or a firewall does to a quiet connection."""
    if engine.dialect.name == "postgresql":
        admin = create_engine(engine.url, poolclass=NullPool)  # not one of the pool's own connections
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dbapi_connection.info.backend_pid})
        admin.dispose()
    else:
        dbapi_connection.close()


@pytest.fixture
def small_engine(database_url):
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_on_checkout(small_engine, monkeypatch):
    with small_engine.connect() as connection:
        dead = connection.connection.dbapi_connection
    _kill(small_engine, dead)
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every pooled connection counts as idle
    with small_engine.connect() as connection:  # no error reaches the caller
        assert connection.execute(text("SELECT 41 + 1")).scalar_one() == 42
        assert connection.connection.dbapi_connection is not dead


def test_a_connection_in_steady_use_is_not_pinged(small_engine, monkeypatch):
    pings = []
    monkeypatch.setattr(small_engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or True)
    for _ in range(3):
        with small_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []  # back in use within PING_AFTER_IDLE: no extra round trip
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    with small_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert pings == [1]


def _request(turns, method="POST"):
    from types import SimpleNamespace

    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(write_turns=turns)), method=method)


def test_writes_take_turns_and_a_cancelled_request_gives_its_turn_back():
    import asyncio

    from complaints.http.session import write_turn

    async def scenario():
        turns, inside, most = asyncio.Semaphore(2), [], []

        async def write(name, hold):
            async with write_turn(_request(turns)):
                inside.append(name)
                most.append(len(inside))
                await asyncio.sleep(hold)
                inside.remove(name)

        async def read():
            async with write_turn(_request(turns, "GET")):
                return len(inside)

        first = [asyncio.create_task(write(n, 0.05)) for n in ("a", "b")]
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(write("gone", 0.05))  # the client hangs up while waiting
        await asyncio.sleep(0.01)
        assert await read() == 2  # reads never wait for a turn
        waiting.cancel()
        later = [asyncio.create_task(write(n, 0.01)) for n in ("c", "d", "e")]
        await asyncio.gather(*first, *later)
        assert max(most) == 2 and not inside
        async with asyncio.timeout(1):  # both turns free again
            async with write_turn(_request(turns)), write_turn(_request(turns)):
                pass

    with ThreadPoolExecutor(1) as own_loop:  # a loop of its own: the browser tests leave one running here
        own_loop.submit(asyncio.run, scenario()).result()


def test_sqlite_writes_one_at_a_time_postgresql_as_configured(app, engine, settings):
    turns = app.state.write_turns
    expected = 1 if engine.dialect.name == "sqlite" else settings.database.concurrent_writes
    assert turns._value == expected
