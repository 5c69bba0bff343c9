"""Running jobs: every run recorded, a failing job does not stop the others, a lock keeps two
schedulers from running the same job, and the scheduler runs a missed job once when it starts."""

import time
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete
from sqlmodel import Session, select

from complaints.clock import utcnow
from complaints.errors import NotFound
from complaints.jobs import registry
from complaints.jobs.locks import acquire_row, lock_key, release_row
from complaints.jobs.runner import run_all, run_job
from complaints.jobs.scheduler import JOBSTORE_TABLE, build_scheduler, execute
from complaints.models import JobRun

calls: list[str] = []


def _ok(*, session, runtime, now):
    calls.append("ok")
    return {"done": 1}


def _fail(*, session, runtime, now):
    calls.append("fail")
    raise RuntimeError("the export server is down")


@pytest.fixture
def test_jobs(engine):
    """Jobs registered for the test only; their runs are removed afterwards."""
    ids = {"test_ok": _ok, "test_fail": _fail, "test_tick": _ok}
    for job_id, function in ids.items():
        registry.job(job_id, trigger=IntervalTrigger(minutes=1), description=f"测试 {job_id}")(function)
    calls.clear()
    yield ids
    for job_id in ids:
        registry.JOBS.pop(job_id, None)
    with Session(engine) as session:
        session.exec(delete(JobRun).where(JobRun.job_id.in_(list(ids))))
        session.commit()


def runs(engine, job_id):
    with Session(engine) as session:
        return session.exec(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)).all()


def test_a_run_is_recorded_with_its_counts(runtime, engine, test_jobs):
    run = run_job("test_ok", runtime=runtime)
    [stored] = runs(engine, "test_ok")
    assert (run.status, stored.status, stored.counts) == ("ok", "ok", {"done": 1})
    assert stored.finished_at >= stored.started_at and stored.error is None


def test_a_failing_job_is_recorded_and_the_others_still_run(runtime, engine, test_jobs):
    results = run_all(runtime=runtime, job_ids=["test_fail", "test_ok"])
    assert [r.status for r in results] == ["failed", "ok"] and calls == ["fail", "ok"]
    [failed] = runs(engine, "test_fail")
    assert "the export server is down" in failed.error and failed.finished_at is not None


def test_an_unknown_job_is_refused(runtime):
    with pytest.raises(NotFound):
        run_job("no_such_job", runtime=runtime)


def test_the_lock_keeps_a_second_process_out(runtime, engine, test_jobs):
    if engine.dialect.name == "postgresql":
        with engine.connect() as other:  # another scheduler process holding the advisory lock
            other.exec_driver_sql(f"SELECT pg_advisory_lock({lock_key('test_ok')})")
            skipped = run_job("test_ok", runtime=runtime)
            other.exec_driver_sql(f"SELECT pg_advisory_unlock({lock_key('test_ok')})")
    else:
        assert acquire_row(engine, "test_ok", holder="other-host:1", ttl=timedelta(minutes=5))
        skipped = run_job("test_ok", runtime=runtime)
        release_row(engine, "test_ok", holder="other-host:1")
    assert skipped.status == "skipped" and calls == []
    assert run_job("test_ok", runtime=runtime).status == "ok" and calls == ["ok"]


def test_an_expired_lock_row_is_taken_over(engine, test_jobs):
    long_ago = utcnow() - timedelta(hours=5)
    assert acquire_row(engine, "test_ok", holder="crashed:1", ttl=timedelta(minutes=5), now=long_ago)
    assert not acquire_row(engine, "test_ok", holder="other:2", ttl=timedelta(minutes=5), now=long_ago)
    assert acquire_row(engine, "test_ok", holder="me:3", ttl=timedelta(minutes=5))
    release_row(engine, "test_ok", holder="me:3")


def test_scheduler_coalesces_missed_runs_and_keeps_stable_ids(runtime, test_jobs):
    scheduler = build_scheduler(runtime, blocking=False)
    defaults = scheduler._job_defaults
    assert defaults["coalesce"] is True and defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] >= 24 * 3600
    assert scheduler._jobstores["default"].__class__.__name__ == "SQLAlchemyJobStore"


def stored_while_down(runtime, *, next_run_time) -> None:
    """test_tick as the job store holds it after the scheduler was stopped, with its next run due."""
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    owner = BackgroundScheduler(timezone=runtime.settings.app.timezone)  # never started
    store = SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBSTORE_TABLE)
    store.start(owner, "default")
    store.remove_all_jobs()
    store.add_job(
        Job(
            owner,
            id="test_tick",
            func=execute,
            args=["test_tick"],
            kwargs={},
            name="测试 test_tick",
            trigger=IntervalTrigger(minutes=1, timezone=runtime.settings.app.timezone),
            executor="default",
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
            next_run_time=next_run_time,
        )
    )


def test_a_run_missed_while_down_runs_once_at_start(runtime, engine, test_jobs):
    stored_while_down(runtime, next_run_time=utcnow() - timedelta(minutes=10))  # ten runs missed
    scheduler = build_scheduler(runtime, blocking=False)
    scheduler.start()
    try:
        for _ in range(200):
            if runs(engine, "test_tick"):
                break
            time.sleep(0.05)
        assert scheduler.get_job("test_tick").next_run_time > utcnow()
        assert {job.id for job in scheduler.get_jobs()} >= {"sla_sweep", "daily_collection", "test_tick"}
    finally:
        scheduler.shutdown(wait=True)
    assert len(runs(engine, "test_tick")) == 1
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM {JOBSTORE_TABLE}")
