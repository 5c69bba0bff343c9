"""One registry of named jobs. Each job is a plain function, callable directly from tests:

@job("sla_sweep", trigger=every_minutes(lambda s: s.jobs.sla_sweep_minutes), description="…")
def sla_sweep(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeAlias

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from complaints.errors import NotFound
from complaints.i18n import gettext
from complaints.runtime import Runtime
from complaints.settings import Settings


class JobFunction(Protocol):
    __qualname__: str

    def __call__(self, *, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]: ...


TriggerSpec: TypeAlias = BaseTrigger | Callable[[Settings], BaseTrigger]


@dataclass(frozen=True)
class Job:
    id: str
    function: JobFunction
    trigger: TriggerSpec
    description: str

    def trigger_for(self, settings: Settings) -> BaseTrigger:
        """The trigger; a callable one is built from the deployment's settings."""
        return self.trigger if isinstance(self.trigger, BaseTrigger) else self.trigger(settings)


JOBS: dict[str, Job] = {}


def job(job_id: str, *, trigger: TriggerSpec, description: str) -> Callable[[JobFunction], JobFunction]:
    """Record the decorated function as the job `job_id` (ids are stable: the job store keys on them)."""

    def record(function: JobFunction) -> JobFunction:
        existing = JOBS.get(job_id)
        if existing is not None and existing.function is not function:
            raise ValueError(f"job id {job_id!r} is already registered by {existing.function.__qualname__}")
        JOBS[job_id] = Job(id=job_id, function=function, trigger=trigger, description=description)
        return function

    return record


def get_job(job_id: str) -> Job:
    found = JOBS.get(job_id)
    if found is None:
        raise NotFound(
            gettext("未知任务：{job}；可选：{valid}", job=job_id[:64], valid=", ".join(sorted(JOBS))), field="job"
        )
    return found


def all_jobs() -> list[Job]:
    return [JOBS[key] for key in sorted(JOBS)]


def every_minutes(minutes: Callable[[Settings], int]) -> Callable[[Settings], BaseTrigger]:
    """An interval trigger whose period comes from settings."""
    return lambda settings: IntervalTrigger(minutes=minutes(settings), timezone=settings.app.timezone)


def daily_at(clock_time: Callable[[Settings], str]) -> Callable[[Settings], BaseTrigger]:
    """A cron trigger at a local "HH:MM" from settings, every day (jobs skip non-working days themselves:
    China's working days include 调休 weekends that no cron expression knows)."""

    def build(settings: Settings) -> BaseTrigger:
        hour, minute = clock_time(settings).split(":")
        return CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.app.timezone)

    return build
