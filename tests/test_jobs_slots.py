"""Several scheduler processes share one database: each scheduled run happens once, a killed run does not
block its job, and jobs starting together create the system account once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete
from sqlmodel import Session, select

from complaints.clock import utcnow
from complaints.jobs import registry
from complaints.jobs.locks import acquire_row, release_row, renew_row
from complaints.jobs.runner import run_job
from complaints.jobs.scheduler import JOBSTORE_TABLE, build_scheduler
from complaints.jobs.system import system_user
from complaints.models import JobRun, JobSlot, User
from complaints.settings import load_settings

calls: list[str] = []
WAIT = 20.0  # seconds to wait for background runs before giving up (they take milliseconds)


def _tick(*, session, runtime, now):
    calls.append("tick")
    return {"done": 1}


@pytest.fixture
def tick_job(engine):
    """A job registered for the test only; its runs, slots and stored schedule are removed afterwards."""
    job_id = f"test_slot_{uuid.uuid4().hex[:6]}"
    registry.job(job_id, trigger=IntervalTrigger(minutes=1), description="测试 slot")(_tick)
    calls.clear()
    yield job_id
    registry.JOBS.pop(job_id, None)
    with Session(engine) as session:
        session.exec(delete(JobRun).where(JobRun.job_id == job_id))
        session.exec(delete(JobSlot).where(JobSlot.job_id == job_id))
        session.commit()
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM {JOBSTORE_TABLE}")


def statuses(engine, job_id) -> list[str]:
    with Session(engine) as session:
        return sorted(r.status for r in session.exec(select(JobRun).where(JobRun.job_id == job_id)))


def wait_for_runs(engine, job_id, count: int) -> list[str]:
    deadline = time.monotonic() + WAIT
    while (len(found := statuses(engine, job_id)) < count or "running" in found) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_two_schedulers_dispatching_one_due_run_run_it_once(runtime, engine, tick_job):
    schedulers = [build_scheduler(runtime, blocking=False) for _ in range(2)]
    for scheduler in schedulers:
        scheduler.start(paused=True)  # the registered jobs synchronised into the shared store, none run
    try:
        slot = utcnow().replace(microsecond=0) - timedelta(seconds=5)
        for scheduler in schedulers:  # what each scheduler does with a job its store says is due
            scheduler._lookup_executor("default").submit_job(scheduler.get_job(tick_job), [slot])
        assert wait_for_runs(engine, tick_job, 2) == ["ok", "skipped"] and calls == ["tick"]
        later = slot + timedelta(minutes=1)
        for scheduler in reversed(schedulers):
            scheduler._lookup_executor("default").submit_job(scheduler.get_job(tick_job), [later])
        assert wait_for_runs(engine, tick_job, 4) == ["ok", "ok", "skipped", "skipped"]
        assert calls == ["tick", "tick"]
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)


def test_runs_of_one_slot_started_at_the_same_moment_run_once(runtime, engine, tick_job):
    slot, start, results = utcnow(), threading.Barrier(4), []

    def run() -> None:
        start.wait()
        results.append(run_job(tick_job, runtime=runtime, slot=slot).status)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(results) == ["ok", "skipped", "skipped", "skipped"] and calls == ["tick"]
    assert run_job(tick_job, runtime=runtime).status == "ok"  # a run by hand (no slot) is not a slot's


HOLD_LOCK = """
import sys, time
from datetime import timedelta
from complaints.db import make_engine
from complaints.jobs.locks import job_lock
with job_lock(make_engine(sys.argv[1]), sys.argv[2], lease=timedelta(hours=2)) as held:
    print("held" if held else "busy", flush=True)
    time.sleep(600)
"""


def test_a_killed_run_does_not_block_its_job(database_url, runtime, engine, tick_job):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, database_url, tick_job], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert run_job(tick_job, runtime=runtime).status == "skipped"  # it is running elsewhere
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    assert run_job(tick_job, runtime=runtime).status == "ok" and calls == ["tick"]  # not two hours later


def test_a_lock_row_whose_lease_is_renewed_is_kept(engine):
    long_ago = utcnow() - timedelta(hours=5)
    assert acquire_row(engine, "test_lease", holder="elsewhere:1:a", ttl=timedelta(minutes=5), now=long_ago)
    assert renew_row(engine, "test_lease", holder="elsewhere:1:a", ttl=timedelta(minutes=5))
    assert not acquire_row(engine, "test_lease", holder="me:2:b", ttl=timedelta(minutes=5))
    assert not renew_row(engine, "test_lease", holder="me:2:b", ttl=timedelta(minutes=5))
    release_row(engine, "test_lease", holder="elsewhere:1:a")


def test_jobs_starting_together_create_the_system_account_once(database_url, engine):
    settings = load_settings(
        app={"environment": "test", "secret_key": "test-secret"},
        database={"url": database_url},
        routing={"system_username": f"system_{uuid.uuid4().hex[:8]}"},
    )
    start, ids, errors = threading.Barrier(4), [], []

    def start_job() -> None:
        try:
            with Session(engine) as session:
                start.wait()
                ids.append(system_user(session=session, settings=settings).id)
                session.commit()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start_job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    try:
        assert errors == [] and len(ids) == 4 and len(set(ids)) == 1
    finally:
        with Session(engine) as session:
            session.exec(delete(User).where(User.username == settings.routing.system_username))
            session.commit()
