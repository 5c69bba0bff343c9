"""The daily collection job: the drop folder, processed/ and rejected/ with a report."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select
from test_import_corpus import rows_12345, write_csv, write_xlsx

from complaints.clock import utcnow
from complaints.jobs.collection import daily_collection, source_for
from complaints.jobs.runner import run_after_commit
from complaints.models import Complaint
from complaints.runtime import Runtime
from complaints.settings import CollectionSettings

WORKDAY_NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Xinjiang offices


@pytest.fixture
def drop(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


@pytest.fixture
def collecting(runtime, engine, drop):
    settings = runtime.settings.model_copy(
        update={"collection": CollectionSettings(drop_folder=str(drop), settle_seconds=0)}
    )
    return Runtime(settings=settings, engine=engine)


def collect(session, runtime, now=None):
    counts = daily_collection(session=session, runtime=runtime, now=now or utcnow())
    run_after_commit(session)  # what the runner does once the job's transaction is committed
    return counts


def test_files_are_matched_to_their_source_by_name(runtime):
    assert source_for("12345工单-0603.xlsx", runtime.settings) == "hotline12345"
    assert source_for("信访登记.csv", runtime.settings) == "xinfang"
    assert source_for("liuyan_0603.CSV", runtime.settings) == "message_board"
    assert source_for("random.csv", runtime.settings) is None


def test_good_files_go_to_processed_bad_ones_to_rejected_with_a_report(session, collecting, drop):
    write_csv(drop / "12345-good.csv", rows_12345(3, base=WORKDAY_NOON))
    write_xlsx(drop / "12345-good.xlsx", rows_12345(2, start=100, base=WORKDAY_NOON))
    bad = rows_12345(2, start=200, base=WORKDAY_NOON)
    bad[1][1] = "不是日期"
    write_csv(drop / "12345-bad.csv", bad)
    write_csv(drop / "unknown.csv", rows_12345(1, start=300, base=WORKDAY_NOON))
    (drop / "12345.xls").write_bytes(b"old excel")
    counts = collect(session, collecting, WORKDAY_NOON)
    assert counts == {"files": 5, "imported": 2, "rejected": 3, "already_imported": 0, "created": 5}
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["12345-good.csv", "12345-good.xlsx"]
    rejected = drop / "rejected"
    assert sorted(p.name for p in rejected.iterdir() if not p.name.endswith(".report.txt")) == [
        "12345-bad.csv",
        "12345.xls",
        "unknown.csv",
    ]
    report = (rejected / "12345-bad.csv.report.txt").read_text(encoding="utf-8")
    assert "第 3 行（来电时间）：无法识别的日期：不是日期" in report and "数据库未作任何改动" in report
    assert "无法按文件名判断来源" in (rejected / "unknown.csv.report.txt").read_text(encoding="utf-8")
    assert "不支持的文件格式" in (rejected / "12345.xls.report.txt").read_text(encoding="utf-8")
    assert not any(p.is_file() for p in drop.iterdir())


def test_the_same_file_dropped_again_creates_nothing(session, collecting, drop):
    write_csv(drop / "12345-a.csv", rows_12345(3, base=WORKDAY_NOON))
    collect(session, collecting, WORKDAY_NOON)
    write_csv(drop / "12345-a.csv", rows_12345(3, base=WORKDAY_NOON))
    counts = collect(session, collecting, WORKDAY_NOON)
    assert counts["already_imported"] == 1 and counts["created"] == 0
    assert session.exec(select(func.count()).select_from(Complaint)).one() == 3
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["12345-a.1.csv", "12345-a.csv"]


def test_nothing_moves_until_the_rows_are_committed(session, collecting, drop):
    write_csv(drop / "12345-a.csv", rows_12345(1, base=WORKDAY_NOON))
    daily_collection(session=session, runtime=collecting, now=WORKDAY_NOON)
    assert (drop / "12345-a.csv").exists()  # the runner moves it after commit; a rollback leaves it for next time
    session.info.pop("after_commit")


def test_no_collection_on_a_day_off(session, collecting, drop):
    write_csv(drop / "12345-a.csv", rows_12345(1, base=WORKDAY_NOON))
    saturday = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    assert collect(session, collecting, saturday) == {"skipped_non_workday": 1}
    assert (drop / "12345-a.csv").exists()
