"""What the API tests share (new_item, bearer, assert_error; the app and its client are in conftest.py),
and what every endpoint shares: health, metrics, the error shape, the OpenAPI document, response headers."""

from __future__ import annotations

import pytest

from complaints import auth
from complaints.models import User


@pytest.fixture
def new_item(make_item, session):
    """make_item, flushed so that it has its id."""

    def factory(**fields):
        item = make_item(**fields)
        session.flush()
        return item

    return factory


@pytest.fixture
def bearer(session):
    """bearer(user) -> headers carrying a fresh API token for `user` (no password hashing needed)."""

    def headers(user: User) -> dict[str, str]:
        _, token = auth.create_session(session=session, user=user, kind="api", name="test")
        return {"Authorization": f"Bearer {token}"}

    return headers


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The one error shape, with the expected status, code and field."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"} and error["message"]
    if code:
        assert error["code"] == code, error
    if field:
        assert error["field"] == field, error
    return error


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_metrics_in_prometheus_text_format(client, make_item, bearer, make_user):
    make_item()
    client.get("/api/units", headers=bearer(make_user("operator")))
    text = client.get("/metrics").text
    assert 'complaints_items{status="registered"}' in text
    assert "complaints_overdue_items " in text
    assert 'http_request_duration_seconds_bucket{method="GET",route="/api/units",le="+Inf"} 1' in text
    assert "# TYPE http_request_duration_seconds histogram" in text


def test_unknown_route_and_method_use_the_error_shape(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/units"), 405, "method_not_allowed")


def test_unauthenticated_is_401_with_www_authenticate(client):
    response = client.get("/api/complaints")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_without_credentials_401_comes_before_any_look_at_body_or_query(client, make_user, bearer):
    for response in (
        client.post("/api/complaints", content=b"{not json", headers={"content-type": "application/json"}),
        client.post("/api/complaints/1/actions/note", json={"note": 7}),
        client.get("/api/complaints", params={"colour": "red"}),
        client.patch("/api/people/1", content=b"[[["),
        client.get("/api/units", headers={"cookie": "other=x; complaints_session="}),
    ):
        assert_error(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    # the public routes and a signed-in caller's mistakes are still answered as before
    assert_error(
        client.post("/api/public/status", content=b"{not json", headers={"content-type": "application/json"}), 422
    )
    assert_error(
        client.get("/api/complaints", params={"colour": "red"}, headers=bearer(make_user("supervisor"))),
        422,
        field="colour",
    )


def test_the_language_may_be_chosen_with_lang_on_the_api_too(client, make_user, bearer):
    response = client.get(
        "/api/complaints", params={"lang": "en", "colour": "red"}, headers=bearer(make_user("supervisor"))
    )
    body = assert_error(response, 422, field="colour")
    assert "colour" in body["message"] and "未知" not in body["message"]


def test_api_responses_are_not_cached_and_not_sniffed(client):
    response = client.get("/api/complaints")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_openapi_names_the_deployments_units_and_categories(client, settings):
    schema = client.get("/openapi.json").json()
    unit = schema["components"]["schemas"]["ComplaintIn"]["properties"]["unit_code"]
    assert unit["enum"] == [u.code for u in settings.units]
    assert "/api/complaints/{ref}/actions/dispatch" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_error_messages_follow_accept_language_with_chinese_default(client):
    chinese = client.get("/api/complaints").json()["error"]["message"]
    assert chinese == "请先登录"
    english = client.get("/api/complaints", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.json()["error"]["message"]  # translated when the en catalogue has it, else the msgid
