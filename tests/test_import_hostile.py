"""The hostile corpus through the daily collection and the command line, an import all or nothing even when
the session around it is rolled back, and two overlapping files imported at the same moment."""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from test_import_corpus import HOSTILE, HOSTILE_LIMITS, hostile_runtime, rows_12345, write_csv, write_xlsx
from typer.testing import CliRunner

from complaints import statcounts
from complaints.errors import InvalidInput
from complaints.importing import importer as importer_module
from complaints.importing.importer import import_file
from complaints.jobs.collection import daily_collection
from complaints.jobs.runner import run_after_commit, run_job
from complaints.jobs.system import system_user
from complaints.models import Complaint, Event, ImportedFile, JobRun, User
from complaints.services.people import add_user

WORKDAY_NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday


def drop_folder(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def in_order(*paths):
    """Give the files increasing modification times: the collection takes the oldest first."""
    for n, path in enumerate(paths):
        os.utime(path, (1_700_000_000 + n, 1_700_000_000 + n))


def test_the_collection_takes_the_good_files_around_every_hostile_one(session, runtime, engine, tmp_path):
    drop = drop_folder(tmp_path)
    collecting = hostile_runtime(runtime, engine, drop_folder=str(drop), settle_seconds=0)
    first = write_csv(drop / "12345-first.csv", rows_12345(3, base=WORKDAY_NOON))
    hostile = {name: build(drop, WORKDAY_NOON) for name, (build, _) in HOSTILE.items()}
    last = write_xlsx(drop / "12345-last.xlsx", rows_12345(2, start=500, base=WORKDAY_NOON))
    in_order(first, *hostile.values(), last)
    counts = daily_collection(session=session, runtime=collecting, now=WORKDAY_NOON)
    run_after_commit(session)
    assert counts == {
        "files": len(HOSTILE) + 2,
        "imported": 2,
        "rejected": len(HOSTILE),
        "already_imported": 0,
        "created": 5,
    }
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["12345-first.csv", "12345-last.xlsx"]
    for name, path in hostile.items():
        report = (drop / "rejected" / f"{path.name}.report.txt").read_text(encoding="utf-8")
        assert HOSTILE[name][1] in report and "数据库未作任何改动" in report, (name, report)
    assert not any(p.is_file() for p in drop.iterdir())
    assert session.exec(select(func.count()).select_from(Complaint)).one() == 5


def test_cleaned_cells_are_reported_beside_the_imported_file(session, runtime, engine, tmp_path):
    drop = drop_folder(tmp_path)
    rows = rows_12345(2, base=WORKDAY_NOON)
    rows[0][0] = "GD\x000000001"
    write_csv(drop / "12345-nul.csv", rows)
    collecting = hostile_runtime(runtime, engine, drop_folder=str(drop), settle_seconds=0)
    assert daily_collection(session=session, runtime=collecting, now=WORKDAY_NOON)["imported"] == 1
    run_after_commit(session)
    report = (drop / "processed" / "12345-nul.csv.report.txt").read_text(encoding="utf-8")
    assert "已导入，新建 2 件" in report and "第 2 行（工单编号）：已删除控制字符 U+0000" in report


# ---------------------------------------------------------------- committed: real sessions, cleaned up after


@dataclass
class Committed:
    engine: object
    prefix: str
    actor: User

    def rows(self, n: int, start: int = 1) -> list[list[str]]:
        return rows_12345(n, start=start, prefix=self.prefix, base=WORKDAY_NOON)

    def count(self) -> int:
        with Session(self.engine) as check:
            return check.exec(
                select(func.count()).select_from(Complaint).where(Complaint.external_ref.startswith(self.prefix))
            ).one()


@pytest.fixture
def committed(engine, settings):
    prefix = f"T{uuid.uuid4().hex[:6].upper()}"
    with Session(engine, expire_on_commit=False) as setup:
        actor = add_user(
            session=setup,
            settings=settings,
            actor=None,
            username=f"imp_{prefix.lower()}",
            name="导入员",
            unit_code="KZ",
            roles=["operator", "supervisor"],
            password="import-pass-2026",
        )
        system_before = setup.exec(select(User.id).where(User.username == settings.routing.system_username)).first()
        files_before = setup.exec(select(func.max(ImportedFile.id))).one() or 0
        runs_before = setup.exec(select(func.max(JobRun.id))).one() or 0
        system_user(session=setup, settings=settings)  # there already: the job's first write is a file's
        setup.commit()
    yield Committed(engine, prefix, actor)
    with Session(engine) as cleanup:
        ids = select(Complaint.id).where(Complaint.external_ref.startswith(prefix))
        cleanup.exec(delete(Event).where(Event.complaint_id.in_(ids)))
        cleanup.exec(delete(Complaint).where(Complaint.external_ref.startswith(prefix)))
        cleanup.exec(delete(ImportedFile).where(ImportedFile.id > files_before))
        cleanup.exec(delete(JobRun).where(JobRun.id > runs_before))
        gone = [actor.id]
        if system_before is None:
            gone += cleanup.exec(select(User.id).where(User.username == settings.routing.system_username)).all()
        cleanup.exec(delete(User).where(User.id.in_(gone)))
        statcounts.rebuild(cleanup, settings.app.timezone)  # the kept counts lose the rows deleted here
        cleanup.commit()


def import_alone(engine, runtime, actor, path):
    """One import in a session of its own, committed, as the command line does it."""
    with Session(engine, expire_on_commit=False) as session:
        result = import_file(
            session=session,
            runtime=runtime,
            actor=session.get(User, actor.id),
            path=path,
            source_name="hotline12345",
            now=WORKDAY_NOON,
        )
        session.commit()
    return result


def test_an_import_is_undone_with_the_session_around_it(engine, runtime, tmp_path, committed):
    path = write_csv(tmp_path / "12345-a.csv", committed.rows(3))
    with Session(engine) as session:
        result = import_file(
            session=session,
            runtime=runtime,
            actor=session.get(User, committed.actor.id),
            path=path,
            source_name="hotline12345",
            now=WORKDAY_NOON,
        )
        assert result.ok and result.created == 3
        session.rollback()  # SQLite: the file's savepoint must not have been the outermost transaction
    assert committed.count() == 0
    assert import_alone(engine, runtime, committed.actor, path).created == 3 and committed.count() == 3


def test_two_overlapping_files_imported_at_the_same_moment(engine, runtime, tmp_path, committed):
    first = write_csv(tmp_path / "12345-a.csv", committed.rows(30))
    second = write_csv(tmp_path / "12345-b.csv", committed.rows(30, start=21))
    barrier = threading.Barrier(2)

    def run(path):
        barrier.wait()
        return import_alone(engine, runtime, committed.actor, path)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, [first, second]))
    assert all(r.ok for r in results), [r.problem for r in results]
    assert sorted((r.created, r.existing) for r in results) == [(20, 10), (30, 0)]
    assert committed.count() == 50


def test_the_same_file_twice_at_the_same_moment_is_imported_once(engine, runtime, tmp_path, committed):
    path = write_csv(tmp_path / "12345-a.csv", committed.rows(5))
    barrier = threading.Barrier(2)

    def run(_):
        barrier.wait()
        return import_alone(engine, runtime, committed.actor, path)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, range(2)))
    assert sorted(r.ok for r in results) == [False, True] and committed.count() == 5
    assert [r.already_imported for r in results if not r.ok] == [True]


def fail_on(monkeypatch, marker: str, error: Exception):
    """Registering the second batch of the file named `marker` fails, after its first batch was written."""
    real, calls = importer_module.register_many, {"n": 0}

    def flaky(*, rows, **kwargs):
        if rows and rows[0]["external_ref"].endswith(marker):
            calls["n"] += 1
            if calls["n"] == 2:
                raise error
        return real(rows=rows, **kwargs)

    monkeypatch.setattr(importer_module, "register_many", flaky)


def collect_for_real(runtime, engine, drop, committed, monkeypatch, error):
    drop.mkdir()
    good = write_csv(drop / "12345-good.csv", committed.rows(3))
    failing = committed.rows(1500, start=100)
    for row in failing:
        row[0] = f"{row[0]}X"  # the marker
    broken = write_csv(drop / "12345-broken.csv", failing)
    in_order(good, broken)
    fail_on(monkeypatch, "X", error)
    collecting = hostile_runtime(runtime, engine, drop_folder=str(drop), settle_seconds=0)
    return run_job("daily_collection", runtime=collecting, now=WORKDAY_NOON)


def test_a_file_failing_half_way_leaves_nothing_and_the_file_before_it_stays(
    runtime, engine, tmp_path, committed, monkeypatch
):
    drop = tmp_path / "drop"
    run = collect_for_real(runtime, engine, drop, committed, monkeypatch, InvalidInput("编号重复", field="x"))
    assert run.status == "ok" and run.counts["imported"] == 1 and run.counts["rejected"] == 1
    assert committed.count() == 3
    report = (drop / "rejected" / "12345-broken.csv.report.txt").read_text(encoding="utf-8")
    assert "导入失败，已全部撤销：编号重复" in report
    assert [p.name for p in (drop / "processed").iterdir()] == ["12345-good.csv"]


def test_a_failed_run_commits_none_of_its_files(runtime, engine, tmp_path, committed, monkeypatch):
    drop = tmp_path / "drop"
    lost = OperationalError("INSERT", {}, Exception("database is locked"))
    run = collect_for_real(runtime, engine, drop, committed, monkeypatch, lost)
    assert run.status == "failed" and "database is locked" in run.error
    assert committed.count() == 0  # the good file's rows went with the run
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == ["12345-broken.csv", "12345-good.csv"]


@pytest.mark.slow  # about 10-40 s on two cores; left out by make test-fast
def test_the_command_line_refuses_each_hostile_file_and_imports_a_good_one(
    database_url, committed, tmp_path, monkeypatch
):
    from complaints.cli import app

    monkeypatch.setenv("COMPLAINTS_DATABASE__URL", database_url)
    for key, value in HOSTILE_LIMITS.items():
        monkeypatch.setenv(f"COMPLAINTS_COLLECTION__{key.upper()}", str(value))
    runner = CliRunner()

    def run(path):
        return runner.invoke(app, ["--as", committed.actor.username, "import", str(path), "--source", "hotline12345"])

    for name, (build, words) in HOSTILE.items():
        refused = run(build(tmp_path, None))
        assert refused.exit_code == 1 and words in refused.output and "未导入" in refused.output, (name, refused.output)
    rows = rows_12345(3, prefix=committed.prefix)
    rows[1][0] += "\x07"
    done = run(write_csv(tmp_path / "12345-good.csv", rows))
    assert done.exit_code == 0, done.output
    assert "新建 3 件" in done.output and "第 3 行（工单编号）：已删除控制字符 U+0007" in done.output
    assert committed.count() == 3
