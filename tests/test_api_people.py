"""/api/people (admins manage their unit; the prefecture's admins every unit), reference lists, supervision."""

from __future__ import annotations

from datetime import timedelta

from test_api_client import assert_error

from complaints.clock import utcnow

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients


def test_admin_creates_and_updates_people_of_their_unit(client, bearer, make_user):
    admin = make_user("admin", unit="ATS")
    created = client.post(
        "/api/people",
        headers=bearer(admin),
        json={
            "username": "ats_new_handler",
            "name": "新承办人",
            "unit_code": "ATS",
            "roles": ["handler"],
            "password": "first-pass-2026",
            "phone": "13900001111",
        },
    )
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["roles"] == ["handler"] and person["phone"] == "13900001111" and person["active"]
    changed = client.patch(
        f"/api/people/{person['id']}", headers=bearer(admin), json={"roles": ["handler", "supervisor"], "active": False}
    )
    assert changed.json()["roles"] == ["handler", "supervisor"] and not changed.json()["active"]
    for unknown in ("", "ZZZ"):  # a unit that is none of the deployment's is refused, the empty one too
        assert_error(
            client.patch(f"/api/people/{person['id']}", headers=bearer(admin), json={"unit_code": unknown}),
            422,
            field="unit_code",
        )
    assert_error(
        client.post(
            "/api/people",
            headers=bearer(admin),
            json={"username": "ats_new_handler", "name": "重名", "unit_code": "ATS", "roles": ["operator"]},
        ),
        422,
        field="username",
    )
    assert_error(
        client.post(
            "/api/people",
            headers=bearer(admin),
            json={"username": "x1", "name": "别的县", "unit_code": "AKT", "roles": ["operator"]},
        ),
        403,
    )


def test_admins_cannot_lock_themselves_out(client, bearer, make_user):
    admin = make_user("admin", unit="ATS")
    assert_error(client.patch(f"/api/people/{admin.id}", headers=bearer(admin), json={"active": False}), 422)
    assert_error(client.patch(f"/api/people/{admin.id}", headers=bearer(admin), json={"roles": ["handler"]}), 422)


def test_an_admin_cannot_grant_themselves_a_role_and_every_change_is_audited(client, bearer, make_user, session):
    from sqlmodel import select

    from complaints.models import AuditLog

    admin = make_user("admin", unit="AHQ")
    refused = assert_error(
        client.patch(f"/api/people/{admin.id}", headers=bearer(admin), json={"roles": ["admin", "supervisor"]}),
        422,
        field="roles",
    )
    assert "其他管理员" in refused["message"]
    assert client.get("/api/auth/me", headers=bearer(admin)).json()["user"]["roles"] == ["admin"]
    other = make_user("handler", unit="AHQ")
    client.patch(f"/api/people/{other.id}", headers=bearer(admin), json={"roles": ["handler", "supervisor"]})
    [entry] = session.exec(
        select(AuditLog).where(AuditLog.action == "person_updated", AuditLog.actor_id == admin.id)
    ).all()
    assert entry.detail == {"user_id": other.id, "roles": ["handler", "handler,supervisor"]}


def test_a_password_set_by_an_admin_ends_the_persons_sessions(client, bearer, make_user):
    admin, person = make_user("admin"), make_user("handler")
    theirs = bearer(person)
    assert client.get("/api/auth/me", headers=theirs).status_code == 200
    changed = client.patch(f"/api/people/{person.id}", headers=bearer(admin), json={"password": "reset-pass-2026"})
    assert changed.status_code == 200
    assert_error(client.get("/api/auth/me", headers=theirs), 401)


def test_a_delegate_must_be_an_active_handler(client, bearer, make_user):
    handler, operator = make_user("handler"), make_user("operator")
    assert_error(
        client.put(
            f"/api/people/{handler.id}/out-of-office",
            headers=bearer(handler),
            json={"away": True, "delegate_id": operator.id},
        ),
        422,
        field="delegate_id",
    )
    colleague = make_user("handler")
    done = client.put(
        f"/api/people/{handler.id}/out-of-office",
        headers=bearer(handler),
        json={"away": True, "delegate_id": colleague.id},
    )
    assert done.status_code == 200 and done.json()["delegate_id"] == colleague.id


def test_admin_unlocks_a_locked_out_person(client, bearer, make_user, session):
    locked = make_user("handler")
    locked.failed_logins, locked.locked_until = 9, utcnow() + timedelta(hours=1)
    session.add(locked)
    session.flush()
    admin = bearer(make_user("admin"))
    assert client.get(f"/api/people/{locked.id}", headers=admin).json()["locked"]
    assert not client.patch(f"/api/people/{locked.id}", headers=admin, json={"unlock": True}).json()["locked"]


def test_people_list_is_scoped_and_hides_contact_details_from_non_admins(client, bearer, make_user):
    colleague = make_user("handler", unit="ATS")
    colleague.phone = "13900002222"
    far_away = make_user("handler", unit="AKT")
    listed = client.get("/api/people?limit=500", headers=bearer(make_user("operator", unit="ATS"))).json()["data"]
    ids = {p["id"] for p in listed}
    assert colleague.id in ids and far_away.id not in ids
    assert all(p["phone"] is None for p in listed if p["id"] == colleague.id)
    everyone = client.get("/api/people?limit=500", headers=bearer(make_user("admin", unit="KZ"))).json()["data"]
    assert {colleague.id, far_away.id} <= {p["id"] for p in everyone}
    assert_error(client.get("/api/people?role=wizard", headers=bearer(colleague)), 422)


def test_out_of_office_by_the_person_themselves_with_a_delegate(client, bearer, make_user):
    handler, delegate = make_user("handler"), make_user("handler")
    response = client.put(
        f"/api/people/{handler.id}/out-of-office",
        headers=bearer(handler),
        json={"away": True, "delegate_id": delegate.id},
    )
    assert response.json()["out_of_office"] and response.json()["delegate_id"] == delegate.id
    outsider = make_user("handler", unit="AKT")
    assert_error(
        client.put(
            f"/api/people/{handler.id}/out-of-office",
            headers=bearer(handler),
            json={"away": True, "delegate_id": outsider.id},
        ),
        404,
    )


def test_reference_lists(client, bearer, make_user, settings):
    headers = bearer(make_user("operator"))
    assert [u["code"] for u in client.get("/api/units", headers=headers).json()] == [u.code for u in settings.units]
    assert len(client.get("/api/categories", headers=headers).json()) == len(settings.categories)
    statuses = {s["code"]: s for s in client.get("/api/statuses", headers=headers).json()}
    assert statuses["closed"]["label"] == "已办结" and not statuses["closed"]["open"]
    actions = {a["code"]: a for a in client.get("/api/actions", headers=headers).json()}
    assert actions["approve_extension"]["roles"] == ["supervisor"]


def test_supervision_lists_and_counts(client, bearer, make_user, new_item, session):
    late, fresh = new_item(summary="超期件（督办测试）"), new_item(unit_code="AKT")
    late.next_due_at = utcnow() - timedelta(hours=1)
    session.add(late)
    session.flush()
    supervisor = bearer(make_user("supervisor", unit="KZ"))
    overdue = client.get("/api/supervision/overdue", headers=supervisor).json()["data"]
    assert late.tracking_no in [i["tracking_no"] for i in overdue]
    assert fresh.tracking_no not in [i["tracking_no"] for i in overdue]
    by_unit = {r["key"]: r for r in client.get("/api/supervision/counts?by=unit", headers=supervisor).json()}
    assert by_unit["ATS"]["overdue"] >= 1 and by_unit["ATS"]["label"] == "阿图什市教育局"
    by_handler = client.get("/api/supervision/counts?by=handler", headers=supervisor).json()
    assert any(r["key"] is None and r["label"] == "未派单" for r in by_handler)
    assert client.get("/api/supervision/due-soon?unit=ATS", headers=supervisor).status_code == 200
    assert_error(client.get("/api/supervision/counts?by=mood", headers=supervisor), 422)
