"""/api/complaints: register, list, show, act — normal, not-found, conflict and bad-input cases."""

from __future__ import annotations

import pytest
from sqlmodel import select
from test_api_client import assert_error

from complaints.models import Complaint, Event

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients

NEW = {
    "channel": "call",
    "kind": "complaint",
    "unit_code": "ATS",
    "category": "fees",
    "summary": "反映学校收取共建费",
    "details": "家长反映入学时被要求缴纳共建费",
    "complainant_name": "王丽",
    "complainant_phone": "13812345678",
}


@pytest.fixture
def operator(make_user):
    return make_user("operator")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


def test_register_returns_the_item_with_location_etag_history_and_deadlines(client, bearer, operator):
    response = client.post("/api/complaints", json=NEW, headers=bearer(operator))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/complaints/{body['id']}"
    assert response.headers["etag"] == '"1"' and body["version"] == 1
    assert body["tracking_no"].startswith("ATS-") and body["status"] == "registered"
    assert [e["action"] for e in body["history"]] == ["register"]
    assert body["deadlines"]["reply"] and body["deadlines"]["next_due"]
    assert body["complainant"]["phone"] == "13812345678"  # the operator who took the call heard it anyway


def test_unknown_unit_names_the_valid_ones(client, bearer, operator):
    error = assert_error(
        client.post("/api/complaints", json={**NEW, "unit_code": "XYZ"}, headers=bearer(operator)),
        422,
        "invalid_input",
        "unit_code",
    )
    assert "ATS（阿图什市教育局）" in error["message"]
    error = assert_error(client.get("/api/complaints?unit=NOPE", headers=bearer(operator)), 422, field="unit")
    assert "KZ（克州教育局）" in error["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "x" * 100_000},
        {"details": "长" * 50_000},
        {"summary": ""},
        {"summary": 12},
        {"channel": "fax"},
        {"kind": None},
        {"unit_code": ["ATS"]},
        {"category": "no_such"},
        {"complainant_phone": "12"},
        {"complainant_phone": "9" * 1000},
        {"received_at": "yesterday"},
        {"received_at": "2999-01-01T00:00:00"},
        {"received_at": "1999-01-01T00:00:00"},
        {"confidential": "maybe"},
        {"unknown_field": 1},
        {"urgency": {"a": 1}},
    ],
)
def test_bad_register_input_is_422_never_500(client, bearer, operator, change):
    assert_error(client.post("/api/complaints", json={**NEW, **change}, headers=bearer(operator)), 422, "invalid_input")


@pytest.mark.parametrize("body", [None, b"", b"{", b"[]", b"\xff\xfe", b'"text"', b"null"])
def test_malformed_bodies_are_422(client, bearer, operator, body):
    response = client.post(
        "/api/complaints", content=body, headers={**bearer(operator), "Content-Type": "application/json"}
    )
    assert_error(response, 422)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=abc",
        "offset=-1",
        "offset=99999999",
        "sort=name",
        "status=lost",
        "handler=0",
        "handler=99999999999999",
        "q=" + "x" * 500,
        "overdue=perhaps",
        "category=nope",
        "received_from=not-a-date",
        "bogus=1",
    ],
)
def test_bad_list_queries_are_422(client, bearer, supervisor, query):
    assert_error(client.get(f"/api/complaints?{query}", headers=bearer(supervisor)), 422, "invalid_input")


def test_lists_mask_phones_and_names_always(client, bearer, make_user, new_item, session, runtime):
    from complaints.services.transitions import act

    handler = make_user("handler")
    item = new_item(summary="关于共建费的投诉（掩码测试）")
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    listed = client.get("/api/complaints", params={"q": "掩码测试"}, headers=bearer(handler)).json()
    assert listed["count"] == 1
    who = listed["data"][0]["complainant"]
    assert who == {"name": "王*", "phone": "138****5678", "masked": True, "confidential": False, "anonymous": False}


def test_search_matches_its_text_literally(client, bearer, supervisor, new_item):
    percent = new_item(summary="学校承诺100%退还资料费")
    backslash = new_item(summary="网上报名系统路径显示 C:\\报名\\ 出错")
    plain = new_item(summary="学校承诺1000退还资料费")
    headers = bearer(supervisor)

    def found(text):
        return {row["id"] for row in client.get("/api/complaints", params={"q": text}, headers=headers).json()["data"]}

    assert percent.id in found("100%退还") and plain.id not in found("100%退还")
    assert plain.id not in found("学校承诺1_00") and not found("承诺1_0")  # _ is not a wildcard
    assert found("C:\\报名\\") == {backslash.id} and found("\\") == {backslash.id}


def test_list_filters_and_search(client, bearer, supervisor, new_item):
    fees = new_item(category="fees", summary="收取共建费（筛选测试）")
    new_item(category="zone", summary="划片范围有异议（筛选测试）")
    headers = bearer(supervisor)
    found = client.get("/api/complaints", params={"q": "筛选测试", "category": "fees"}, headers=headers).json()
    assert [i["tracking_no"] for i in found["data"]] == [fees.tracking_no]
    assert (
        client.get("/api/complaints", params={"q": "筛选测试", "status": "closed"}, headers=headers).json()["count"]
        == 0
    )
    page = client.get(
        "/api/complaints", params={"q": "筛选测试", "limit": 1, "sort": "-received"}, headers=headers
    ).json()
    assert page["count"] == 2 and len(page["data"]) == 1 and page["limit"] == 1


def test_show_by_id_or_tracking_number_and_404_for_unknown(client, bearer, supervisor, new_item):
    item = new_item()
    headers = bearer(supervisor)
    by_id = client.get(f"/api/complaints/{item.id}", headers=headers)
    by_no = client.get(f"/api/complaints/{item.tracking_no.lower()}", headers=headers)
    assert by_id.json()["tracking_no"] == by_no.json()["tracking_no"] == item.tracking_no
    assert by_id.headers["etag"] == f'"{item.version}"'
    actions = {a["action"] for a in by_id.json()["allowed_actions"]}
    assert {"dispatch", "not_accept", "mark_duplicate", "note"} <= actions and "accept" not in actions
    assert_error(client.get("/api/complaints/999999999", headers=headers), 404, "not_found")
    assert_error(client.get("/api/complaints/ATS-1999-000001", headers=headers), 404)
    assert_error(client.get("/api/complaints/a%20b", headers=headers), 422)


def test_the_whole_lifecycle_over_http_with_if_match(client, bearer, make_user, new_item):
    item, handler, supervisor = new_item(), make_user("handler"), make_user("supervisor")
    steps = [
        (supervisor, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {"note": "已电话联系家长"}),
        (
            handler,
            "reply",
            {
                "text": "经核查，该校已退还所收费用，并对相关人员进行了批评教育。",
                "outcome": "support",
                "handling_notes": "到校核查",
                "result_text": "学校已退费",
            },
        ),
        (supervisor, "callback", {"resolved": True, "satisfaction": "satisfied"}),
        (handler, "close", {}),
    ]
    version = 1
    for actor, action, payload in steps:
        response = client.post(
            f"/api/complaints/{item.id}/actions/{action}",
            json=payload,
            headers={**bearer(actor), "If-Match": f'"{version}"'},
        )
        assert response.status_code == 200, (action, response.text)
        version = response.json()["version"]
        assert response.headers["etag"] == f'"{version}"'
    final = client.get(f"/api/complaints/{item.id}", headers=bearer(supervisor)).json()
    assert final["status"] == "closed" and final["closed_at"] and version == 6
    assert [e["action"] for e in final["history"]] == ["register", "dispatch", "accept", "reply", "callback", "close"]


def test_a_stale_version_is_409_and_changes_nothing(client, bearer, make_user, new_item, session):
    item, handler = new_item(), make_user("handler")
    first, second = bearer(make_user("supervisor")), bearer(make_user("supervisor"))
    read_by_second = client.get(f"/api/complaints/{item.id}", headers=second).headers["etag"]
    assert (
        client.post(
            f"/api/complaints/{item.id}/actions/dispatch",
            json={"handler_id": handler.id},
            headers={**first, "If-Match": read_by_second},
        ).status_code
        == 200
    )
    stale = client.post(
        f"/api/complaints/{item.id}/actions/not_accept",
        json={"note": "不属于受理范围"},
        headers={**second, "If-Match": read_by_second},
    )
    assert_error(stale, 409, "conflict", "version")
    in_body = client.post(
        f"/api/complaints/{item.id}/actions/note", json={"note": "补充说明", "version": 1}, headers=second
    )
    assert_error(in_body, 409, "conflict")
    session.expire_all()
    current = session.get(Complaint, item.id)
    assert current.status == "dispatched" and current.version == 2
    actions = session.exec(select(Event.action).where(Event.complaint_id == item.id)).all()
    assert actions == ["register", "dispatch"]


def test_an_action_the_status_does_not_allow_is_409_naming_what_is(client, bearer, new_item, supervisor):
    error = assert_error(
        client.post(f"/api/complaints/{new_item().id}/actions/close", json={}, headers=bearer(supervisor)),
        409,
        "action_not_allowed",
    )
    assert "dispatch" in error["message"]


@pytest.mark.parametrize(
    "action, payload",
    [
        ("dispatch", {}),
        ("dispatch", {"handler_id": "x"}),
        ("dispatch", {"handler_id": 99999999}),
        ("dispatch", {"handler_id": 1, "extra": True}),
        ("note", {"note": "x" * 5000}),
        ("note", {"note": 5}),
        ("not_accept", {"note": ""}),
        ("note", {"note": "ok note", "version": "one"}),
    ],
)
def test_bad_action_payloads_are_422(client, bearer, new_item, supervisor, action, payload):
    response = client.post(
        f"/api/complaints/{new_item().id}/actions/{action}", json=payload, headers=bearer(supervisor)
    )
    assert_error(response, 422, "invalid_input")


def test_unknown_action_is_404_and_bad_if_match_is_422(client, bearer, new_item, supervisor):
    item = new_item()
    assert_error(client.post(f"/api/complaints/{item.id}/actions/explode", json={}, headers=bearer(supervisor)), 404)
    assert_error(
        client.post(
            f"/api/complaints/{item.id}/actions/note",
            json={"note": "备注内容"},
            headers={**bearer(supervisor), "If-Match": "yesterday"},
        ),
        422,
    )


def test_confidential_identity_is_hidden_until_revealed_and_the_reveal_is_recorded(
    client, bearer, new_item, supervisor, make_user
):
    item = new_item(kind="report", summary="举报学校违规收费")
    headers = bearer(supervisor)
    shown = client.get(f"/api/complaints/{item.id}", headers=headers).json()
    assert shown["complainant"]["confidential"] and shown["complainant"]["phone"] == "（保密）"
    assert "view_identity" not in [e["action"] for e in shown["history"]]
    revealed = client.post(f"/api/complaints/{item.id}/reveal", headers=headers)
    assert revealed.status_code == 200 and revealed.json()["phone"] == "13812345678"
    history = client.get(f"/api/complaints/{item.id}", headers=headers).json()["history"]
    assert history[-1]["action"] == "view_identity" and history[-1]["actor_id"] == supervisor.id
    assert_error(client.post(f"/api/complaints/{item.id}/reveal", headers=bearer(make_user("handler"))), 404)
    listed = client.get("/api/complaints", params={"q": "举报学校违规收费"}, headers=headers).json()["data"]
    assert listed[0]["complainant"]["phone"] == "（保密）"


def test_unknown_query_parameters_and_nul_bytes_are_422(client, bearer, supervisor):
    headers = bearer(supervisor)
    assert_error(client.get("/api/supervision/counts?KZ=1", headers=headers), 422, "invalid_input", "KZ")
    assert_error(client.get("/api/people?colour=red", headers=headers), 422)
    assert client.get("/api/supervision/counts?by=unit&unit=ATS", headers=headers).status_code == 200
    response = client.post("/api/auth/login", json={"username": "\x00", "password": "x"})
    assert response.status_code in (401, 422)
    assert client.get("/api/complaints", params={"q": "a\x00b"}, headers=headers).status_code in (200, 422)


def test_empty_unit_or_category_filter_is_refused_not_ignored(client, bearer, make_user):
    headers = bearer(make_user("supervisor"))
    assert_error(client.get("/api/complaints?category=", headers=headers), 422, field="category")
    assert_error(client.get("/api/complaints?unit=", headers=headers), 422, field="unit")


def test_registration_without_credentials_is_401_even_with_a_bad_body(client):
    assert_error(client.post("/api/complaints", json=NEW), 401, "unauthenticated")
    assert_error(client.post("/api/complaints", json={"summary": 1}), 401, "unauthenticated")
    assert_error(
        client.post("/api/complaints", json=NEW, headers={"Authorization": "Bearer not-a-token"}),
        401,
        "unauthenticated",
    )


def test_registration_by_cookie_needs_the_csrf_token(client, make_user, session):
    from complaints import auth

    user = make_user("operator")
    _, token = auth.create_session(session=session, user=user, kind="browser", name="test")
    client.cookies.set(auth.SESSION_COOKIE, token)
    assert_error(client.post("/api/complaints", json=NEW), 403, field="X-CSRF-Token")
    csrf = client.get("/api/auth/me").json()["csrf_token"]
    assert client.post("/api/complaints", json=NEW, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_a_lost_database_connection_is_503_and_saves_nothing(client, bearer, operator, session, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from complaints.services import registration

    before = session.exec(select(Complaint)).all()
    real = registration.store

    def store_then_lose_the_connection(**kwargs):
        real(**kwargs)
        raise OperationalError(
            "INSERT INTO event ...", {}, ConnectionError("server closed the connection"), connection_invalidated=True
        )

    monkeypatch.setattr(registration, "store", store_then_lose_the_connection)
    response = client.post("/api/complaints", json=NEW, headers=bearer(operator))
    assert_error(response, 503, "database_unavailable")
    assert response.headers["retry-after"] == "5"
    assert session.exec(select(Complaint)).all() == before


def test_refusals_from_the_rules_speak_the_users_language(client, bearer, make_user, new_item):
    supervisor = make_user("supervisor")
    item = new_item()
    english = {**bearer(supervisor), "Accept-Language": "en-US,en;q=0.9"}
    error = assert_error(
        client.post(
            f"/api/complaints/{item.id}/actions/answer_now",
            headers=english,
            json={"text": "已按政策当场答复，诉求人表示清楚。"},
        ),
        422,
        "invalid_input",
    )
    assert error["message"] == "Only questions can be answered and closed on the spot"
    error = assert_error(client.get("/api/complaints/ATS-2026-999999", headers=english), 404)
    assert error["message"] == "Case not found: ATS-2026-999999"
    chinese = assert_error(client.get("/api/complaints/ATS-2026-999999", headers=bearer(supervisor)), 404)
    assert chinese["message"] == "找不到诉求件：ATS-2026-999999"


def test_a_search_says_when_it_stopped_counting(client, bearer, supervisor, new_item, monkeypatch):
    from complaints.services import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    made = [new_item(summary=f"计数上限测试{i}") for i in range(4)]
    headers = bearer(supervisor)

    def listed(**params):
        return client.get("/api/complaints", params={"q": "计数上限", **params}, headers=headers).json()

    page = listed(limit=1)
    sqlite = client.app.state.runtime.engine.dialect.name == "sqlite"  # PostgreSQL counts every match, exactly
    assert (page["count"], page["count_exact"]) == ((2, False) if sqlite else (4, True)) and len(page["data"]) == 1
    page = listed(limit=2, offset=2)
    assert (page["count"], page["count_exact"]) == (4, True)
    page = listed()
    assert (page["count"], page["count_exact"]) == (4, True) and {r["id"] for r in page["data"]} == {i.id for i in made}
    assert listed(q="计数上限测试3")["count_exact"] is True
