"""The scheduler's named jobs. Every module of this package is imported here, so a job exists as soon
as its module does (no hand-kept list); see registry.py."""

from __future__ import annotations

import importlib
import pkgutil

from complaints.jobs.registry import JOBS, Job, all_jobs, get_job, job

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["JOBS", "Job", "all_jobs", "get_job", "job"]
