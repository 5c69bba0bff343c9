"""Accounts: login (cookie and token), lock-out with back-off, logout, password change, tokens, CSRF."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from test_api_client import assert_error

from complaints import auth
from complaints.app import create_app
from complaints.clock import utcnow
from complaints.models import AuditLog, AuthSession

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients

PASSWORD = "right-pass-2026"


@pytest.fixture
def person(make_user):
    return make_user("handler", password=PASSWORD)


def login(client, username: str, password: str = PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_login_sets_a_httponly_lax_cookie_and_returns_a_csrf_token(client, person):
    response = login(client, person.username)
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    me = client.get("/api/auth/me").json()
    assert me["user"]["username"] == person.username and me["csrf_token"] == response.json()["csrf_token"]


def test_cookie_is_secure_behind_https(settings, engine, connection, person):
    https = settings.model_copy(update={"app": settings.app.model_copy(update={"https": True})})
    with TestClient(create_app(https, engine=engine, connection=connection)) as secure_client:
        assert "Secure" in login(secure_client, person.username).headers["set-cookie"]


def test_cookie_is_secure_when_the_request_came_over_https_without_configuration(settings, engine, connection, person):
    with TestClient(
        create_app(settings, engine=engine, connection=connection), base_url="https://complaints.example"
    ) as over_https:
        assert "Secure" in login(over_https, person.username).headers["set-cookie"]
        over_https.cookies.clear()
        form = over_https.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        page = over_https.post(
            "/login",
            data={"username": person.username, "password": PASSWORD, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert page.status_code == 303 and "Secure" in page.headers["set-cookie"]


def test_cookie_writes_need_the_csrf_token_bearer_writes_do_not(client, person, bearer):
    csrf = login(client, person.username).json()["csrf_token"]
    body = {"name": "对接"}
    assert_error(client.post("/api/auth/tokens", json=body), 403, "forbidden", "X-CSRF-Token")
    assert_error(client.post("/api/auth/tokens", json=body, headers={"X-CSRF-Token": "x" * 64}), 403)
    assert client.post("/api/auth/tokens", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    client.cookies.clear()
    assert client.post("/api/auth/tokens", json=body, headers=bearer(person)).status_code == 201


def test_unknown_user_and_wrong_password_get_the_same_answer(client, person):
    unknown = assert_error(login(client, "nobody_here"), 401, "unauthenticated")
    wrong = assert_error(login(client, person.username, "wrong-pass-1"), 401, "unauthenticated")
    assert unknown == wrong


def test_lock_out_after_repeated_failures_even_for_the_right_password(client, person, session):
    for _ in range(auth.FREE_ATTEMPTS):
        assert login(client, person.username, "wrong-pass-1").status_code == 401
    session.refresh(person)
    assert person.failed_logins == auth.FREE_ATTEMPTS and person.locked_until is not None
    error = assert_error(login(client, person.username), 429, "locked_out")
    assert "锁定" in error["message"]
    failures = session.exec(
        select(AuditLog).where(AuditLog.actor_id == person.id, AuditLog.action == "login_failed")
    ).all()
    assert len(failures) == auth.FREE_ATTEMPTS


def test_guessing_the_current_password_on_a_borrowed_session_locks_the_account(client, person, bearer):
    headers = bearer(person)
    guess = {"current_password": "wrong-pass-1", "new_password": "taken-over-2026"}
    for _ in range(auth.FREE_ATTEMPTS):
        assert_error(client.post("/api/auth/password", json=guess, headers=headers), 422, field="current_password")
    locked = client.post("/api/auth/password", json={**guess, "current_password": PASSWORD}, headers=headers)
    assert_error(locked, 429, "locked_out")
    assert int(locked.headers["retry-after"]) >= 1
    assert_error(login(client, person.username), 429, "locked_out")


def test_a_lock_out_does_not_tell_whether_the_account_exists(client, person):
    answers = {}
    for name in (person.username, f"nobody_{person.id}"):
        for _ in range(auth.FREE_ATTEMPTS):
            assert_error(login(client, name, "wrong-pass-1"), 401, "unauthenticated")
        answers[name] = assert_error(login(client, name, "wrong-pass-1"), 429, "locked_out")
    assert answers[person.username] == answers[f"nobody_{person.id}"]


def test_unknown_names_are_locked_out_across_processes(settings, engine, connection, runtime, client):
    """Failed logins of a name that is no account are counted in the database: a second API process
    sees the lock-out the first one set."""
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    for _ in range(auth.FREE_ATTEMPTS):
        assert_error(login(client, name, "wrong-pass-1"), 401, "unauthenticated")
    with TestClient(create_app(settings, engine=engine, connection=connection, runtime=runtime)) as other:
        assert_error(login(other, name, "wrong-pass-1"), 429, "locked_out")


def test_lock_expires_and_a_good_login_resets_the_count(client, person, session):
    person.failed_logins, person.locked_until = 7, utcnow() - timedelta(seconds=1)
    session.add(person)
    session.flush()
    assert login(client, person.username).status_code == 200
    session.refresh(person)
    assert person.failed_logins == 0 and person.locked_until is None


def test_back_off_doubles_and_is_capped():
    assert auth.lock_duration(auth.FREE_ATTEMPTS - 1) is None
    first = auth.lock_duration(auth.FREE_ATTEMPTS)
    assert auth.lock_duration(auth.FREE_ATTEMPTS + 1) == 2 * first
    assert auth.lock_duration(auth.FREE_ATTEMPTS + 1000) == auth.MAX_LOCK


def test_inactive_people_cannot_log_in_and_their_tokens_stop_working(client, person, session, bearer):
    headers = bearer(person)
    person.active = False
    session.add(person)
    session.flush()
    assert_error(login(client, person.username), 401)
    assert_error(client.get("/api/auth/me", headers=headers), 401)


def test_logout_ends_the_session(client, person):
    csrf = login(client, person.username).json()["csrf_token"]
    cookie = client.cookies.get(auth.SESSION_COOKIE)
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set(auth.SESSION_COOKIE, cookie)
    assert_error(client.get("/api/auth/me"), 401)


def test_expired_sessions_are_refused(client, person, session):
    record, token = auth.create_session(session=session, user=person, kind="api", ttl=timedelta(seconds=-1))
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_change_password_checks_the_current_one_and_ends_other_sessions(client, person, bearer):
    other = bearer(person)
    mine = bearer(person)
    wrong = {"current_password": "not-it-at-all", "new_password": "new-pass-2026"}
    assert_error(client.post("/api/auth/password", json=wrong, headers=mine), 422, field="current_password")
    short = {"current_password": PASSWORD, "new_password": "short"}
    assert_error(client.post("/api/auth/password", json=short, headers=mine), 422, field="new_password")
    good = {"current_password": PASSWORD, "new_password": "new-pass-2026"}
    assert client.post("/api/auth/password", json=good, headers=mine).status_code == 204
    assert client.get("/api/auth/me", headers=mine).status_code == 200
    assert_error(client.get("/api/auth/me", headers=other), 401)
    assert login(client, person.username, "new-pass-2026").status_code == 200
    assert_error(login(client, person.username), 401)


def test_api_tokens_from_a_password_listed_and_revoked(client, person, session):
    created = client.post(
        "/api/auth/token", json={"username": person.username, "password": PASSWORD, "name": "12345平台对接", "days": 30}
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/auth/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["12345平台对接"] and "token" not in listed[0]
    stored = session.exec(select(AuthSession).where(AuthSession.user_id == person.id)).all()
    assert all(token not in (s.token_hash, s.name) for s in stored)  # only the hash is kept
    assert client.delete(f"/api/auth/tokens/{listed[0]['id']}", headers=headers).status_code == 204
    assert_error(client.get("/api/auth/me", headers=headers), 401)


def test_someone_elses_token_cannot_be_revoked(client, person, make_user, bearer, session):
    record, _ = auth.create_session(session=session, user=make_user("operator"), kind="api", name="x")
    assert_error(client.delete(f"/api/auth/tokens/{record.id}", headers=bearer(person)), 404)


def test_bad_login_bodies_are_422_not_500(client):
    for body in (
        {},
        {"username": "a"},
        {"username": "a" * 10_000, "password": "b"},
        {"username": 1, "password": ["x"]},
        [],
    ):
        assert_error(client.post("/api/auth/login", json=body), 422, "invalid_input")
    assert_error(
        client.post(
            "/api/auth/login",
            content=b"username=a&password=b",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        422,
    )
