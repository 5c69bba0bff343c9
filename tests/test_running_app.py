"""The running app (uvicorn on a loopback port, one worker): a page and an API request acting on one item at
the same moment (one wins, the other is told of the conflict at once; the worker never hangs), and a
hostile reply template being tried while others are served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from complaints import auth
from complaints.db import make_engine, unit_of_work, upgrade
from complaints.runtime import Runtime
from complaints.services import people, registration
from complaints.services.transitions import act
from complaints.settings import load_settings

pytestmark = pytest.mark.slow  # a real server process for each scenario; left out by make test-fast

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 8
TIMEOUT = 10.0  # seconds: the failure criterion for a hung worker, far beyond what an answer takes
CSRF = "race-test-csrf-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str) -> dict:
    """A handler with a browser session and an API token, and ROUNDS items dispatched to them."""
    upgrade(url)
    settings = load_settings(app={"environment": "test", "secret_key": "race-secret"}, database={"url": url})
    engine = make_engine(url)
    runtime = Runtime.load(settings, engine)
    with unit_of_work(engine) as session:
        add = dict(session=session, settings=settings, actor=None, unit_code="ATS")
        supervisor = people.add_user(**add, username="race_sup", name="督办", roles=["supervisor"])
        handler = people.add_user(**add, username="race_h", name="承办", roles=["handler"])
        operator = people.add_user(**add, username="race_op", name="接线", roles=["operator"])
        items = []
        for n in range(ROUNDS):
            item = registration.register(
                session=session,
                runtime=runtime,
                actor=operator,
                data={
                    "channel": "call",
                    "kind": "complaint",
                    "unit_code": "ATS",
                    "category": "fees",
                    "summary": f"反映学校收取共建费{n}",
                    "complainant_name": "王丽",
                    "complainant_phone": "13812345678",
                },
            )
            act(
                session=session,
                runtime=runtime,
                actor=supervisor,
                item=item,
                action="dispatch",
                payload={"handler_id": handler.id},
            )
            session.flush()
            items.append((item.tracking_no, item.version))
        _, cookie = auth.create_session(session=session, user=handler, kind="browser")
        _, token = auth.create_session(session=session, user=handler, kind="api", name="race")
        _, supervisor_cookie = auth.create_session(session=session, user=supervisor, kind="browser")
    engine.dispose()
    return {"items": items, "cookie": cookie, "token": token, "supervisor_cookie": supervisor_cookie}


@pytest.fixture
def running_app(scratch_url, tmp_path):
    """`complaints serve` on a free port over a database of its own; yields (base url, seeded data)."""
    seeded = _seed(scratch_url)
    env = {
        **os.environ,
        "COMPLAINTS_DATABASE__URL": scratch_url,
        "COMPLAINTS_APP__ENVIRONMENT": "test",
        "COMPLAINTS_APP__SECRET_KEY": "race-secret",
        "COMPLAINTS_APP__RUN_SCHEDULER_IN_PROCESS": "false",
    }
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "complaints", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not start")
        yield base, seeded
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()


def _race(page: httpx.Client, api: httpx.Client, tracking_no: str, version: int) -> tuple:
    """The page's and the API's `accept` of one item, sent at the same moment from two threads."""
    start, answers = threading.Barrier(2), {}

    def by_page() -> None:
        start.wait()
        answers["page"] = page.post(
            f"/items/{tracking_no}/act/accept", data={"csrf_token": CSRF, "version": str(version), "note": "网页签收"}
        )

    def by_api() -> None:
        start.wait()
        answers["api"] = api.post(f"/api/complaints/{tracking_no}/actions/accept", json={"version": version})

    threads = [threading.Thread(target=by_page), threading.Thread(target=by_api)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    return answers["page"], answers["api"]  # a KeyError: that request timed out (httpx raised in its thread)


def test_a_page_and_an_api_request_racing_on_one_item_end_in_one_win_and_one_409(running_app):
    base, seeded = running_app
    cookies = {auth.SESSION_COOKIE: seeded["cookie"], "csrftoken": CSRF}
    with (
        httpx.Client(base_url=base, timeout=TIMEOUT, cookies=cookies, follow_redirects=False) as page,
        httpx.Client(base_url=base, timeout=TIMEOUT, headers={"Authorization": f"Bearer {seeded['token']}"}) as api,
    ):
        for tracking_no, version in seeded["items"]:
            by_page, by_api = _race(page, api, tracking_no, version)
            outcome = sorted([("page", by_page.status_code), ("api", by_api.status_code)], key=lambda x: x[1])
            assert outcome in ([("api", 200), ("page", 409)], [("page", 303), ("api", 409)]), (
                tracking_no,
                by_page.text[:300],
                by_api.text[:300],
            )
            if by_page.status_code == 409:
                assert "该诉求件已被他人修改" in by_page.text and "请刷新后重试" in by_page.text
            else:
                assert by_api.json()["error"]["code"] == "conflict"
            shown = api.get(f"/api/complaints/{tracking_no}").json()
            assert shown["status"] == "accepted" and shown["version"] == version + 1
        assert httpx.get(base + "/healthz", timeout=TIMEOUT).status_code == 200


def test_a_hostile_template_being_tried_does_not_stall_other_requests(running_app):
    """A proposal whose trial render runs into the time limit; meanwhile the worker answers everyone else,
    writes included."""
    from test_replies_worker import COMPARE

    base, seeded = running_app
    cookies = {auth.SESSION_COOKIE: seeded["supervisor_cookie"], "csrftoken": CSRF}
    finished: list[str] = []

    def propose() -> None:
        with httpx.Client(base_url=base, timeout=TIMEOUT, cookies=cookies) as page:
            answer = page.post(
                "/replies", data={"csrf_token": CSRF, "category": "zone", "locale": "zh_Hans", "source": COMPARE}
            )
        finished.append(f"proposal {answer.status_code} {'秒内未能生成' in answer.text}")

    proposal = threading.Thread(target=propose)
    proposal.start()
    time.sleep(0.5)  # the proposal is being tried (it takes the whole time limit, 3 s)
    tracking_no, version = seeded["items"][0]
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers={"Authorization": f"Bearer {seeded['token']}"}) as other:
        for _ in range(3):
            assert other.get("/healthz").status_code == 200
            assert other.get("/login").status_code == 200
        # a write, too: the proposal is tried before it takes the write turn (on SQLite, the only one)
        assert other.post(f"/api/complaints/{tracking_no}/actions/accept", json={"version": version}).status_code == 200
        finished.append("others served")
    proposal.join(TIMEOUT * 2)
    assert finished == ["others served", "proposal 422 True"]
