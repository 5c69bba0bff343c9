"""The supervisors' lists over 1,000,000 items on SQLite: the overdue list (first page of 50, filtered by unit),
a county supervisor's own overdue, newest and 复查 lists, and the prefecture's: its board (the overdue and
due-soon lists of 100 with their totals and the overdue items by unit, handler and category), its newest list,
its 复查 list and the open work by unit (/api/supervision/counts).

    python bench/bench_overdue.py [--n 1000000] [--queries 200]

Target: p95 under 50 ms for each, through complaints.services.queries.list_complaints (with the total
count) and services.stats. Baseline in the same run: loading the unit's open items and filtering/sorting them
in Python. Exits 1 when a target is missed."""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from _common import fresh_sqlite, median, percentile
from sqlalchemy import insert
from sqlmodel import Session, select

from complaints.db import build_counts, make_engine, upgrade
from complaints.models import Complaint, User
from complaints.runtime import Runtime
from complaints.services import cohandling, openwork, queries
from complaints.settings import load_settings

UNITS = ["KZ", "ATS", "AKT", "WQ", "AHQ"]
STATUSES = ["dispatched", "accepted", "closed", "closed", "closed", "replied"]


def populate(engine, n: int, now: datetime) -> None:
    rng = random.Random(1)
    batch = []
    with engine.begin() as connection:
        for i in range(n):
            status = rng.choice(STATUSES)
            is_open = status != "closed"
            due = now + timedelta(hours=rng.uniform(-24 * 60, 24 * 20))
            # one item in 500 is a county's 信访 item under 复查 at the prefecture bureau
            reviewed = UNITS[(i // 500) % 4 + 1] if i % 500 == 499 else None
            unit = "KZ" if reviewed else UNITS[i % 5]
            batch.append(
                {
                    "tracking_no": f"{UNITS[i % 5]}-2026-{i:07d}",
                    "unit_code": unit,
                    "reviewed_unit_code": reviewed,
                    "review_round": 1 if reviewed else 0,
                    "channel": "call",
                    "kind": "complaint",
                    "track": "hotline",
                    "urgency": "normal",
                    "category": "fees",
                    "received_at": due - timedelta(days=7),
                    "registered_at": now,
                    "registered_unit_code": "KZ",
                    "summary": "反映学校收取共建费",
                    "details": "",
                    "status": status,
                    "is_open": is_open,
                    "next_due_at": due if status != "replied" else None,
                    "warn_at": due - timedelta(days=1),
                    "handling_notes": "",
                    "result_text": "",
                    "remarks": "",
                    "version": 1,
                    "updated_at": now,
                    "confidential": False,
                    "anonymous": True,
                    "due_provisional": False,
                    "extension_count": 0,
                }
            )
            if len(batch) == 20_000:
                connection.execute(insert(Complaint), batch)
                batch.clear()
        if batch:
            connection.execute(insert(Complaint), batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    url = fresh_sqlite("overdue")
    upgrade(url)
    settings = load_settings(database={"url": url})
    engine = make_engine(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    populate(engine, args.n, now)
    print(f"inserted {args.n} items in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    build_counts(url, timezone=settings.app.timezone, again=True)
    print(f"complaints stats rebuild: {time.perf_counter() - started:.1f} s")
    runtime = Runtime.load(settings, engine)
    with Session(engine, expire_on_commit=False) as session:
        sups = []
        for unit in UNITS:
            user = User(username=f"sup_{unit}", name="督办", unit_code=unit, roles="supervisor")
            session.add(user)
            sups.append(user)
        session.commit()
        session.exec(select(Complaint.id).limit(1)).all()  # warm the connection
        fast, slow, total = [], [], None
        pages = {"overdue": [], "newest": [], "复查": []}  # a county supervisor's own pages: own scope
        prefecture = {"board": [], "newest": [], "复查": [], "open work by unit": []}
        top = sups[0]

        def board() -> None:
            for shape in ({"overdue": True}, {"due_soon": True}):
                listed, counted = queries.list_complaints(
                    session=session, runtime=runtime, actor=top, filters=queries.ListFilter(limit=100, **shape), now=now
                )
                assert len(listed) == 100 and counted > 100
            openwork.overdue_groups(session=session, runtime=runtime, actor=top, unit_code=None, now=now)
            cohandling.open_tasks_led_by(session, runtime, top.unit_code)
            cohandling.open_tasks_for_unit(session, runtime, top.unit_code)

        for q in range(args.queries):
            actor = sups[q % len(sups)]
            filters = queries.ListFilter(unit_code=actor.unit_code, overdue=True, limit=50)
            session.info.pop(openwork.OPEN_MEMO, None)
            t = time.perf_counter()
            items, total = queries.list_complaints(
                session=session, runtime=runtime, actor=actor, filters=filters, now=now
            )
            fast.append((time.perf_counter() - t) * 1000)
            assert len(items) == 50
            county = sups[1 + q % (len(sups) - 1)]  # sups[0] is the prefecture's, who sees every unit
            for name, own in (
                ("overdue", queries.ListFilter(overdue=True, sort="due", limit=50)),
                ("newest", queries.ListFilter(sort="-received", limit=50)),
                ("复查", queries.ListFilter(reviewed=True, sort="-received", limit=50)),
            ):
                session.info.pop(openwork.OPEN_MEMO, None)  # each list is a request of its own
                t = time.perf_counter()
                listed, _ = queries.list_complaints(
                    session=session, runtime=runtime, actor=county, filters=own, now=now
                )
                pages[name].append((time.perf_counter() - t) * 1000)
                assert len(listed) == 50 and all(
                    county.unit_code in (i.unit_code, i.reviewed_unit_code) for i in listed
                )
            for name, run in (
                ("board", board),
                (
                    "newest",
                    lambda: queries.list_complaints(
                        session=session,
                        runtime=runtime,
                        actor=top,
                        filters=queries.ListFilter(sort="-received"),
                        now=now,
                    ),
                ),
                (
                    "复查",
                    lambda: queries.list_complaints(
                        session=session,
                        runtime=runtime,
                        actor=top,
                        filters=queries.ListFilter(reviewed=True, sort="-received"),
                        now=now,
                    ),
                ),
                (
                    "open work by unit",
                    lambda: openwork.workload(
                        session=session, runtime=runtime, actor=top, by="unit", unit_code=None, now=now
                    ),
                ),
            ):
                session.info.pop(openwork.OPEN_MEMO, None)
                t = time.perf_counter()
                run()
                prefecture[name].append((time.perf_counter() - t) * 1000)
                session.expunge_all()
            if q < 5:
                t = time.perf_counter()
                rows = session.exec(
                    select(Complaint).where(Complaint.unit_code == actor.unit_code, Complaint.is_open.is_(True))
                ).all()
                page = sorted(
                    (r for r in rows if r.next_due_at and r.next_due_at < now), key=lambda r: (r.next_due_at, r.id)
                )[:50]
                slow.append((time.perf_counter() - t) * 1000)
                assert [i.id for i in items] == [r.id for r in page]
                session.expunge_all()
    print(f"overdue list, first page of 50 by unit ({total} overdue in the last unit), {args.queries} queries")
    print(f"  indexed query:  p50 {median(fast):7.1f} ms   p95 {percentile(fast, 95):7.1f} ms   (target p95 < 50 ms)")
    for name, times in pages.items():
        print(
            f"  county supervisor's own {name} list (no unit filter): p50 {median(times):7.1f} ms   "
            f"p95 {percentile(times, 95):7.1f} ms"
        )
    for name, times in prefecture.items():
        print(f"  the prefecture's {name}: p50 {median(times):7.1f} ms   p95 {percentile(times, 95):7.1f} ms")
    print(f"  python filter:  p50 {median(slow):7.1f} ms   (baseline, 5 runs)")
    print(f"  ratio baseline/indexed (p50): {median(slow) / median(fast):.0f}x")
    worst = max(percentile(t, 95) for t in [fast, *pages.values(), *prefecture.values()])
    print(f"  slowest p95: {worst:.1f} ms (target < 50 ms){'   MISSED' if worst >= 50 else ''}")
    sys.exit(0 if worst < 50 else 1)


if __name__ == "__main__":
    main()
