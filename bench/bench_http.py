"""Registering items over HTTP (the full app: auth, validation, tracking number, deadlines, history event)
against a bare FastAPI + SQLModel insert endpoint, measured in the same run with wrk at 32 connections.

    python bench/bench_http.py [--seconds 10] [--rounds 3] [--connections 32]   # SQLite WAL, 1 worker
    python bench/bench_http.py --postgres [--pg-url URL]                        # PostgreSQL, 2 workers

Both servers run side by side and wrk alternates between them round after round, so a busy moment on
this shared machine hits both; the figures are medians over the rounds. Ours is started with
`complaints serve`, as deployed. Both commit durably: the bare app's engine is the app's own
(complaints.db.make_engine: SQLite WAL with synchronous=FULL; PostgreSQL with synchronous_commit on).
Targets: the app reaches at least 0.8x the bare rate, with a p99 no worse than the bare app's. Servers
listen on 127.0.0.1 only and are stopped at the end; the exit status is 1 if missed."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, fresh_sqlite
from fastapi import FastAPI
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import create_engine, text
from sqlmodel import Field, Session, SQLModel

BODY = {
    "channel": "call",
    "kind": "complaint",
    "unit_code": "UNIT",
    "category": "fees",
    "summary": "反映学校收取共建费",
    "details": "家长反映入学时被要求缴纳共建费两千元。",
    "complainant_name": "王丽",
    "complainant_phone": "13812345678",
}
TARGET_RATIO = 0.8
BARE, OURS = "bare FastAPI+SQLModel insert", "complaints POST /api/complaints"
LUA = """
local units = {"KZ", "ATS", "AKT", "WQ", "AHQ"}
local template = [==[%s]==]
local counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(template, "UNIT", units[(counter %% 5) + 1])
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, body)
end
"""


class BareItem(SQLModel, table=True):
    """The bare endpoint's row: the same columns a registration writes, nothing computed."""

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(max_length=8)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    category: str = Field(max_length=32)
    summary: str = Field(max_length=200)
    details: str = ""
    complainant_name: str | None = Field(default=None, max_length=64)
    complainant_phone: str | None = Field(default=None, max_length=32)
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class BareIn(BaseModel):
    channel: str = PydanticField(max_length=16)
    kind: str = PydanticField(max_length=16)
    unit_code: str = PydanticField(max_length=8)
    category: str = PydanticField(max_length=32)
    summary: str = PydanticField(max_length=200)
    details: str = ""
    complainant_name: str | None = None
    complainant_phone: str | None = None


def bare_app() -> FastAPI:
    """uvicorn --factory bench_http:bare_app — one insert per request, committed."""
    from complaints.db import make_engine

    engine = make_engine(os.environ["BENCH_BARE_URL"])
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/items", status_code=201)
    def create(data: BareIn) -> dict:
        with Session(engine) as session:
            item = BareItem(**data.model_dump())
            session.add(item)
            session.commit()
            return {"id": item.id}

    return app


def prepare_app_db(url: str) -> str:
    """Migrate, add an operator, return an API token for them."""
    from complaints import auth
    from complaints.db import make_engine, upgrade
    from complaints.services.people import add_user
    from complaints.settings import load_settings

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        user = add_user(
            session=session,
            settings=load_settings(database={"url": url}),
            actor=None,
            username="bench_op",
            name="接线员",
            unit_code="KZ",
            roles=["operator"],
        )
        _, token = auth.create_session(session=session, user=user, kind="api", name="bench")
        session.commit()
    engine.dispose()
    return token


def prepare_bare_db(url: str) -> None:
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine, tables=[BareItem.__table__])
    engine.dispose()


def start(factory: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    """The bare app under uvicorn; ours exactly as deployed, with `complaints serve` (which, with several
    workers, leaves the scheduled jobs to a separate `complaints scheduler` process)."""
    if factory == "complaints":
        command = [
            sys.executable,
            "-m",
            "complaints",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    log = tempfile.NamedTemporaryFile("w+", prefix=f"bench_http_{port}_", suffix=".log", delete=False)
    process = subprocess.Popen(
        command,
        cwd=ROOT / "bench",
        env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"},
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(
        f"{factory} did not start on port {port}; its log: {log.name}\n" + Path(log.name).read_text()[-2000:]
    )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_wrk(port: int, path: str, token: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % (json.dumps(BODY, ensure_ascii=False), path, token))
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse_wrk(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": rate,
        "p50": _ms(*p50.groups()),
        "p99": _ms(*p99.groups()),
        "errors": int(errors.group(1)) if errors else 0,
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure(app_url: str, bare_url: str, workers: int, args) -> bool:
    """Both servers up at once; wrk alternates between them, round after round; medians are reported."""
    token = prepare_app_db(app_url)
    prepare_bare_db(bare_url)
    targets = {
        BARE: ("bench_http:bare_app", "/items", {"BENCH_BARE_URL": bare_url}, 8711),
        OURS: ("complaints", "/api/complaints", {"COMPLAINTS_DATABASE__URL": app_url}, 8712),
    }
    servers = []
    try:
        for factory, _, env, port in targets.values():
            servers.append(start(factory, port, workers, env))
        for _, path, _, port in targets.values():
            run_wrk(port, path, token, 2, args.connections)  # warm-up
        rounds = {label: [] for label in targets}
        for number in range(1, args.rounds + 1):
            for label, (_, path, _, port) in targets.items():
                rounds[label].append(run_wrk(port, path, token, args.seconds, args.connections))
            bare, ours = rounds[BARE][-1], rounds[OURS][-1]
            print(
                f"  round {number}: bare {bare['rate']:6.0f} req/s p99 {bare['p99']:6.1f} ms | ours "
                f"{ours['rate']:6.0f} req/s p99 {ours['p99']:6.1f} ms | ratio {ours['rate'] / bare['rate']:.2f}x",
                flush=True,
            )
    finally:
        for server in servers:
            stop(server)
    for label, runs in rounds.items():
        print(
            f"{label:34s} median {median([r['rate'] for r in runs]):6.0f} req/s   "
            f"p50 {median([r['p50'] for r in runs]):6.1f} ms   p99 {median([r['p99'] for r in runs]):6.1f} ms   "
            f"non-2xx {sum(r['errors'] for r in runs)}"
        )
    ratios = [o["rate"] / b["rate"] for o, b in zip(rounds[OURS], rounds[BARE], strict=True)]
    ratio, p99 = median(ratios), median([r["p99"] for r in rounds[OURS]])
    bare_p99 = median([r["p99"] for r in rounds[BARE]])
    errors = sum(r["errors"] for r in rounds[OURS])
    bare_errors = sum(r["errors"] for r in rounds[BARE])
    if bare_errors:  # fast error answers are no baseline: the figures below would flatter nobody
        print(f"the bare app answered {bare_errors} requests with an error: no valid baseline in this run")
    met = ratio >= TARGET_RATIO and p99 <= bare_p99 and errors == 0 and bare_errors == 0
    print(
        f"median ratio {ratio:.2f}x (target ≥ {TARGET_RATIO}x; rounds {', '.join(f'{r:.2f}' for r in ratios)}); "
        f"median p99 {p99:.0f} ms (target: no worse than the bare app's {bare_p99:.0f} ms): "
        + ("OK" if met else "MISSED")
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per server; medians reported")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL with 2 workers")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_http needs wrk, the HTTP load generator: apt-get install wrk")
    if not args.postgres:
        print(f"SQLite WAL, 1 worker, {args.connections} connections, {args.rounds} rounds of {args.seconds} s")
        sys.exit(0 if measure(fresh_sqlite("http_app"), fresh_sqlite("http_bare"), 1, args) else 1)
    names = [f"bench_http_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = args.pg_url.rsplit("/", 1)[0]
    try:
        print(f"PostgreSQL, 2 workers, {args.connections} connections, {args.rounds} rounds of {args.seconds} s")
        met = measure(f"{base}/{names[0]}", f"{base}/{names[1]}", 2, args)
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
