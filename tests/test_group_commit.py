"""Registrations over the API under load: those that arrive while one batch is written are written together
(one transaction, one durable commit), each is answered only once its item is stored, and one row the
database refuses fails its own request only."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlalchemy import func
from sqlalchemy.exc import DataError
from sqlmodel import Session, col, select
from test_api_complaints import NEW

from complaints import auth, statcounts
from complaints.app import create_app
from complaints.db import make_engine, upgrade
from complaints.http.groupcommit import GroupCommit
from complaints.models import Complaint, Event
from complaints.services import people, registration
from complaints.settings import load_settings


@pytest.fixture
def served(scratch_url):
    """The app on a database of its own (the requests' sessions on real connections, as when served), with an
    operator's token."""
    upgrade(scratch_url)
    settings = load_settings(app={"environment": "test", "secret_key": "gc-secret"}, database={"url": scratch_url})
    engine = make_engine(scratch_url)
    with Session(engine) as session:
        operator = people.add_user(
            session=session, settings=settings, actor=None, username="gc_op", name="接线员", unit_code="ATS",
            roles=["operator"],
        )  # fmt: skip
        _, token = auth.create_session(session=session, user=operator, kind="api", name="gc")
        session.commit()
    app = create_app(settings, engine=engine)
    yield app, engine, {"Authorization": f"Bearer {token}"}
    engine.dispose()


def _hold_the_first_batch_until(app, total: int, monkeypatch) -> list[int]:
    """The first batch's write waits until all the others of `total` registrations wait behind it: they then
    make one batch, whatever the timing. Returns the size of each batch written, as it is written."""
    real, sizes = registration.store, []

    def store(**kwargs):
        if not sizes:
            behind = total - len(kwargs["rows"])
            deadline = time.monotonic() + 10
            while len(app.state.registrations._waiting) < behind and time.monotonic() < deadline:
                time.sleep(0.005)
        sizes.append(len(kwargs["rows"]))
        return real(**kwargs)

    monkeypatch.setattr(registration, "store", store)
    return sizes


def _run(coroutine):
    with ThreadPoolExecutor(1) as own_loop:  # a loop of its own: the browser tests leave one running here
        return own_loop.submit(asyncio.run, coroutine).result()


async def _post_all(app, headers, bodies: list[dict], on_answer=None) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:

        async def post(body):
            response = await client.post("/api/complaints", json=body, headers=headers)
            if on_answer is not None:
                on_answer(response)
            return response

        return list(await asyncio.gather(*(post(body) for body in bodies)))


def test_registrations_arriving_during_a_write_are_committed_together_and_answered_once_stored(served, monkeypatch):
    app, engine, headers = served
    sizes = _hold_the_first_batch_until(app, 12, monkeypatch)
    seen_when_answered = []

    def on_answer(response):  # at the moment the caller has the answer, another connection sees the item
        with Session(engine) as other:
            seen_when_answered.append(other.get(Complaint, response.json()["id"]) is not None)

    bodies = [NEW | {"summary": f"反映学校收取共建费（第{n}位来电）"} for n in range(12)]
    responses = _run(_post_all(app, headers, bodies, on_answer))

    assert [r.status_code for r in responses] == [201] * 12
    assert len(sizes) == 2 and sum(sizes) == 12  # 12 items, two commits
    assert app.state.registrations.batches == 2
    assert seen_when_answered == [True] * 12
    numbers = sorted(r.json()["tracking_no"] for r in responses)
    year = numbers[0].split("-")[1]
    assert numbers == [f"ATS-{year}-{n:06d}" for n in range(1, 13)]  # no gap, no repeat
    for response, body in zip(responses, bodies, strict=True):
        created = response.json()
        assert created["summary"] == body["summary"]  # each caller is answered with their own item
        assert response.headers["location"] == f"/api/complaints/{created['id']}"
        assert [e["action"] for e in created["history"]] == ["register"]
        assert created["history"][0]["actor_name"] == "接线员"
        assert created["deadlines"]["reply"] is not None
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Event)).one() == 12
        tz = app.state.settings.app.timezone
        assert statcounts.kept_rows(session) == statcounts.counted_rows(session, tz)  # the dashboards agree


def test_a_row_the_database_refuses_fails_its_own_request_and_no_other(served, monkeypatch):
    app, engine, headers = served
    real = registration.store

    def store(**kwargs):  # what a value the checks let through but the database refuses does
        if any("无法保存" in row["summary"] for row in kwargs["rows"]):
            raise DataError("INSERT INTO complaint ...", {}, ValueError("invalid byte sequence"))
        return real(**kwargs)

    monkeypatch.setattr(registration, "store", store)
    sizes = _hold_the_first_batch_until(app, 6, monkeypatch)
    bodies = [NEW | {"summary": f"反映学校收取共建费{n}"} for n in range(6)]
    bodies[3] = NEW | {"summary": "一条无法保存的诉求"}
    bodies[4] = NEW | {"summary": "平台转来的诉求", "source": "hotline12345", "external_ref": "GD-1"}
    bodies[5] = NEW | {"summary": "平台重复转来的诉求", "source": "hotline12345", "external_ref": "GD-1"}
    responses = _run(_post_all(app, headers, bodies))

    # those behind the first made one batch; it failed, and each was written again on its own
    assert sum(sizes[:2]) == 6 and sizes[2:] == [1] * sizes[1]
    assert [r.status_code for r in responses[:4]] == [201, 201, 201, 422]
    assert responses[3].json()["error"]["code"] == "invalid_input"
    twice = {r.status_code: r for r in responses[4:]}  # the same platform item twice: the first written wins
    assert sorted(twice) == [201, 409] and twice[409].json()["error"]["code"] == "conflict"
    with Session(engine) as session:
        stored = session.exec(select(Complaint.summary).order_by(col(Complaint.id))).all()
        assert sorted(stored) == sorted([*(b["summary"] for b in bodies[:3]), twice[201].json()["summary"]])


def test_input_that_fails_its_checks_is_refused_before_it_waits_for_a_batch(served, monkeypatch):
    app, _, headers = served
    written = []
    monkeypatch.setattr(registration, "store", lambda **kwargs: written.append(kwargs) or [])
    responses = _run(_post_all(app, headers, [NEW | {"unit_code": "NOPE"}, NEW | {"category": "nope"}]))
    assert [r.status_code for r in responses] == [422, 422]
    assert written == [] and app.state.registrations.batches == 0


# --- the group commit itself -------------------------------------------------------------------------------


def test_a_failing_writer_fails_its_batch_only_and_a_cancelled_caller_is_not_written():
    async def scenario():
        release, batches = threading.Event(), []

        def write(batch):
            batches.append(list(batch))
            if len(batches) == 1:
                release.wait(5)
            if "boom" in batch:
                raise RuntimeError("the database went away")
            return [ValueError(entry) if entry.startswith("bad") else entry.upper() for entry in batch]

        group = GroupCommit(write, turns=lambda: None, max_batch=3)
        first = asyncio.create_task(group.submit("first"))
        await asyncio.sleep(0.05)  # the first batch is being written
        later = [asyncio.create_task(group.submit(name)) for name in ("a", "bad-b", "gone", "c", "boom", "d")]
        await asyncio.sleep(0.05)
        later[2].cancel()  # its caller went away while it waited
        release.set()
        results = await asyncio.gather(first, *later, return_exceptions=True)
        return batches, results

    batches, results = _run(scenario())
    assert batches == [["first"], ["a", "bad-b", "c"], ["boom", "d"]]  # at most three, in order, "gone" never
    first, a, bad, gone, c, boom, d = results
    assert (first, a, c) == ("FIRST", "A", "C")
    assert isinstance(bad, ValueError)  # its own outcome only
    assert isinstance(gone, asyncio.CancelledError)
    assert isinstance(boom, RuntimeError) and isinstance(d, RuntimeError)  # the failed batch, both of it


def test_a_drain_that_cannot_take_its_turn_fails_the_callers_rather_than_leaving_them_waiting():
    def no_turn():
        raise RuntimeError("the write turn belongs to another event loop")

    async def scenario():
        group = GroupCommit(lambda batch: list(batch), turns=no_turn)
        return await asyncio.wait_for(asyncio.gather(group.submit("a"), return_exceptions=True), 5)

    (outcome,) = _run(scenario())
    assert isinstance(outcome, RuntimeError)


def test_a_batch_that_loses_the_database_fails_every_request_in_it_at_once(served, monkeypatch):
    from sqlalchemy.exc import OperationalError

    app, engine, headers = served
    calls = []

    def store(**kwargs):  # the connection dropped under the batch: no row's fault
        calls.append(len(kwargs["rows"]))
        raise OperationalError("INSERT INTO complaint ...", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(registration, "store", store)
    sizes = _hold_the_first_batch_until(app, 5, monkeypatch)
    responses = _run(_post_all(app, headers, [NEW | {"summary": f"反映学校收取共建费{n}"} for n in range(5)]))

    assert [r.status_code for r in responses] == [503] * 5
    assert all(r.json()["error"]["code"] == "database_unavailable" for r in responses)
    assert sum(sizes) == 5 and calls == sizes  # each batch tried once, not again item by item
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Complaint)).one() == 0
