"""`complaints scheduler` and `complaints jobs list | run | runs`."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from sqlalchemy import inspect, text
from sqlmodel import col, select

from complaints.cli.common import domain_errors, echo_table, fail, state
from complaints.clock import utcnow
from complaints.i18n import gettext
from complaints.jobs.registry import all_jobs
from complaints.jobs.runner import run_job
from complaints.jobs.scheduler import JOBSTORE_TABLE, build_scheduler
from complaints.models import JobRun
from complaints.presenters import local_text

jobs_app = typer.Typer(help="定时任务", no_args_is_help=True)
STATUS = {"ok": "成功", "failed": "失败", "skipped": "跳过（他处运行中）", "running": "运行中"}


def register(app: typer.Typer) -> None:
    app.command("scheduler")(scheduler)
    app.add_typer(jobs_app, name="jobs")


def scheduler() -> None:
    """运行定时任务调度器（独立进程；Ctrl+C 停止）。"""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(gettext("调度器已启动，数据库：{url}", url=state.engine.url.render_as_string(hide_password=True)))
    try:
        build_scheduler(state.runtime, blocking=True).start()
    except (KeyboardInterrupt, SystemExit):
        typer.echo(gettext("调度器已停止"))


def _stored_next_runs() -> dict[str, datetime]:
    """Next runs as the scheduler's job store holds them (empty before the scheduler first ran)."""

    if not inspect(state.engine).has_table(JOBSTORE_TABLE):
        return {}
    with state.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")).all()
    return {r.id: datetime.fromtimestamp(r.next_run_time, UTC) for r in rows if r.next_run_time is not None}


@jobs_app.command("list")
def list_jobs() -> None:
    """列出全部定时任务：编号、说明、触发时间、下次运行、上次结果。"""

    tz, now, stored = state.settings.app.timezone, utcnow(), _stored_next_runs()
    rows = []
    with state.session() as session:
        for job in all_jobs():
            trigger = job.trigger_for(state.settings)
            upcoming = stored.get(job.id) or trigger.get_next_fire_time(None, now)
            last = session.exec(
                select(JobRun).where(col(JobRun.job_id) == job.id).order_by(col(JobRun.id).desc())
            ).first()
            last_text = f"{STATUS.get(last.status, last.status)} {local_text(last.started_at, tz)}" if last else "—"
            rows.append([job.id, job.description, str(trigger), local_text(upcoming, tz), last_text])
    echo_table(rows, ["编号", "说明", "触发", "下次运行", "上次运行"])


@jobs_app.command("run")
def run(name: str) -> None:
    """立即运行一个定时任务，打印结果。"""

    with domain_errors():
        result = run_job(name, runtime=state.runtime)
    typer.echo(f"{name}: {STATUS.get(result.status, result.status)} {result.counts or ''}".rstrip())
    if result.status == "failed":
        fail((result.error or "").strip().splitlines()[-1] if result.error else gettext("任务失败"))


@jobs_app.command("runs")
def runs(limit: int = typer.Option(20, min=1, max=500), job: str = typer.Option(None, help="只看该任务")) -> None:
    """最近的运行记录。"""
    tz = state.settings.app.timezone
    with state.session() as session:
        query = select(JobRun).order_by(col(JobRun.id).desc()).limit(limit)
        if job:
            query = query.where(JobRun.job_id == job)
        found = session.exec(query).all()
        rows = [
            [
                r.id,
                r.job_id,
                STATUS.get(r.status, r.status),
                local_text(r.started_at, tz),
                f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "—",
                _counts(r.counts),
                (r.error or "").strip().splitlines()[-1][:60] if r.error else "",
            ]
            for r in found
        ]
    echo_table(rows, ["#", "任务", "结果", "开始", "用时", "计数", "错误"])


def _counts(counts: dict | None) -> str:
    return " ".join(f"{k}={v}" for k, v in (counts or {}).items())
