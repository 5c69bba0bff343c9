"""APScheduler 3 with its job store in the application's database. `complaints scheduler` runs the
blocking one as its own process; `complaints serve` may run the background one in process.

The store keeps each job's next run, so runs missed while the scheduler was down are run once when
it starts (coalesce, a generous misfire grace time). Registered jobs whose trigger is unchanged are
left as stored for that reason; changed ones are replaced, and jobs no longer registered removed."""

from __future__ import annotations

import logging

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from complaints.jobs.registry import all_jobs
from complaints.runtime import Runtime

log = logging.getLogger("complaints.jobs")
JOBSTORE_TABLE = "apscheduler_jobs"
_runtimes: dict[str, Runtime] = {}  # the runtime each scheduler process runs its jobs with


def execute(job_id: str) -> None:
    """What the job store calls (by reference, so it can be stored): run one registered job."""
    from complaints.jobs.runner import run_job

    run_job(job_id, runtime=_runtimes["current"])


def job_defaults(runtime: Runtime) -> dict:
    return {"coalesce": True, "max_instances": 1, "misfire_grace_time": runtime.settings.jobs.misfire_grace_seconds}


def build_scheduler(runtime: Runtime, *, blocking: bool) -> BaseScheduler:
    """A scheduler whose jobs are synchronised with the registry when it starts."""
    _runtimes["current"] = runtime
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(jobstores={"default": SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBSTORE_TABLE)},
                     job_defaults=job_defaults(runtime), timezone=runtime.settings.app.timezone)
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
        scheduler.add_job(execute, trigger=trigger, args=[job.id], id=job.id, name=job.description,
                          replace_existing=True)
