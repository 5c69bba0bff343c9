"""The dashboard's figures over 1,000,000 items with their histories, on SQLite and (with --postgres URL)
PostgreSQL: the prefecture's and a county's year dashboard, a unit's month, the monthly ranking by unit and
by handler, the open work by handler (the /api/supervision/counts figures).

    python bench/bench_stats.py [--n 1000000] [--queries 30] [--baseline 3] [--postgres URL]

Target: p95 under 250 ms for each, read from the kept counts (complaints.statcounts). Baseline in the same
run: the same figures counted from the items by the queries the dashboard ran before (stats.query_*), which
also checks that both give the same figures. Exits 1 when a target is missed or a figure differs."""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from _common import fresh_sqlite, median, percentile
from sqlalchemy import create_engine, insert
from sqlmodel import Session

from complaints.db import build_counts, make_engine, upgrade
from complaints.models import CallbackRound, Complaint, ComplaintLink, Event, User
from complaints.runtime import Runtime
from complaints.services import openwork, ranking, stats
from complaints.settings import load_settings

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 11:00 in the bureau's zone
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
TARGET_MS = 250
HANDLERS = 20  # per unit


def populate(engine, n: int, settings) -> None:
    rng = random.Random(7)
    units = [u.code for u in settings.units]
    categories = [c.code for c in settings.categories]
    with Session(engine) as session:
        people = {}
        for unit in units:
            people[unit] = []
            for h in range(HANDLERS):
                user = User(username=f"h_{unit}_{h}", name=f"承办{unit}{h}", unit_code=unit, roles="handler")
                session.add(user)
                people[unit].append(user)
        session.commit()
        handler_ids = {unit: [u.id for u in users] for unit, users in people.items()}
    span = (NOW - FIRST).total_seconds()
    items, rounds, events, links = [], [], [], []
    next_id = 1

    def flush(connection) -> None:
        for table, rows in ((Complaint, items), (CallbackRound, rounds), (Event, events), (ComplaintLink, links)):
            if rows:
                connection.execute(insert(table), rows)
                rows.clear()

    with engine.begin() as connection:
        for i in range(n):
            item_id = next_id
            next_id += 1
            received = FIRST + timedelta(seconds=span * (i / n) + rng.uniform(0, 60))
            unit = units[rng.randrange(len(units))]
            recent = NOW - received < timedelta(days=30)
            roll = rng.random()
            status, handler, dispatched, accepted, replied, closed = "registered", None, None, None, None, None
            contact_due, reply_due = received + timedelta(days=1), received + timedelta(days=15)
            if roll < 0.03:  # a question answered at intake
                status, replied, closed = "closed", received + timedelta(minutes=5), received + timedelta(minutes=5)
            elif roll < 0.05:
                status = rng.choice(["duplicate", "not_accepted"])
            else:
                stage = rng.random() if recent else 0.99 if rng.random() < 0.97 else rng.random()
                handler = rng.choice(handler_ids[unit])
                dispatched = received + timedelta(hours=rng.uniform(0.2, 6))
                status = "dispatched"
                if stage > 0.15:
                    accepted = received + timedelta(hours=rng.uniform(1, 40))
                    status = "accepted"
                if stage > 0.45:
                    replied = received + timedelta(days=rng.uniform(2, 19))
                    status = "replied"
                if stage > 0.7 and replied and replied + timedelta(days=1) < NOW:
                    status, closed = "closed", replied + timedelta(days=1.5)
            if replied and replied > NOW:
                replied, closed, status = None, None, "accepted" if accepted else status
            is_open = status not in ("closed", "duplicate", "not_accepted")
            next_due = (reply_due if accepted else contact_due) if is_open else None
            if status == "replied":
                next_due = replied + timedelta(days=5)
            items.append(
                {
                    "id": item_id,
                    "tracking_no": f"{unit}-{received.year}-{i:07d}",
                    "unit_code": unit,
                    "registered_unit_code": "KZ" if rng.random() < 0.4 else unit,
                    "channel": "call",
                    "kind": "complaint",
                    "track": "hotline",
                    "urgency": "normal",
                    "category": rng.choice(categories),
                    "received_at": received,
                    "registered_at": received,
                    "summary": "反映学校收取共建费",
                    "details": "",
                    "status": status,
                    "is_open": is_open,
                    "handler_id": handler,
                    "dispatched_at": dispatched,
                    "accepted_at": accepted,
                    "replied_at": replied,
                    "closed_at": closed,
                    "contact_due_at": contact_due,
                    "reply_due_at": reply_due,
                    "next_due_at": next_due,
                    "warn_at": next_due - timedelta(days=1) if next_due else None,
                    "handling_notes": "",
                    "result_text": "",
                    "remarks": "",
                    "version": 1,
                    "updated_at": received,
                    "confidential": rng.random() < 0.05,
                    "anonymous": True,
                    "due_provisional": False,
                    "extension_count": 0,
                }
            )
            if replied and dispatched:
                events.append({"complaint_id": item_id, "at": replied, "action": "reply"})
            if closed and dispatched:
                for r in range(1 if rng.random() < 0.9 else 2):
                    reached = rng.random() < 0.9
                    satisfaction = rng.choice(["satisfied", "satisfied", "basically", "dissatisfied"])
                    rounds.append(
                        {
                            "complaint_id": item_id,
                            "round": r + 1,
                            "at": replied + timedelta(hours=20 + 30 * r),
                            "reached": reached,
                            "resolved": satisfaction != "dissatisfied" if reached else None,
                            "satisfaction": satisfaction if reached else "unreachable",
                        }
                    )
                if rng.random() < 0.05:
                    action = rng.choice(["reopen", "redo"])
                    events.append({"complaint_id": item_id, "at": closed - timedelta(hours=3), "action": action})
                    events.append({"complaint_id": item_id, "at": closed - timedelta(hours=1), "action": "reply"})
            if i and rng.random() < 0.05:
                links.append(
                    {"complaint_id": item_id, "other_id": item_id - 1, "kind": "repeat", "created_at": received}
                )
            if len(items) == 20_000:
                flush(connection)
        flush(connection)


def timed_ms(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def same(a, b) -> bool:
    if isinstance(a, stats.Dashboard):
        order = lambda rows: sorted(rows, key=lambda r: (str(r[0]), r[1]))  # noqa: E731
        # the 15 handlers with most overdue items: those tied at the 15th may be any of them
        top = lambda rows: sorted(n for _, n in rows)  # noqa: E731
        return (a.rates, a.by_day, order(a.by_category), order(a.by_unit), top(a.overdue_by_handler)) == (
            b.rates,
            b.by_day,
            order(b.by_category),
            order(b.by_unit),
            top(b.overdue_by_handler),
        )
    if isinstance(a, list) and a and isinstance(a[0], ranking.Row):
        return {(r.key, str(r.figures)) for r in a} == {(r.key, str(r.figures)) for r in b}
    if isinstance(a, list):
        return sorted(a, key=str) == sorted(b, key=str)
    return a == b


def bench(url: str, args) -> bool:
    upgrade(url)
    settings = load_settings(database={"url": url})
    engine = make_engine(url)
    started = time.perf_counter()
    populate(engine, args.n, settings)
    dialect = engine.dialect.name
    print(
        f"{dialect}: inserted {args.n} items with their callbacks and answers in {time.perf_counter() - started:.0f} s"
    )
    if dialect == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    started = time.perf_counter()
    counted = build_counts(url, timezone=settings.app.timezone, again=True)
    print(f"  complaints stats rebuild: {counted} items counted in {time.perf_counter() - started:.1f} s")
    runtime = Runtime.load(settings, engine)
    ok = True
    with Session(engine, expire_on_commit=False) as session:
        prefecture = User(username="sup_kz", name="州督办", unit_code="KZ", roles="supervisor")
        county = User(username="sup_ats", name="县督办", unit_code="ATS", roles="supervisor")
        session.add_all([prefecture, county])
        session.commit()
        if dialect == "postgresql":
            session.connection().exec_driver_sql("ANALYZE statcount")
            session.commit()
        year = (date(2026, 1, 1), date(2026, 12, 31))

        def dash(actor, period, unit=None, old=False):
            fn = stats.query_dashboard if old else stats.dashboard
            return lambda: fn(
                session=session, runtime=runtime, actor=actor, start=period[0], end=period[1], unit_code=unit, now=NOW
            )

        def rank(by, old=False):
            def run():
                if not old:
                    return ranking.rank(
                        session=session, runtime=runtime, actor=prefecture, month="2026-10", by=by, now=NOW
                    )
                grouped = stats.grouped_all
                stats.grouped_all = lambda s, keys, win, column: {
                    k: stats.query_grouped(s, k, win, column) for k in keys
                }
                try:
                    return ranking.rank(
                        session=session, runtime=runtime, actor=prefecture, month="2026-10", by=by, now=NOW
                    )
                finally:
                    stats.grouped_all = grouped

            return run

        def work(old=False):
            fn = openwork.query_workload if old else openwork.workload
            return lambda: fn(session=session, runtime=runtime, actor=prefecture, by="handler", unit_code=None, now=NOW)

        # today's queries limited to a unit take a plan quadratic in the items on SQLite (the county's year:
        # 100 s at 20,000 items), so they are the baseline on PostgreSQL only
        by_unit = dialect == "postgresql"
        cases = [
            ("prefecture's year dashboard", dash(prefecture, year), dash(prefecture, year, old=True)),
            ("county's year dashboard", dash(county, year), dash(county, year, old=True) if by_unit else None),
            (
                "a unit's month (prefecture, unit AKT)",
                dash(prefecture, (date(2026, 10, 1), date(2026, 10, 31)), "AKT"),
                dash(prefecture, (date(2026, 10, 1), date(2026, 10, 31)), "AKT", old=True) if by_unit else None,
            ),
            ("ranking of units, one month", rank("unit"), rank("unit", old=True)),
            ("ranking of handlers, one month", rank("handler"), rank("handler", old=True)),
            ("open work by handler (API counts)", work(), work(old=True)),
        ]
        for name, fast, slow in cases:
            times = []
            for _ in range(args.queries):
                ms, result = timed_ms(fast)
                times.append(ms)
                session.expunge_all()
            old_times, agrees = [], True
            for _ in range(args.baseline if slow else 0):
                ms, expected = timed_ms(slow)
                old_times.append(ms)
                session.expunge_all()
                agrees = agrees and same(result, expected)
            p95 = percentile(times, 95)
            missed = p95 >= TARGET_MS or not agrees
            ok = ok and not missed
            baseline = (
                f"today's queries p50 {median(old_times):8.1f} ms   {median(old_times) / median(times):5.0f}x   "
                f"{'same figures' if agrees else 'FIGURES DIFFER'}"
                if old_times
                else "today's queries: not run (quadratic plan on SQLite)"
            )
            print(
                f"  {name}: kept counts p50 {median(times):7.1f} ms  p95 {p95:7.1f} ms   {baseline}"
                f"{'   MISSED' if missed else ''}",
                flush=True,
            )
    engine.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--baseline", type=int, default=3, help="runs of today's queries per figure")
    parser.add_argument("--postgres", help="a server URL; a scratch database is created on it and dropped after")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"target: p95 < {TARGET_MS} ms for each figure, at {args.n} items")
    ok = True
    if not args.skip_sqlite:
        ok = bench(fresh_sqlite("stats"), args) and ok
    if args.postgres:
        name = f"bench_stats_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            ok = bench(args.postgres.rsplit("/", 1)[0] + f"/{name}", args) and ok
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
