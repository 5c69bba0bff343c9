"""Importing a 12345 export of 50,000 rows through complaints.importing (check every row, then register
them all in one transaction), on a fresh SQLite database.

    python bench/bench_import.py [--rows 50000] [--small 10000] [--xlsx]

Prints seconds (target: under 15 s for 50,000 rows) and the peak Python memory (tracemalloc, in a
separate run since tracing slows Python down) for the small and the large file: flat memory means the
peak hardly grows with the number of rows."""

from __future__ import annotations

import argparse
import csv
import gc
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import fresh_sqlite
from sqlmodel import Session

from complaints.db import make_engine, upgrade
from complaints.importing.importer import import_file
from complaints.jobs.system import system_user
from complaints.runtime import Runtime
from complaints.settings import load_settings

HEADER = ["工单编号", "来电时间", "来电人", "来电号码", "诉求类型", "承办单位", "诉求标题", "诉求内容"]
UNITS = ["克州教育局", "阿图什市教育局", "阿克陶县教育局", "乌恰县教育局", "阿合奇县教科局"]
TOPICS = [
    "反映学校收取共建费",
    "咨询新建小区划片学校",
    "反映培训机构证书作为招生依据",
    "随迁子女入学材料审核",
    "举报学校违规设置重点班",
    "咨询网上报名系统无法提交",
]


def write_export(path: Path, rows: int, *, xlsx: bool = False) -> Path:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    records = (
        [
            f"GD{i:08d}",
            (now - timedelta(minutes=7 * i % 200_000)).strftime("%Y-%m-%d %H:%M"),
            "王丽",
            f"13{i % 9 + 1}{i:08d}",
            "投诉",
            UNITS[i % 5],
            f"{TOPICS[i % 6]}（{i}）",
            "家长来电反映：" + TOPICS[i % 6] + "，请求核实处理。" * 3,
        ]
        for i in range(rows)
    )
    if xlsx:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER)
        for record in records:
            sheet.append(record)
        book.save(path)
        return path
    with path.open("w", encoding="gb18030", newline="") as stream:  # as the platform exports it: GBK, no BOM
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows(records)
    return path


def run_import(path: Path, *, trace: bool) -> tuple[float, float, int]:
    """(seconds, peak MB or 0, items created) on a fresh database."""
    url = fresh_sqlite(f"import_{path.stem}")
    upgrade(url)
    engine = make_engine(url)
    runtime = Runtime.load(load_settings(database={"url": url}), engine)
    with Session(engine, expire_on_commit=False) as session:
        actor = system_user(session=session, settings=runtime.settings)
        session.commit()
        gc.collect()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        result = import_file(
            session=session, runtime=runtime, actor=actor, path=path, source_name="hotline12345", now=datetime.now(UTC)
        )
        session.commit()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
        if trace:
            tracemalloc.stop()
    engine.dispose()
    assert result.ok, result.problem or result.bad_rows[:3]
    return elapsed, peak, result.created


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--xlsx", action="store_true", help="an XLSX export instead of a GBK CSV")
    args = parser.parse_args()
    suffix = "xlsx" if args.xlsx else "csv"
    small = write_export(Path(f"/tmp/bench_export_{args.small}.{suffix}"), args.small, xlsx=args.xlsx)
    large = write_export(Path(f"/tmp/bench_export_{args.rows}.{suffix}"), args.rows, xlsx=args.xlsx)
    print(
        f"exports: {args.small:,} rows {small.stat().st_size / 2**20:.1f} MB, "
        f"{args.rows:,} rows {large.stat().st_size / 2**20:.1f} MB ({suffix})"
    )
    seconds, _, created = run_import(large, trace=False)
    print(
        f"import {args.rows:,} rows: {seconds:.1f} s ({created:,} items, {args.rows / seconds:,.0f} rows/s)"
        f"   target < 15 s"
    )
    small_seconds, _, _ = run_import(small, trace=False)
    print(f"import {args.small:,} rows: {small_seconds:.1f} s")
    _, small_peak, _ = run_import(small, trace=True)
    _, large_peak, _ = run_import(large, trace=True)
    print(
        f"peak Python memory: {small_peak:.1f} MB at {args.small:,} rows, {large_peak:.1f} MB at {args.rows:,} rows "
        f"(x{large_peak / small_peak:.2f} for x{args.rows / args.small:.0f} the rows)"
    )


if __name__ == "__main__":
    main()
