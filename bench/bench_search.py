"""The search box over 1,000,000 items on SQLite and (with --postgres URL) PostgreSQL: words (two-character
Chinese words, longer ones, two words together), a whole phone number and its last four digits, each the first
page of 50 with the total count, through complaints.services.queries.list_complaints.

    python bench/bench_search.py [--n 1000000] [--queries 100] [--postgres postgresql+psycopg://postgres@127.0.0.1/test]

Target: p95 under 100 ms for text and for phone searches, for each person and database; the script exits 1 on a
miss. Baseline in the same run, on the same data: the same pages found by `LIKE '%…%'` over summary and details
(phone: over the phone column), with the ratio of its median to the search's."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime

from _common import fresh_sqlite, median, percentile
from sqlalchemy import and_, create_engine, func, or_, select, text
from sqlmodel import Session

from complaints.db import make_engine, upgrade
from complaints.models import Complaint, User
from complaints.runtime import Runtime
from complaints.searchkeys import keys, who_keys
from complaints.services import queries
from complaints.settings import load_settings

PLACES = [
    "阿图什",
    "阿克陶",
    "乌恰",
    "阿合奇",
    "克州",
    "城关",
    "光明",
    "团结",
    "幸福",
    "育才",
    "红旗",
    "胜利",
    "友谊",
    "建设",
    "和平",
    "新城",
    "东风",
    "园丁",
    "实验",
    "明德",
]
KINDS = ["第一小学", "第二小学", "第三中学", "实验学校", "幼儿园"]
ISSUES = [
    "违规收费",
    "择校费",
    "划片范围",
    "学籍转移",
    "校车安全",
    "食堂菜价",
    "补课收费",
    "招生名额",
    "户籍入学",
    "随迁子女",
    "民办摇号",
    "插班生",
    "教辅资料",
    "校服价格",
    "课后服务",
    "体罚学生",
    "网上报名",
    "资格审核",
    "入学年龄",
    "多校划片",
    "学区房",
    "借读费",
    "赞助费",
    "共建费",
    "考试招生",
    "特长生",
    "转学手续",
    "住宿费",
    "营养餐",
    "控辍保学",
    "残疾儿童",
    "少数民族班",
    "双语教学",
    "教师家访",
    "作业负担",
    "校园欺凌",
    "交通安全",
    "学位不足",
    "分班不公",
    "招生简章",
    "政策咨询",
    "报名材料",
    "房产证明",
    "居住证",
    "社保证明",
    "新生体检",
    "疫苗接种",
    "录取结果",
    "公示名单",
    "调剂学校",
    "就近入学",
    "跨区入学",
    "复学申请",
    "休学申请",
    "重点班",
    "收取押金",
    "代收费用",
    "培训机构",
    "午休收费",
    "延时服务",
    "暑期托管",
]
DETAILS = [
    "家长反映孩子入学时被要求缴纳费用",
    "群众来电称学校未按规定公示",
    "诉求人希望尽快答复处理结果",
    "来信反映有关情况属实请求核查",
    "家长称多次沟通无果要求督办",
    "咨询今年的具体政策和办理时间",
    "反映学校工作人员态度生硬",
    "要求教育局依法依规处理",
    "希望相关部门加强监管",
]
SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "阿不都",
    "买买提",
    "古丽",
]
GIVEN = [
    "丽",
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "海燕",
    "江",
]
UNITS = ["KZ", "ATS", "AKT", "WQ", "AHQ"]


def _parts() -> dict[str, list[tuple[int, str, str]]]:
    schools = [p + k for p in PLACES for k in KINDS]
    names = [s + g for s in SURNAMES for g in GIVEN]
    return {
        "bench_school": [(i, s, " ".join(keys(s))) for i, s in enumerate(schools)],
        "bench_issue": [(i, "反映" + s, " ".join(keys("反映" + s))) for i, s in enumerate(ISSUES)],
        "bench_detail": [(i, s, " ".join(keys(s))) for i, s in enumerate(DETAILS)],
        "bench_name": [(i, s, who_keys(s, None)) for i, s in enumerate(names)],
    }


_SERIES = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) ",
    "postgresql": "WITH n(i) AS (SELECT generate_series(1, :n)) ",
}
_EXPR = {
    "sqlite": {
        "unit": "CASE i % 5 WHEN 0 THEN 'KZ' WHEN 1 THEN 'ATS' WHEN 2 THEN 'AKT' WHEN 3 THEN 'WQ' ELSE 'AHQ' END",
        "number": "printf('%07d', i)",
        "phone": "'13' || substr('000000000' || ((i * 7919 + 12345) % 1000000000), -9)",
        "at": "strftime('%Y-%m-%d %H:%M:%S', :start, '-' || ((i * 7919) % 525600) || ' minutes') || '.000000'",
        "last4": "substr(phone, -4)",
        "true": "1",
        "false": "0",
    },
    "postgresql": {
        "unit": "(ARRAY['KZ','ATS','AKT','WQ','AHQ'])[1 + i % 5]",
        "number": "lpad(i::text, 7, '0')",
        "phone": "'13' || lpad(((i::bigint * 7919 + 12345) % 1000000000)::text, 9, '0')",
        "at": "CAST(:start AS timestamptz) - ((i::bigint * 7919) % 525600) * interval '1 minute'",
        "last4": "right(phone, 4)",
        "true": "true",
        "false": "false",
    },
}


def _insert_sql(dialect: str, counts: dict[str, int]) -> str:
    e = _EXPR[dialect]
    return (
        _SERIES[dialect]
        + f"""
, g AS (SELECT i, {e["unit"]} AS unit, {e["phone"]} AS phone, {e["at"]} AS at FROM n)
INSERT INTO complaint (tracking_no, unit_code, channel, kind, track, urgency, category, received_at, registered_at,
  registered_unit_code, summary, details, school, complainant_name, complainant_phone, status, is_open,
  handling_notes, result_text, remarks, version, updated_at, confidential, anonymous, due_provisional,
  extension_count, review_round, search_text, search_who)
SELECT g.unit || '-2026-' || {e["number"]}, g.unit, 'call', 'complaint', 'hotline', 'normal', 'fees', g.at, g.at,
  g.unit, s.name || i.name, d.name, s.name, m.name, g.phone, 'closed', {e["false"]}, '', '', '', 1, g.at,
  CASE WHEN g.i % 20 = 0 THEN {e["true"]} ELSE {e["false"]} END, {e["false"]}, {e["false"]}, 0, 0,
  s.keys || ' ' || i.keys || ' ' || d.keys, m.keys || ' p' || {e["last4"].replace("phone", "g.phone")}
FROM g
JOIN bench_school s ON s.idx = g.i % {counts["bench_school"]}
JOIN bench_issue i ON i.idx = (g.i / 7) % {counts["bench_issue"]}
JOIN bench_detail d ON d.idx = (g.i / 3) % {counts["bench_detail"]}
JOIN bench_name m ON m.idx = (g.i / 11) % {counts["bench_name"]}
"""
    )


def populate(engine, n: int, now: datetime) -> None:
    dialect = engine.dialect.name
    parts = _parts()
    with engine.begin() as connection:
        for name, rows in parts.items():
            connection.exec_driver_sql(f"CREATE TABLE {name} (idx INTEGER PRIMARY KEY, name TEXT, keys TEXT)")
            connection.execute(
                text(f"INSERT INTO {name} VALUES (:i, :n, :k)"), [{"i": i, "n": s, "k": k} for i, s, k in rows]
            )
        # the index is filled once after the load, as a restore would, rather than row by row
        if dialect == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER complaint_fts_ai")
        else:
            connection.exec_driver_sql("DROP INDEX ix_complaint_search_text")
            connection.exec_driver_sql("DROP INDEX ix_complaint_search_who")
        start = now if dialect == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S")
        connection.execute(text(_insert_sql(dialect, {k: len(v) for k, v in parts.items()})), {"n": n, "start": start})
        for name in parts:
            connection.exec_driver_sql(f"DROP TABLE {name}")
    _reindex(engine)


def _reindex(engine) -> None:
    from importlib import import_module

    migration = import_module("migrations.versions.2026_12_01_f3b9c1d7a2e4_search_keys")
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("INSERT INTO complaint_fts(complaint_fts) VALUES ('rebuild')")
            connection.exec_driver_sql(f"CREATE TRIGGER complaint_fts_ai {migration.TRIGGERS['complaint_fts_ai']}")
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("SET maintenance_work_mem = '256MB'")
            for name, column in migration.PG_INDEXES.items():
                connection.exec_driver_sql(
                    f"CREATE INDEX {name} ON complaint USING gin (array_to_tsvector(string_to_array({column}, ' ')))"
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE complaint")


def _queries(rng: random.Random, count: int) -> dict[str, list[str]]:
    text_queries = [rng.choice(ISSUES)[:2] for _ in range(count // 4)]  # 收费, 择校…: two-character words
    text_queries += [rng.choice(ISSUES) for _ in range(count // 4)]
    text_queries += [f"{rng.choice(PLACES)} {rng.choice(ISSUES)}" for _ in range(count // 2)]
    phones = [f"13{(i * 7919 + 12345) % 1_000_000_000:09d}" for i in rng.sample(range(1, 1_000_000), count // 2)]
    return {"text": text_queries, "phone": phones + [p[-4:] for p in phones]}


def _like_page(session, query: str, kind: str):
    where = (
        and_(*(or_(Complaint.summary.like(f"%{word}%"), Complaint.details.like(f"%{word}%")) for word in query.split()))
        if kind == "text"
        else Complaint.complainant_phone.like(f"%{query}")
    )
    rows = session.exec(select(Complaint).where(where).order_by(Complaint.received_at.desc()).limit(50)).all()
    return rows, session.exec(select(func.count()).select_from(Complaint).where(where)).one()


TARGET_MS = 100.0


def bench(url: str, args) -> list[str]:
    """Runs the searches; returns the misses (kind, person, p95)."""
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    populate(engine, args.n, now)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"[{engine.dialect.name}] {args.n} items loaded and indexed in {time.perf_counter() - started:.0f} s "
        f"(load {load})"
    )
    runtime = Runtime.load(load_settings(database={"url": url}), engine)
    searches = _queries(random.Random(7), args.queries)
    with Session(engine, expire_on_commit=False) as session:
        people = {
            "prefecture": User(username="sup_kz", name="督办", unit_code="KZ", roles="supervisor"),
            "county": User(username="sup_ats", name="督办", unit_code="ATS", roles="supervisor"),
        }
        session.add_all(people.values())
        session.commit()
        misses, medians = [], {}
        for kind, batch in searches.items():
            for who, user in people.items():
                times, totals = [], []
                for query in batch:
                    t = time.perf_counter()
                    _, total = queries.list_complaints(
                        session=session,
                        runtime=runtime,
                        actor=user,
                        filters=queries.ListFilter(text=query, sort="-received"),
                    )
                    times.append((time.perf_counter() - t) * 1000)
                    totals.append(total)
                p95 = percentile(times, 95)
                medians[kind, who] = median(times)
                capped = sum(1 for total in totals if not total.exact)
                print(
                    f"[{engine.dialect.name}] {kind:5} search, {who:10} ({len(batch)} queries, median "
                    f"{median(totals):.0f} found, {capped} beyond the count cap): median {median(times):.1f} ms, "
                    f"p95 {p95:.1f} ms {'ok' if p95 < TARGET_MS else 'MISS'}"
                )
                if p95 >= TARGET_MS:
                    misses.append(f"{engine.dialect.name} {kind} {who}: p95 {p95:.1f} ms")
            slow = []
            for query in batch[:: max(1, len(batch) // args.baseline)]:
                t = time.perf_counter()
                _like_page(session, query, kind)
                slow.append((time.perf_counter() - t) * 1000)
            ratios = ", ".join(f"{who} {median(slow) / medians[kind, who]:.0f}×" for who in people)
            print(
                f"[{engine.dialect.name}] {kind:5} LIKE '%…%' scan ({len(slow)} queries): median "
                f"{median(slow):.0f} ms, p95 {percentile(slow, 95):.0f} ms; search median faster by {ratios}"
            )
    engine.dispose()
    return misses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=10, help="queries run as a LIKE scan")
    parser.add_argument("--postgres", help="a server URL; a scratch database is created on it and dropped after")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database (run them one at a time)")
    args = parser.parse_args()
    if args.only == "postgresql" and not args.postgres:
        parser.error("--only postgresql needs --postgres URL (a server the bench may create a database on)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    misses = [] if args.only == "postgresql" else bench(fresh_sqlite("search"), args)
    if args.postgres and args.only != "sqlite":
        name = f"bench_search_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            misses += bench(args.postgres.rsplit("/", 1)[0] + f"/{name}", args)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if misses:
        print(f"p95 target ({TARGET_MS:.0f} ms) missed: " + "; ".join(misses))
        sys.exit(1)


if __name__ == "__main__":
    main()
