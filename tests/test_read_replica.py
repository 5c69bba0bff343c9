"""`[database] replica_url`: lists, dashboards, exports and searches read from the replica; the signed-in
user, the item page and every write stay on the primary; a read-only session refuses to write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pgdb import PG_URL, _create_pg_database, _drop_pg_database
from sqlmodel import Session, func, select

from complaints import auth
from complaints.app import create_app
from complaints.db import make_engine, read_only, upgrade
from complaints.models import Complaint, User
from complaints.runtime import Runtime
from complaints.services import registration
from complaints.settings import load_settings

ITEM = {"channel": "call", "kind": "complaint", "unit_code": "ATS", "category": "fees"}


@pytest.fixture
def replica_url(tmp_path):
    """A second database of the run's kind, standing for a replica (what it holds is what was replicated)."""
    if PG_URL:
        url, name = _create_pg_database(PG_URL)
        yield url
        _drop_pg_database(PG_URL, name)
    else:
        yield f"sqlite:///{tmp_path / 'replica.db'}"


def _staff(engine) -> int:
    with Session(engine) as session:
        user = User(username="ats_sup", name="督办", unit_code="ATS", roles="operator,supervisor")
        session.add(user)
        session.commit()
        return user.id


def _register(engine, settings, summary: str) -> None:
    runtime = Runtime.load(settings, engine)
    with Session(engine) as session:
        actor = session.exec(select(User).where(User.username == "ats_sup")).one()
        registration.register(session=session, runtime=runtime, actor=actor, data={**ITEM, "summary": summary})
        session.commit()


def _summaries(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Complaint.summary).order_by(Complaint.id)))


def test_reads_go_to_the_replica_and_writes_to_the_primary(scratch_url, replica_url, tmp_path):
    settings = load_settings(
        app={"environment": "test", "secret_key": "test-secret", "run_scheduler_in_process": False},
        database={"url": scratch_url, "replica_url": replica_url},
        attachments={"storage": str(tmp_path / "attachments")},
    )
    primary, replica = make_engine(scratch_url), make_engine(replica_url)
    try:
        for url in (scratch_url, replica_url):
            upgrade(url)
        user_id = _staff(primary)
        _staff(replica)
        _register(replica, settings, "只在副本中的诉求")
        with Session(primary) as session:
            _, token = auth.create_session(session=session, user=session.get(User, user_id), kind="api", name="t")
            session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(settings)) as client:
            listed = client.get("/api/complaints", headers=headers)  # signed in on the primary, listed from the replica
            assert listed.status_code == 200, listed.text
            assert [row["summary"] for row in listed.json()["data"]] == ["只在副本中的诉求"]
            searched = client.get("/api/complaints", params={"q": "副本"}, headers=headers)
            assert [row["summary"] for row in searched.json()["data"]] == ["只在副本中的诉求"]
            overdue = client.get("/api/supervision/overdue", headers=headers)
            assert overdue.status_code == 200 and overdue.json()["count"] == 0

            created = client.post("/api/complaints", json={**ITEM, "summary": "新登记的诉求"}, headers=headers)
            assert created.status_code == 201, created.text
            assert _summaries(primary) == ["新登记的诉求"]  # the write went to the primary only
            assert _summaries(replica) == ["只在副本中的诉求"]
            shown = client.get(f"/api/complaints/{created.json()['tracking_no']}", headers=headers)
            assert shown.status_code == 200  # the item page reads the primary: one's own write is there at once
            again = client.get("/api/complaints", headers=headers)
            assert [row["summary"] for row in again.json()["data"]] == ["只在副本中的诉求"]  # not replicated yet
    finally:
        primary.dispose()
        replica.dispose()


def test_without_a_replica_the_lists_read_the_primary(scratch_url, tmp_path):
    settings = load_settings(
        app={"environment": "test", "secret_key": "test-secret", "run_scheduler_in_process": False},
        database={"url": scratch_url},
        attachments={"storage": str(tmp_path / "attachments")},
    )
    upgrade(scratch_url)
    primary = make_engine(scratch_url)
    try:
        user_id = _staff(primary)
        _register(primary, settings, "主库中的诉求")
        with Session(primary) as session:
            _, token = auth.create_session(session=session, user=session.get(User, user_id), kind="api", name="t")
            session.commit()
        with TestClient(create_app(settings)) as client:
            listed = client.get("/api/complaints", headers={"Authorization": f"Bearer {token}"})
            assert [row["summary"] for row in listed.json()["data"]] == ["主库中的诉求"]
    finally:
        primary.dispose()


def test_a_read_only_session_refuses_to_write(engine):
    with read_only(Session(engine)) as session:
        assert session.exec(select(func.count()).select_from(User)).one() >= 0  # reading is what it is for
        session.add(User(username="never_written", name="x", unit_code="ATS", roles="operator"))
        with pytest.raises(RuntimeError, match="read-only"):
            session.flush()
