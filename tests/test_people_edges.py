"""Every edge that can change a person (API, admin page, CLI) goes through the one people service: nobody
raises their own rights, nobody manages another unit's people, and every change is in the audit log."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from complaints import auth
from complaints.api.errors import endpoints
from complaints.cli import app as cli_app
from complaints.cli.setup import users_app
from complaints.db import make_engine
from complaints.models import AuditLog, User

pytest_plugins = ["test_api_client"]

# (method, route) of every endpoint that changes a person; the first test fails when one is added unwalked
API_EDGES = {
    ("POST", "/api/people"),
    ("PATCH", "/api/people/{person_id}"),
    ("PUT", "/api/people/{person_id}/out-of-office"),
}
PAGE_EDGES = {("POST", "/admin/people"), ("POST", "/admin/people/{user_id}")}
CLI_EDGES = {"add", "set"}  # `users list` only reads


def entries(session: Session, actor: User, action: str) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.actor_id == actor.id, AuditLog.action == action).order_by(AuditLog.id)
        )
    )


def test_the_walk_covers_every_edge_that_changes_a_person(app):
    writes = {
        (method, route.path)
        for route in endpoints(app.router.routes)
        if "/people" in getattr(route, "path", "")
        for method in getattr(route, "methods", set()) - {"GET", "HEAD"}
    }
    assert writes == API_EDGES | PAGE_EDGES
    assert {command.name for command in users_app.registered_commands} - {"list"} == CLI_EDGES


def test_the_api_refuses_self_promotion_and_other_units_and_audits_every_change(
    client,
    bearer,
    make_user,
    session,
):
    admin, colleague = make_user("admin", unit="ATS"), make_user("handler", unit="ATS")
    stranger = make_user("handler", unit="AKT")
    headers = bearer(admin)
    assert (
        client.patch(f"/api/people/{admin.id}", headers=headers, json={"roles": ["admin", "supervisor"]}).status_code
        == 422
    )
    assert client.patch(f"/api/people/{admin.id}", headers=headers, json={"unit_code": "KZ"}).status_code == 422
    assert (
        client.post(
            "/api/people",
            headers=headers,
            json={"username": "akt_new", "name": "别县新人", "unit_code": "AKT", "roles": ["supervisor"]},
        ).status_code
        == 403
    )
    assert client.patch(f"/api/people/{stranger.id}", headers=headers, json={"active": False}).status_code == 404
    assert client.get("/api/auth/me", headers=headers).json()["user"]["roles"] == ["admin"]
    assert entries(session, admin, "person_created") == entries(session, admin, "person_updated") == []

    created = client.post(
        "/api/people",
        headers=headers,
        json={"username": "ats_new", "name": "新接线员", "unit_code": "ATS", "roles": ["operator"]},
    ).json()
    client.patch(f"/api/people/{colleague.id}", headers=headers, json={"active": False})
    client.put(f"/api/people/{colleague.id}/out-of-office", headers=headers, json={"away": True})
    [made] = entries(session, admin, "person_created")
    assert made.detail["user_id"] == created["id"] and made.detail["roles"] == "operator"
    [changed] = entries(session, admin, "person_updated")
    assert changed.detail == {"user_id": colleague.id, "active": [True, False]}
    [away] = entries(session, admin, "person_away")
    assert away.detail == {"user_id": colleague.id, "away": True, "delegate_id": None}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_admin_page_refuses_self_promotion_and_audits_every_change(
    client,
    make_user,
    session,
    bearer,
):
    admin, colleague = make_user("admin", unit="ATS"), make_user("handler", unit="ATS")
    _, token = auth.create_session(session=session, user=admin, kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    csrf = csrf_of(client.get("/admin").text)

    refused = client.post(
        f"/admin/people/{admin.id}", data={"csrf_token": csrf, "roles": ["admin", "supervisor"], "active": "on"}
    )
    assert refused.status_code == 422 and "不能修改自己的角色" in refused.text
    assert (
        client.post(f"/admin/people/{admin.id}", data={"csrf_token": csrf, "roles": ["admin"]}).status_code == 422
    )  # nor deactivate oneself
    other_unit = client.post(
        "/admin/people",
        data={"csrf_token": csrf, "username": "akt_x", "name": "别县", "unit_code": "AKT", "roles": "supervisor"},
    )
    assert other_unit.status_code == 403 and "管理员可以管理人员" in other_unit.text
    assert client.get("/api/auth/me", headers=bearer(admin)).json()["user"]["roles"] == ["admin"]
    assert entries(session, admin, "person_created") == entries(session, admin, "person_updated") == []

    done = client.post(
        "/admin/people",
        follow_redirects=False,
        data={"csrf_token": csrf, "username": "ats_page", "name": "页面新人", "unit_code": "ATS", "roles": "handler"},
    )
    assert done.status_code == 303
    assert (
        client.post(
            f"/admin/people/{colleague.id}",
            follow_redirects=False,
            data={"csrf_token": csrf, "roles": ["handler", "supervisor"], "active": "on"},
        ).status_code
        == 303
    )
    [made] = entries(session, admin, "person_created")
    assert made.detail["username"] == "ats_page"
    [changed] = entries(session, admin, "person_updated")
    assert changed.detail == {"user_id": colleague.id, "roles": ["handler", "handler,supervisor"]}


@pytest.fixture
def cli(scratch_url, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_DATABASE__URL", scratch_url)
    monkeypatch.delenv("COMPLAINTS_USER", raising=False)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli_app, [str(a) for a in args])

    assert run("init", "--password", "admin-pass-1").exit_code == 0
    assert run("users", "add", "ats_admin", "--name", "县管理员", "--unit", "ATS", "--roles", "admin").exit_code == 0
    assert run("users", "add", "ats_h", "--name", "承办人", "--unit", "ATS", "--roles", "handler").exit_code == 0
    engine = make_engine(scratch_url)
    yield run, engine
    engine.dispose()


def test_the_cli_refuses_self_promotion_and_other_units_and_audits_every_change(cli):
    run, engine = cli
    refused = run("--as", "ats_admin", "users", "set", "ats_admin", "--roles", "admin,supervisor")
    assert refused.exit_code == 1 and "不能修改自己的角色" in refused.output
    assert run("--as", "ats_admin", "users", "set", "ats_admin", "--inactive").exit_code == 1
    assert (
        run(
            "--as", "ats_admin", "users", "add", "akt_x", "--name", "别县", "--unit", "AKT", "--roles", "supervisor"
        ).exit_code
        == 1
    )
    assert run("--as", "ats_h", "users", "set", "ats_h", "--roles", "admin").exit_code == 1  # not an admin

    assert (
        run(
            "--as", "ats_admin", "users", "add", "ats_op", "--name", "接线员", "--unit", "ATS", "--roles", "operator"
        ).exit_code
        == 0
    )
    assert run("--as", "ats_admin", "users", "set", "ats_h", "--roles", "handler,supervisor").exit_code == 0
    assert run("users", "set", "ats_h", "--unit", "AKT").exit_code == 0  # the prefecture's admin moves people
    with Session(engine) as session:
        county = session.exec(select(User).where(User.username == "ats_admin")).one()
        first = session.exec(select(User).where(User.username == "admin")).one()
        moved = session.exec(select(User).where(User.username == "ats_h")).one()
        assert county.roles == "admin" and moved.roles == "handler,supervisor" and moved.unit_code == "AKT"
        assert [e.detail["username"] for e in entries(session, county, "person_created")] == ["ats_op"]
        assert [e.detail for e in entries(session, county, "person_updated")] == [
            {"user_id": moved.id, "roles": ["handler", "handler,supervisor"]}
        ]
        assert [e.detail for e in entries(session, first, "person_updated")] == [
            {"user_id": moved.id, "unit_code": ["ATS", "AKT"]}
        ]
        assert len(entries(session, first, "person_created")) == 2  # ats_admin and ats_h, by the first admin
