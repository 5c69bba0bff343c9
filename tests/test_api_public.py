"""The complainant's status lookup: no login, no personal data, one answer for every miss, rate-limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from test_api_client import assert_error

from complaints.app import create_app
from complaints.services import counters
from complaints.services.counters import Limit

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients


def lookup(client, tracking_no: str, digits: str):
    return client.post("/api/public/status", json={"tracking_no": tracking_no, "phone_last4": digits})


def test_right_digits_give_status_and_dates_without_personal_data(client, new_item):
    item = new_item(complainant_name="王丽", complainant_phone="13812345678")
    response = lookup(client, item.tracking_no.lower(), "5678")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "registered" and body["status_label"] == "已登记" and body["reply_text"] is None
    assert body["unit_name"] == "阿图什市教育局"
    assert "王丽" not in response.text and "1381234" not in response.text


def test_wrong_digits_and_unknown_numbers_get_the_same_answer(client, new_item):
    item = new_item()
    wrong = assert_error(lookup(client, item.tracking_no, "0000"), 404, "not_found")
    unknown = assert_error(lookup(client, "ATS-1999-000009", "5678"), 404, "not_found")
    assert wrong == unknown


def test_lookups_are_rate_limited_per_client(client, app, new_item):
    app.state.public_limiter = Limit(scope="public_address", limit=3, window=60)
    item = new_item()
    for _ in range(3):
        lookup(client, item.tracking_no, "0000")
    response = lookup(client, item.tracking_no, "5678")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1


def test_wrong_digits_for_one_tracking_number_are_limited_whatever_the_address(client, app, new_item):
    """The last four digits have only 10,000 values: guesses from many addresses still run out."""
    app.state.public_limiter = Limit(scope="public_address", limit=1000, window=60)  # as if from elsewhere
    item, other = new_item(), new_item()
    for guess in range(10):
        assert_error(lookup(client, item.tracking_no.lower(), f"{guess:04d}"), 404, "not_found")
    refused = lookup(client, item.tracking_no, "5678")  # even the right digits, for an hour
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) > 3000
    assert lookup(client, other.tracking_no, "5678").status_code == 200  # other items are not affected
    for _ in range(12):  # right answers are not counted as misses
        assert lookup(client, other.tracking_no, "5678").status_code == 200


def test_processes_on_one_database_count_together(settings, engine, connection, runtime, app, client, new_item):
    """Two API processes (two apps on one database): ten lookups from one address through either are the
    limit, as with one process."""
    item = new_item()
    with TestClient(create_app(settings, engine=engine, connection=connection, runtime=runtime)) as other:
        for turn in range(10):
            assert (other if turn % 2 else client).post(
                "/api/public/status", json={"tracking_no": item.tracking_no, "phone_last4": "5678"}
            ).status_code == 200
        assert_error(lookup(other, item.tracking_no, "5678"), 429, "rate_limited")
        assert_error(lookup(client, item.tracking_no, "5678"), 429, "rate_limited")


def test_the_window_slides_and_old_counters_are_pruned(session):
    rule = Limit(scope="test_window", limit=2, window=60)
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    counters.hit(session, rule, "a", now=start)
    counters.hit(session, rule, "a", now=start + timedelta(seconds=30))
    assert counters.retry_after(session, rule, "a", now=start + timedelta(seconds=31)) == 29
    assert counters.retry_after(session, rule, "b", now=start) is None  # keys are counted apart
    assert counters.retry_after(session, rule, "a", now=start + timedelta(seconds=61)) is None  # the first left
    assert counters.prune(session, now=start + timedelta(days=1, seconds=31), keep=timedelta(days=1)) == 2
    assert counters.retry_after(session, rule, "a", now=start + timedelta(seconds=31)) is None


def test_bad_lookup_input_is_422(client):
    for body in (
        {},
        {"tracking_no": "x" * 1000, "phone_last4": "1234"},
        {"tracking_no": "A", "phone_last4": "12a4"},
        {"tracking_no": 5, "phone_last4": 1234},
    ):
        assert_error(client.post("/api/public/status", json=body), 422, "invalid_input")
