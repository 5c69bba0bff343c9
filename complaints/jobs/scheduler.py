"""APScheduler 3 with its job store in the application's database. `complaints scheduler` runs the
blocking one as its own process; `complaints serve` may run the background one in process.

Every scheduler process sharing the store dispatches each due job; the run claims its slot (job id, due
time) in `jobslot`, so one slot runs once however many schedulers there are (see jobs/locks.py).

The store keeps each job's next run, so runs missed while the scheduler was down are run once when
it starts (coalesce, a generous misfire grace time). Registered jobs whose trigger is unchanged are
left as stored for that reason; changed ones are replaced, and jobs no longer registered removed."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import datetime

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from complaints.jobs.registry import all_jobs
from complaints.jobs.runner import run_job as run_registered_job
from complaints.runtime import Runtime

log = logging.getLogger("complaints.jobs")
JOBSTORE_TABLE = "apscheduler_jobs"
_runtimes: dict[str, Runtime] = {}  # the runtime each scheduler process runs its jobs with


_slot: ContextVar[datetime | None] = ContextVar("job_slot", default=None)


def execute(job_id: str) -> None:
    """What the job store calls (by reference, so it can be stored): run one registered job, for the
    scheduled time the executor is running (claimed once across scheduler processes)."""
    run_registered_job(job_id, runtime=_runtimes["current"], slot=_slot.get())


def _run_in_slots(job, jobstore_alias: str, run_times: list[datetime], logger_name: str) -> list:
    """APScheduler's run_job, one scheduled time at a time, with that time visible to `execute`."""
    events = []
    for run_time in run_times:
        token = _slot.set(run_time)
        try:
            events.extend(run_job(job, jobstore_alias, [run_time], logger_name))
        finally:
            _slot.reset(token)
    return events


class SlotExecutor(ThreadPoolExecutor):
    """APScheduler's thread pool executor, except that each run knows the scheduled time it is for: every
    scheduler process sharing the job store dispatches a due job, and the slot decides which one runs it."""

    def _do_submit_job(self, job, run_times) -> None:
        def done(future) -> None:
            if future.cancelled():  # the scheduler shut down before the run started
                return
            error = future.exception()
            if error is not None:
                self._run_job_error(job.id, error, error.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        future = self._pool.submit(_run_in_slots, job, job._jobstore_alias, run_times, self._logger.name)
        future.add_done_callback(done)


def job_defaults(runtime: Runtime) -> dict:
    return {"coalesce": True, "max_instances": 1, "misfire_grace_time": runtime.settings.jobs.misfire_grace_seconds}


def build_scheduler(runtime: Runtime, *, blocking: bool) -> BaseScheduler:
    """A scheduler whose jobs are synchronised with the registry when it starts."""
    _runtimes["current"] = runtime
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        jobstores={"default": SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBSTORE_TABLE)},
        executors={"default": SlotExecutor()},
        job_defaults=job_defaults(runtime),
        timezone=runtime.settings.app.timezone,
    )
    scheduler.add_listener(lambda _event: sync_jobs(scheduler, runtime), EVENT_SCHEDULER_STARTED)
    return scheduler


def sync_jobs(scheduler: BaseScheduler, runtime: Runtime) -> None:
    """Add or replace the registered jobs (stable ids) and drop stored ones no longer registered."""
    registered = {job.id: job for job in all_jobs()}
    for stored in scheduler.get_jobs():
        if stored.id not in registered:
            log.info("removing job %s: no longer registered", stored.id)
            scheduler.remove_job(stored.id)
    for job in registered.values():
        trigger = job.trigger_for(runtime.settings)
        stored = scheduler.get_job(job.id)
        if stored is not None and str(stored.trigger) == str(trigger) and stored.name == job.description:
            continue  # keep its stored next run: a run missed while down still happens (once)
        scheduler.add_job(
            execute, trigger=trigger, args=[job.id], id=job.id, name=job.description, replace_existing=True
        )
