"""The SLA sweep over 1,000,000 open items, set-based, on SQLite and (with --postgres URL) PostgreSQL.

    python bench/bench_sla.py [--n 1000000] [--repeat 3] [--postgres postgresql+psycopg://postgres@127.0.0.1/test]

Items get deadlines spread from --backlog-days ago to 30 days ahead (warned 1 day before): the first sweep
is the one after the scheduler was down for that long, finding (with the default 1 day) ~1/31 of the items
newly overdue and ~1/31 newly due soon: two events each (超期 + automatic 督办), a notice to the handler, one
summary notice per supervisor and unit. On PostgreSQL the complaint table has the fillfactor its migration
gives it (85: the sweep's updates are HOT, no index writes); --fillfactor N overrides it (100 = none).
Timed: that first sweep (median of --repeat, markers reset in between), a sweep five minutes later (the
steady state) and, as a baseline, a naive ORM loop over a 10,000-item sample, scaled up. Target: first
sweep under 5 s on each database; the exit status is 1 when it is missed."""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import fresh_sqlite, median
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from complaints.db import make_engine, upgrade
from complaints.jobs.sla import sla_sweep
from complaints.models import Complaint, Event, Notification, User
from complaints.runtime import Runtime
from complaints.settings import load_settings

TARGET_SECONDS = 5.0
UNITS = ["KZ", "ATS", "AKT", "WQ", "AHQ"]
HANDLERS = 200

_SQLITE = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n)
INSERT INTO complaint (tracking_no, unit_code, channel, kind, track, urgency, category, received_at, registered_at,
  registered_unit_code, summary, details, status, is_open, handler_id, next_due_at, warn_at, handling_notes,
  result_text, remarks, version, updated_at, confidential, anonymous, due_provisional, extension_count)
SELECT 'B-' || i, unit, 'call', 'complaint', 'hotline', 'normal', 'fees', due, due, 'KZ', '反映学校收取共建费', '',
  'accepted', 1, :first_handler + (i % :handlers), due,
  strftime('%Y-%m-%d %H:%M:%S', due, '-1 day') || '.000000', '', '', '', 1, due, 0, 1, 0, 0
FROM (SELECT i, CASE i % 5 WHEN 0 THEN 'KZ' WHEN 1 THEN 'ATS' WHEN 2 THEN 'AKT' WHEN 3 THEN 'WQ' ELSE 'AHQ' END AS unit,
        strftime('%Y-%m-%d %H:%M:%S', :start, '+' || ((i * 7919) % :span) || ' minutes') || '.000000' AS due FROM n)
"""

_POSTGRES = """
INSERT INTO complaint (tracking_no, unit_code, channel, kind, track, urgency, category, received_at, registered_at,
  registered_unit_code, summary, details, status, is_open, handler_id, next_due_at, warn_at, handling_notes,
  result_text, remarks, version, updated_at, confidential, anonymous, due_provisional, extension_count)
SELECT 'B-' || i, (ARRAY['KZ','ATS','AKT','WQ','AHQ'])[1 + i % 5], 'call', 'complaint', 'hotline', 'normal', 'fees',
  due, due, 'KZ', '反映学校收取共建费', '', 'accepted', true, :first_handler + (i % :handlers), due,
  due - interval '1 day', '', '', '', 1, due, false, true, false, 0
FROM (SELECT i, CAST(:start AS timestamptz) + ((i::bigint * 7919) % :span) * interval '1 minute' AS due
      FROM generate_series(1, :n) AS i) AS g
"""


def populate(engine, n: int, now: datetime, backlog_days: int) -> None:
    with Session(engine) as session:
        people = [
            User(username=f"h{i}", name=f"承办{i}", unit_code=UNITS[i % 5], roles="handler") for i in range(HANDLERS)
        ]
        people += [
            User(username=f"s{u}{k}", name="督办", unit_code=u, roles="supervisor") for u in UNITS for k in (1, 2)
        ]
        session.add_all(people)
        session.commit()
        first = people[0].id
    start = now - timedelta(days=backlog_days)
    postgres = engine.dialect.name == "postgresql"
    params = {
        "n": n,
        "first_handler": first,
        "handlers": HANDLERS,
        "span": (backlog_days + 30) * 24 * 60,
        "start": start if postgres else start.strftime("%Y-%m-%d %H:%M:%S"),
    }
    with engine.begin() as connection:
        connection.execute(text(_POSTGRES if postgres else _SQLITE), params)
        connection.exec_driver_sql("ANALYZE")


def reset(engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE complaint SET warned_due_at = NULL, overdue_due_at = NULL, "
            "supervise_due_at = NULL WHERE warned_due_at IS NOT NULL"
        )
        connection.exec_driver_sql("DELETE FROM notification")
        connection.exec_driver_sql("DELETE FROM event")
    if engine.dialect.name == "postgresql":  # as autovacuum would between two real first sweeps
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE complaint, event, notification")


def sweep(engine, runtime, now) -> tuple[float, dict]:
    with Session(engine) as session:
        started = time.perf_counter()
        counts = sla_sweep(session=session, runtime=runtime, now=now)
        session.commit()
        return time.perf_counter() - started, counts


def naive_loop(engine, now: datetime, sample: int) -> tuple[float, int]:
    """The obvious way: load items, check each in Python, add ORM objects one by one."""
    with Session(engine) as session:
        started = time.perf_counter()
        items = session.exec(
            select(Complaint).where(Complaint.is_open.is_(True)).order_by(Complaint.id).limit(sample)
        ).all()
        hits = 0
        for item in items:
            if item.next_due_at <= now and item.overdue_due_at != item.next_due_at:
                item.overdue_due_at = item.next_due_at
                session.add(Event(complaint_id=item.id, at=now, action="sla_overdue", note="已超期"))
                session.add(
                    Notification(
                        user_id=item.handler_id,
                        complaint_id=item.id,
                        kind="overdue",
                        subject=item.tracking_no,
                        body="已超期",
                        created_at=now,
                    )
                )
                hits += 1
        session.flush()
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed, hits


def bench(url: str, args) -> bool:
    upgrade(url)
    engine = make_engine(url)
    runtime = Runtime.load(load_settings(database={"url": url}), engine)
    now = datetime.now(UTC)
    if args.fillfactor and engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER TABLE complaint SET (fillfactor = {int(args.fillfactor)})")
    t = time.perf_counter()
    populate(engine, args.n, now, args.backlog_days)
    tuned = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            options = connection.exec_driver_sql("SELECT reloptions FROM pg_class WHERE relname = 'complaint'")
            tuned = f" {','.join(options.scalar_one() or ['fillfactor=100'])}"
    print(f"[{engine.dialect.name}{tuned}] inserted {args.n:,} open items in {time.perf_counter() - t:.1f} s")
    firsts = []
    for attempt in range(args.repeat):
        if attempt:
            reset(engine)
        elapsed, counts = sweep(engine, runtime, now)
        firsts.append(elapsed)
    print(
        f"  first sweep: median {median(firsts):.2f} s over {args.repeat} "
        f"(runs {', '.join(f'{x:.2f}' for x in firsts)})  counts {counts}   target < {TARGET_SECONDS:.0f} s"
    )
    later, counts = sweep(engine, runtime, now + timedelta(minutes=5))
    print(f"  sweep 5 minutes later (steady state): {later:.3f} s  counts {counts}")
    again, counts = sweep(engine, runtime, now + timedelta(minutes=5))
    print(f"  same sweep again (idempotent): {again:.3f} s  overdue={counts['overdue']} due_soon={counts['due_soon']}")
    reset(engine)
    elapsed, hits = naive_loop(engine, now, args.sample)
    scaled = elapsed * args.n / args.sample
    print(
        f"  baseline naive ORM loop: {elapsed:.2f} s for a {args.sample:,} sample ({hits} hits) "
        f"-> ~{scaled:.0f} s scaled to {args.n:,} (overdue only; {scaled / median(firsts):.0f}x slower)"
    )
    engine.dispose()
    ok = median(firsts) < TARGET_SECONDS
    print(f"  first sweep {median(firsts):.2f} s, target < {TARGET_SECONDS:.0f} s: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--backlog-days", type=int, default=1)
    parser.add_argument("--fillfactor", type=int, help="PostgreSQL fillfactor of the complaint table")
    parser.add_argument("--postgres", help="a server URL; a scratch database is created on it and dropped after")
    args = parser.parse_args()
    ok = bench(fresh_sqlite("sla"), args)
    if args.postgres:
        name = f"bench_sla_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            ok = bench(args.postgres.rsplit("/", 1)[0] + f"/{name}", args) and ok
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
