"""Out-of-range and odd input answered in the one error shape (never 500), bounded /metrics labels, the
Allow header on 405, Retry-After on a locked-out login, and validation messages in the user's language."""

from __future__ import annotations

import pytest
from test_api_client import assert_error

from complaints import auth

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
HUGE_REF = "9999999999999999999"  # more than SQLite's (and PostgreSQL's) 64-bit integer holds
PASSWORD = "right-pass-2026"


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


@pytest.mark.parametrize("name", ["received_from", "received_to"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1899-12-31T23:59:59"])
def test_list_dates_out_of_range_are_422_naming_the_parameter(client, bearer, supervisor, name, value):
    response = client.get("/api/complaints", params={name: value}, headers=bearer(supervisor))
    assert_error(response, 422, "invalid_input", name)


def test_list_dates_in_range_still_work(client, bearer, supervisor):
    params = {"received_from": "1900-01-01T00:00:00", "received_to": "2100-12-31T00:00:00+08:00"}
    assert client.get("/api/complaints", params=params, headers=bearer(supervisor)).status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59"])
def test_register_received_at_out_of_range_is_422(client, bearer, make_user, value):
    response = client.post("/api/complaints", json={**NEW, "received_at": value}, headers=bearer(make_user("operator")))
    assert_error(response, 422, "invalid_input", "received_at")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/complaints/{ref}"),
        ("POST", "/api/complaints/{ref}/reveal"),
        ("POST", "/api/complaints/{ref}/actions/note"),
    ],
)
@pytest.mark.parametrize("ref", [HUGE_REF, str(2**31), str(2**63)])
def test_huge_item_numbers_are_404_like_any_unknown_item(client, bearer, supervisor, method, path, ref):
    body = {"note": "补充说明"} if path.endswith("note") else None
    response = client.request(method, path.format(ref=ref), json=body, headers=bearer(supervisor))
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("of", [HUGE_REF, "²", "١٢"])  # also digits int() reads differently, or not at all
def test_mark_duplicate_of_a_huge_or_odd_number_is_404(client, bearer, supervisor, new_item, of):
    item = new_item()
    response = client.post(
        f"/api/complaints/{item.id}/actions/mark_duplicate", json={"of": of}, headers=bearer(supervisor)
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "action, payload, field",
    [
        ("dispatch", {"handler_id": 2**70}, "handler_id"),
        ("dispatch", {"handler_id": 2**31}, "handler_id"),
        ("reply", {"text": "经核查，该校已退还所收费用。", "outcome": "support", "template_id": 2**70}, "template_id"),
        ("answer_now", {"text": "已当场答复", "template_id": 2**63}, "template_id"),
    ],
)
def test_payload_integers_beyond_32_bits_are_422(client, bearer, supervisor, new_item, action, payload, field):
    response = client.post(
        f"/api/complaints/{new_item().id}/actions/{action}", json=payload, headers=bearer(supervisor)
    )
    assert_error(response, 422, "invalid_input", field)


def test_made_up_methods_do_not_add_metrics_series(client):
    made_up = [f"X{n}" for n in range(5)]
    assert client.get("/healthz").status_code == 200
    for method in made_up:
        assert client.request(method, "/healthz").status_code in (400, 404, 405)
    text = client.get("/metrics").text
    for method in made_up:
        assert f'method="{method}"' not in text
    assert 'http_request_duration_seconds_count{method="other",route="/healthz"} 5' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/healthz"} 1' in text


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("DELETE", "/api/complaints", {"GET", "POST"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
def test_405_lists_the_allowed_methods(client, method, path, allowed):
    response = client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    listed = {m.strip() for m in response.headers["allow"].split(",") if m.strip()}
    assert allowed <= listed and method not in listed


def test_locked_out_login_says_when_to_retry(client, make_user):
    person = make_user("handler", password=PASSWORD)
    login = {"username": person.username, "password": "wrong-pass-1"}
    for _ in range(auth.FREE_ATTEMPTS):
        assert client.post("/api/auth/login", json=login).status_code == 401
    response = client.post("/api/auth/login", json={**login, "password": PASSWORD})
    assert_error(response, 429, "locked_out")
    retry = int(response.headers["retry-after"])
    assert 1 <= retry <= auth.FIRST_LOCK.total_seconds()


def test_phone_validation_speaks_english_when_asked(client, bearer, make_user):
    headers = {**bearer(make_user("operator")), "Accept-Language": "en"}
    response = client.post("/api/complaints", json={**NEW, "complainant_phone": "12"}, headers=headers)
    error = assert_error(response, 422, "invalid_input", "complainant_phone")
    assert "电话" not in error["message"] and "phone" in error["message"].lower()
    chinese = client.post(
        "/api/complaints", json={**NEW, "complainant_phone": "12"}, headers=bearer(make_user("operator"))
    )
    assert "电话号码格式不正确" in assert_error(chinese, 422)["message"]


def test_a_body_over_a_megabyte_is_refused_before_it_is_read(client, bearer, make_user):
    response = client.post(
        "/api/complaints",
        content=b'{"summary": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={**bearer(make_user("operator")), "content-type": "application/json"},
    )
    assert_error(response, 413, "too_large")

    def chunks():  # no Content-Length: cut off once it passes the limit
        yield b'{"summary": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    streamed = client.post(
        "/api/complaints",
        content=chunks(),
        headers={**bearer(make_user("operator")), "content-type": "application/json"},
    )
    assert_error(streamed, 413, "too_large")
