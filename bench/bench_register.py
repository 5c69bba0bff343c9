"""Registering items through the service layer vs a raw SQLModel insert of the same rows (SQLite).

    python bench/bench_register.py [--n 100000] [--repeat 3]

Target: the service layer reaches at least 0.5x the raw insert rate. Prints medians."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from _common import fresh_sqlite, median, timed
from sqlmodel import Session

from complaints.db import make_engine, upgrade
from complaints.models import Complaint
from complaints.runtime import Runtime
from complaints.services import registration
from complaints.services.people import add_user
from complaints.settings import load_settings

BATCH = 1000


def rows(n: int) -> list[dict]:
    units = ["KZ", "ATS", "AKT", "WQ", "AHQ"]
    return [
        {
            "channel": "call",
            "kind": "complaint",
            "unit_code": units[i % 5],
            "category": "fees",
            "summary": f"反映学校收取共建费（第{i}件）",
            "details": "家长反映入学时被要求缴纳共建费两千元。",
            "complainant_name": "王丽",
            "complainant_phone": f"138{i % 100000000:08d}",
        }
        for i in range(n)
    ]


def setup(name: str):
    url = fresh_sqlite(name)
    upgrade(url)
    settings = load_settings(database={"url": url})
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        operator = add_user(
            session=session,
            settings=settings,
            actor=None,
            username="bench_op",
            name="接线员",
            unit_code="KZ",
            roles=["operator"],
        )
        session.commit()
    return engine, Runtime.load(settings, engine), operator


def through_service(data: list[dict]) -> None:
    engine, runtime, operator = setup("service")
    with Session(engine) as session:
        for start in range(0, len(data), BATCH):
            for row in data[start : start + BATCH]:
                registration.register(session=session, runtime=runtime, actor=operator, data=row)
            session.commit()
    engine.dispose()


def raw_insert(data: list[dict]) -> None:
    engine, _runtime, operator = setup("raw")
    now = datetime.now(UTC)
    with Session(engine) as session:
        for start in range(0, len(data), BATCH):
            for i, row in enumerate(data[start : start + BATCH], start):
                session.add(
                    Complaint(
                        **row,
                        tracking_no=f"X-{i}",
                        track="hotline",
                        received_at=now,
                        status="registered",
                        registered_by_id=operator.id,
                    )
                )
            session.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = rows(args.n)
    service_rates, raw_rates = [], []
    for _ in range(args.repeat):
        seconds, _ = timed(raw_insert, data)
        raw_rates.append(args.n / seconds)
        seconds, _ = timed(through_service, data)
        service_rates.append(args.n / seconds)
    service_rate, raw_rate = median(service_rates), median(raw_rates)
    print(f"items: {args.n}, runs: {args.repeat} (medians)")
    print(f"raw SQLModel insert:       {raw_rate:10.0f} items/s")
    print(f"service layer register():  {service_rate:10.0f} items/s  (deadlines, tracking no., event each)")
    print(f"ratio service/raw:         {service_rate / raw_rate:10.2f}x   (target >= 0.5x)")


if __name__ == "__main__":
    main()
