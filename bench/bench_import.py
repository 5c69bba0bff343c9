"""Importing a 12345 export of 50,000 rows through complaints.importing (check every row, register them
all in one transaction), on a fresh SQLite database, against a raw insert of the same rows.

    python bench/bench_import.py [--rows 50000] [--small 10000] [--xlsx]

The baseline, in the same run: the very rows the import stored (its items and their first events, read back
from its database beforehand) written into a fresh database of the same schema with the driver's own
executemany, in one transaction: the database's share of the work alone, with nothing read, checked or
computed. Target: the import at least 0.5x the raw insert's rows per second; the exit status is 1 when
it is missed. Also the peak Python memory (tracemalloc, in a separate run since tracing slows Python down)
for the small and the large file: flat memory means the peak hardly grows with the number of rows."""

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
from sqlalchemy import text
from sqlmodel import Session

from complaints.db import make_engine, upgrade
from complaints.importing.importer import import_file
from complaints.jobs.system import system_user
from complaints.runtime import Runtime
from complaints.settings import load_settings

TARGET_RATIO = 0.5
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


def run_import(path: Path, *, trace: bool) -> tuple[float, float, int, str]:
    """(seconds, peak MB or 0, items created, the database's URL) on a fresh database."""
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
    return elapsed, peak, result.created, url


def raw_insert(imported_url: str) -> tuple[float, int]:
    """(seconds, rows) to write the rows the import stored into a fresh database with plain executemany."""
    source = make_engine(imported_url)
    tables = ("complaint", "event")
    with source.connect() as connection:
        users = connection.execute(text('SELECT * FROM "user"')).all()
        user_columns = list(connection.execute(text('SELECT * FROM "user" LIMIT 1')).keys())
        stored = {}
        for table in tables:
            result = connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            stored[table] = (list(result.keys()), [tuple(row) for row in result])
    source.dispose()
    url = fresh_sqlite("import_raw")
    upgrade(url)
    engine = make_engine(url)  # the app's own connection settings (WAL, synchronous, foreign keys)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("DELETE FROM user")
        cursor.executemany(_insert_sql("user", user_columns), users)
        raw.commit()
        started = time.perf_counter()
        cursor.execute("BEGIN")
        for table in tables:
            columns, rows = stored[table]
            cursor.executemany(_insert_sql(table, columns), rows)
        raw.commit()
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()
    return elapsed, sum(len(rows) for _, rows in stored.values())


def _insert_sql(table: str, columns: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'


def main() -> int:
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
    seconds, _, created, url = run_import(large, trace=False)
    raw_seconds, raw_rows = raw_insert(url)
    ratio = raw_seconds / seconds
    print(
        f"import {args.rows:,} rows: {seconds:.2f} s ({created:,} items, {args.rows / seconds:,.0f} rows/s)\n"
        f"baseline: raw executemany of the same {created:,} items and their events ({raw_rows:,} rows): "
        f"{raw_seconds:.2f} s ({created / raw_seconds:,.0f} items/s)\n"
        f"import / raw insert: {ratio:.2f}x   target >= {TARGET_RATIO}x: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    small_seconds, _, _, _ = run_import(small, trace=False)
    print(f"import {args.small:,} rows: {small_seconds:.1f} s")
    _, small_peak, _, _ = run_import(small, trace=True)
    _, large_peak, _, _ = run_import(large, trace=True)
    print(
        f"peak Python memory: {small_peak:.1f} MB at {args.small:,} rows, {large_peak:.1f} MB at {args.rows:,} rows "
        f"(x{large_peak / small_peak:.2f} for x{args.rows / args.small:.0f} the rows)"
    )
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
