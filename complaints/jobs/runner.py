"""Running one job: its lock, its own session (committed or rolled back), and a JobRun record."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from complaints.clock import utcnow
from complaints.jobs.locks import claim_slot, job_lock
from complaints.jobs.registry import get_job
from complaints.models import JobRun
from complaints.runtime import Runtime

log = logging.getLogger("complaints.jobs")
ERROR_MAX = 8000


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Do `callback` only once the job's transaction is committed (e.g. move an imported file)."""
    session.info.setdefault("after_commit", []).append(callback)


def run_after_commit(session: Session) -> int:
    """Run the callbacks queued by after_commit; returns how many failed (each is logged)."""
    failed = 0
    for callback in session.info.pop("after_commit", []):
        try:
            callback()
        except Exception:  # noqa: BLE001 - the data is committed; report and go on with the others
            log.exception("after-commit step failed")
            failed += 1
    return failed


def run_job(job_id: str, *, runtime: Runtime, now: datetime | None = None, slot: datetime | None = None) -> JobRun:
    """Run `job_id` now unless another process is running it, or (a scheduled run, due at `slot`) another
    scheduler process already took that run; the outcome is recorded either way."""
    job = get_job(job_id)
    if slot is not None and not claim_slot(runtime.engine, job_id, slot.astimezone(UTC)):
        log.info("job %s: the run due at %s was taken by another scheduler; skipped", job_id, slot)
        return _record(runtime, JobRun(job_id=job_id, status="skipped", finished_at=utcnow(), counts={"slot_taken": 1}))
    lease = timedelta(seconds=runtime.settings.jobs.lock_lease_seconds)
    with job_lock(runtime.engine, job_id, lease=lease) as acquired:
        run = _record(runtime, JobRun(job_id=job_id, status="running" if acquired else "skipped"))
        if not acquired:
            log.info("job %s is running elsewhere; skipped", job_id)
            return _finish(runtime, run, status="skipped", counts=None, error=None)
        try:
            counts = _execute(job.function, runtime, now or utcnow())
        except Exception as exc:  # noqa: BLE001 - recorded; the scheduler goes on with the other jobs
            log.exception("job %s failed", job_id)
            error = "".join(traceback.format_exception(exc))[-ERROR_MAX:]
            return _finish(runtime, run, status="failed", counts=None, error=error)
        return _finish(runtime, run, status="ok", counts=counts, error=None)


def _execute(function, runtime: Runtime, now: datetime) -> dict[str, int]:
    with Session(runtime.engine, expire_on_commit=False) as session:
        try:
            counts = dict(function(session=session, runtime=runtime, now=now) or {})
            session.commit()
        except BaseException:
            session.rollback()
            session.info.pop("after_commit", None)
            raise
        failed = run_after_commit(session)
    if failed:
        counts["after_commit_failed"] = failed
    return counts


def _record(runtime: Runtime, run: JobRun) -> JobRun:
    with Session(runtime.engine, expire_on_commit=False) as session:
        session.add(run)
        session.commit()
    return run


def _finish(runtime: Runtime, run: JobRun, *, status: str, counts: dict | None, error: str | None) -> JobRun:
    run.status, run.counts, run.error, run.finished_at = status, counts, error, utcnow()
    return _record(runtime, run)


def run_all(*, runtime: Runtime, job_ids: list[str], now: datetime | None = None) -> list[JobRun]:
    """Several jobs one after another; a failing one is recorded and the others still run."""
    return [run_job(job_id, runtime=runtime, now=now) for job_id in job_ids]
