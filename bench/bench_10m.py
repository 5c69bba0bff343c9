"""Ten million items on one PostgreSQL server: a province's decade, loaded with COPY.

    python bench/bench_10m.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                              [--years 10] [--per-year 1000000] [--repeat 7] [--keep]

The bench creates its own database (`bench10m`, dropped at the end unless --keep), migrates it, and loads
the items year by year, each year the same size: first the current year alone (the baseline: one year's
items, 1M by default), then the nine years before it (10M in all). After each stage it measures, as the
users of those pages would, with the services the pages call:

- the overdue list, first page of 50 with its total, for a county's supervisor and the prefecture's;
- the year dashboard (every 三率 and count the dashboard shows, services.stats.dashboard) of the current
  year for a county's supervisor and the prefecture's;
- the search box: a common two-character word (收费, ~1 item in 6) and a rare one (~1 in 1,000), first page
  of 50 with the total, for the prefecture's supervisor.

The same-run baseline of each figure is its value with the current year alone; the ratio says how far it
grows with nine more years behind it. Target: the overdue list and the dashboards within 2x of the
baseline (the data of the current year did not change, only the years behind it); the exit status is 1
when one is missed. A search counts every match in every year, so it grows with the matches: printed,
not held to a target.

Loading: COPY FROM STDIN of generated rows (search keys from the app's own searchkeys for each summary
template), with the complaint table's secondary indexes and foreign keys dropped during the COPY and made
again after it from their own definitions (as a restore does), then VACUUM ANALYZE and `complaints stats
rebuild` (the kept counts the dashboard reads). Closed items have a callback round one in ten, so 满意率 and
解决率 have rounds to count. Run it on a quiet machine: at 10M it
takes a good while (the rows are generated in Python)."""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from _common import percentile
from sqlalchemy import create_engine, text
from sqlmodel import Session

from complaints.db import build_counts, make_engine, upgrade
from complaints.models import User
from complaints.runtime import Runtime
from complaints.searchkeys import row_keys
from complaints.services import stats
from complaints.services.queries import ListFilter, list_complaints
from complaints.settings import load_settings

DB = "bench10m"
FLAT = 2.0  # a figure over the current year may grow at most this much with nine more years behind it
UNITS = ["KZ", "ATS", "AKT", "WQ", "AHQ"]
WEIGHTS = [1, 3, 2, 2, 2]  # of ten items: the prefecture bureau registers few, the counties most
HANDLERS = 200
CATEGORIES = ["fees", "zoning", "admission", "transfer", "class", "other"]
TOPICS = [
    "反映学校收取共建费",  # 收费 in one topic of six, below
    "咨询新建小区划片学校范围",
    "反映培训机构证书作为招生依据",
    "随迁子女入学材料审核过严",
    "举报学校违规设置重点班",
    "咨询网上报名系统无法提交",
]
RARE = "鸵鸟"  # in one item of a thousand
COLUMNS = [
    "tracking_no",
    "unit_code",
    "channel",
    "kind",
    "track",
    "urgency",
    "category",
    "received_at",
    "registered_at",
    "registered_unit_code",
    "summary",
    "details",
    "status",
    "is_open",
    "handler_id",
    "accepted_at",
    "replied_at",
    "closed_at",
    "contact_due_at",
    "reply_due_at",
    "next_due_at",
    "warn_at",
    "handling_notes",
    "result_text",
    "remarks",
    "version",
    "updated_at",
    "confidential",
    "anonymous",
    "due_provisional",
    "extension_count",
    "search_text",
    "search_who",
]


def _ts(moment: datetime) -> str:
    return moment.isoformat(" ")


def year_rows(year: int, count: int, first_id: int, first_handler: int, now: datetime, open_days: int):
    """COPY text lines for `count` items received over `year` (up to `now` for the current one)."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = min(datetime(year + 1, 1, 1, tzinfo=UTC), now)
    step = (end - start) / count
    templates = []
    for k, topic in enumerate(TOPICS):
        for rare in (False, True):
            summary = f"{topic}{'，家中养有' + RARE if rare else ''}"
            if k == 0:
                summary = summary.replace("收取共建费", "违规收费收取共建费")
            keys = row_keys({"summary": summary, "details": summary})
            templates.append((summary, keys["search_text"]))
    open_after = now - timedelta(days=open_days)
    for n in range(count):
        i = first_id + n
        received = start + step * n
        unit = UNITS[[0, 1, 1, 1, 2, 2, 3, 3, 4, 4][i % 10]]
        summary, keys = templates[2 * (i % 6) + (1 if i % 1000 == 7 else 0)]
        contact_due = received + timedelta(days=1)
        reply_due = received + timedelta(days=7)
        handler = first_handler + i % HANDLERS
        if received >= open_after:
            status, is_open, accepted, replied, closed = "accepted", "t", _ts(received + timedelta(hours=5)), "", ""
            next_due, warn = _ts(reply_due), _ts(reply_due - timedelta(days=1))
        else:
            late = i % 10 == 3
            status, is_open, next_due, warn = "closed", "f", "", ""
            accepted = _ts(received + timedelta(hours=5 if i % 7 else 30))
            replied_at = received + timedelta(days=9 if late else 4)
            replied, closed = _ts(replied_at), _ts(replied_at + timedelta(days=1))
        category = CATEGORIES[i % 6]
        fields = (
            f"{unit}-{year}-{i:08d}",
            unit,
            "call",
            "complaint",
            "hotline",
            "normal",
            category,
            _ts(received),
            _ts(received),
            unit,
            summary,
            summary,
            status,
            is_open,
            str(handler),
            accepted or "\\N",
            replied or "\\N",
            closed or "\\N",
            _ts(contact_due),
            _ts(reply_due),
            next_due or "\\N",
            warn or "\\N",
            "",
            "",
            "",
            "1",
            _ts(received),
            "f",
            "t",
            "f",
            "0",
            keys,
            "",
        )
        yield "\t".join(fields) + "\n"


def secondary_indexes(connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the complaint table's indexes that back no constraint."""
    return list(
        connection.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'complaint' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            )
        )
    )


def foreign_keys(connection) -> list[tuple[str, str]]:
    """(name, definition) of the complaint table's foreign keys."""
    return list(
        connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'complaint'::regclass AND contype = 'f'"
            )
        )
    )


def load(url: str, years: list[int], per_year: int, first_id: int, first_handler: int, now: datetime) -> float:
    """COPY the years' items, indexes dropped and rebuilt around it; returns seconds."""
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        indexes, keys = secondary_indexes(connection), foreign_keys(connection)
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        for name, _ in keys:  # checked again as a whole when added back
            connection.execute(text(f'ALTER TABLE complaint DROP CONSTRAINT "{name}"'))
        connection.commit()
        raw = connection.connection.driver_connection
        columns = ", ".join(COLUMNS)
        next_id = first_id
        for year in years:
            t = time.perf_counter()
            with raw.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")  # the load only: a crash means loading again
                with cursor.copy(f"COPY complaint ({columns}) FROM STDIN") as copy:
                    buffer = io.StringIO()
                    for k, line in enumerate(year_rows(year, per_year, next_id, first_handler, now, 40)):
                        buffer.write(line)
                        if k % 20_000 == 19_999:
                            copy.write(buffer.getvalue())
                            buffer = io.StringIO()
                    copy.write(buffer.getvalue())
            raw.commit()
            next_id += per_year
            print(f"    {year}: {per_year:,} items copied in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        with raw.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for name, definition in keys:
                cursor.execute(f'ALTER TABLE complaint ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "INSERT INTO callbackround (complaint_id, round, at, actor_id, reached, resolved, satisfaction) "
                "SELECT id, 1, closed_at - interval '12 hours', handler_id, true, id %% 20 <> 1, "
                "CASE WHEN id %% 20 = 1 THEN 'dissatisfied' ELSE 'satisfied' END "
                "FROM complaint WHERE id >= %s AND id < %s AND status = 'closed' AND id %% 10 = 0",
                (first_id, next_id),
            )
        raw.commit()
        print(f"    indexes rebuilt and callback rounds added in {time.perf_counter() - t:.0f} s", flush=True)
        with raw.cursor() as cursor:
            raw.autocommit = True
            cursor.execute("VACUUM ANALYZE complaint")
            cursor.execute("VACUUM ANALYZE callbackround")
            raw.autocommit = False
    engine.dispose()
    return time.perf_counter() - started


def recount(url: str) -> None:
    """The kept counts rebuilt from the items, as `complaints stats rebuild` does after a restore (a COPY goes
    around the flush that keeps them)."""
    t = time.perf_counter()
    counted = build_counts(url, again=True)
    print(f"    complaints stats rebuild: {counted:,} items counted in {time.perf_counter() - t:.0f} s", flush=True)


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm: the first call after a load reads the pages in
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def measure(url: str, people: dict[str, int], now: datetime, repeat: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    runtime = Runtime.load(load_settings(database={"url": url}), engine)
    year = now.year
    results = {}
    with Session(engine) as session:
        county, prefecture = session.get(User, people["ATS"]), session.get(User, people["KZ"])

        def overdue(actor):
            return lambda: list_complaints(
                session=session, runtime=runtime, actor=actor, filters=ListFilter(overdue=True), now=now
            )

        def board(actor):
            return lambda: stats.dashboard(
                session=session, runtime=runtime, actor=actor, start=date(year, 1, 1), end=now.date(), now=now
            )

        def search(word):
            return lambda: list_complaints(
                session=session,
                runtime=runtime,
                actor=prefecture,
                filters=ListFilter(text=word, sort="-received"),
                now=now,
            )

        cases = {
            "overdue list, county supervisor": overdue(county),
            "overdue list, prefecture supervisor": overdue(prefecture),
            f"{year} dashboard, county supervisor": board(county),
            f"{year} dashboard, prefecture supervisor": board(prefecture),
            "search 收费 (1 in 6), prefecture": search("收费"),
            f"search {RARE} (1 in 1,000), prefecture": search(RARE),
        }
        for name, fn in cases.items():
            results[name] = timed(fn, repeat)
            session.rollback()
    engine.dispose()
    return results


def show(label: str, results: dict[str, list[float]], baseline: dict[str, list[float]] | None) -> bool:
    ok = True
    print(f"  {label}")
    for name, times in results.items():
        med, p95 = statistics.median(times) * 1000, percentile(times, 95) * 1000
        line = f"    {name:<42} median {med:8.1f} ms   p95 {p95:8.1f} ms"
        if baseline is not None:
            base = percentile(baseline[name], 95) * 1000
            ratio = p95 / base if base else float("inf")
            held = not name.startswith("search")
            verdict = ("PASS" if ratio <= FLAT else "FAIL") if held else "(not held)"
            ok = ok and (ratio <= FLAT or not held)
            line += f"   vs one year {base:8.1f} ms: x{ratio:.2f} {verdict}"
        print(line)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the database for a look afterwards")
    args = parser.parse_args()
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    url = args.postgres.rsplit("/", 1)[0] + f"/{DB}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{DB}"')
    try:
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            staff = [
                User(username=f"h{i}", name=f"承办{i}", unit_code=UNITS[i % 5], roles="handler")
                for i in range(HANDLERS)
            ]
            bosses = {u: User(username=f"sup_{u}", name="督办", unit_code=u, roles="supervisor") for u in UNITS}
            session.add_all([*staff, *bosses.values()])
            session.commit()
            first_handler = staff[0].id
            people = {u: user.id for u, user in bosses.items()}
        engine.dispose()
        now = datetime.now(UTC).replace(microsecond=0)
        this_year = now.year
        print(f"PostgreSQL, {args.years} years of {args.per_year:,} items; now {now:%Y-%m-%d %H:%M} UTC", flush=True)
        seconds = load(url, [this_year], args.per_year, 1, first_handler, now)
        print(f"  loaded {this_year}: {args.per_year:,} items in {seconds:.0f} s", flush=True)
        recount(url)
        one_year = measure(url, people, now, args.repeat)
        show(f"{args.per_year:,} items (one year)", one_year, None)
        earlier = list(range(this_year - args.years + 1, this_year))
        seconds = load(url, earlier, args.per_year, args.per_year + 1, first_handler, now)
        total = args.per_year * args.years
        print(f"  loaded {len(earlier)} earlier years: {total - args.per_year:,} items in {seconds:.0f} s", flush=True)
        recount(url)
        with admin.connect() as connection:
            size = connection.execute(text(f"SELECT pg_size_pretty(pg_database_size('{DB}'))")).scalar_one()
        print(f"  database size: {size}")
        all_years = measure(url, people, now, args.repeat)
        ok = show(f"{total:,} items ({args.years} years)", all_years, one_year)
        print(f"targets: overdue list and dashboards within x{FLAT:.0f} of one year's: {'PASS' if ok else 'FAIL'}")
    finally:
        if not args.keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
