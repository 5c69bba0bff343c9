"""The complainant's status lookup: no login, no personal data, one answer for every miss, rate-limited."""

from __future__ import annotations

from test_api_client import assert_error

from complaints.api.ratelimit import SlidingWindowLimiter

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
    app.state.public_limiter = SlidingWindowLimiter(limit=3, window=60)
    item = new_item()
    for _ in range(3):
        lookup(client, item.tracking_no, "0000")
    response = lookup(client, item.tracking_no, "5678")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1


def test_wrong_digits_for_one_tracking_number_are_limited_whatever_the_address(client, app, new_item):
    """The last four digits have only 10,000 values: guesses from many addresses still run out."""
    app.state.public_limiter = SlidingWindowLimiter(limit=1000, window=60)  # as if each came from elsewhere
    item, other = new_item(), new_item()
    for guess in range(10):
        assert_error(lookup(client, item.tracking_no.lower(), f"{guess:04d}"), 404, "not_found")
    refused = lookup(client, item.tracking_no, "5678")  # even the right digits, for an hour
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) > 3000
    assert lookup(client, other.tracking_no, "5678").status_code == 200  # other items are not affected
    for _ in range(12):  # right answers are not counted as misses
        assert lookup(client, other.tracking_no, "5678").status_code == 200


def test_the_limiter_forgets_old_hits_and_bounds_its_memory():
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=2, window=10, max_keys=3, clock=lambda: now[0])
    limiter.hit("a")
    limiter.hit("a")
    now[0] = 11.0
    limiter.hit("a")  # the first two have left the window
    for key in "bcdef":
        limiter.hit(key)
    assert len(limiter._hits) <= 4


def test_bad_lookup_input_is_422(client):
    for body in ({}, {"tracking_no": "x" * 1000, "phone_last4": "1234"}, {"tracking_no": "A", "phone_last4": "12a4"},
                 {"tracking_no": 5, "phone_last4": 1234}):
        assert_error(client.post("/api/public/status", json=body), 422, "invalid_input")
