"""Browser tests: a real server on a free local port, driven through Debian's Chromium by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-pass-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "complaints", *args], env=env, cwd=ROOT, check=True, capture_output=True, timeout=300
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app on SQLite with the demo people and items, served by uvicorn as in production."""
    db = tmp_path_factory.mktemp("browser") / "browser.db"
    env = {
        **os.environ,
        "COMPLAINTS_DATABASE__URL": f"sqlite:///{db}",
        "COMPLAINTS_APP__ENVIRONMENT": "test",
        "COMPLAINTS_APP__SECRET_KEY": "browser-test-secret",
        "COMPLAINTS_APP__RUN_SCHEDULER_IN_PROCESS": "false",
    }
    _cli(env, "init", "--password", "admin-pass-2026")
    _cli(env, "demo", "--items", "120", "--password", PASSWORD)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "complaints", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stdout.read().decode(errors="replace")) from None
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the server did not start")
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium fonts-noto-cjk")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def login(browser, server):
    """login("ats_op") -> a page signed in as that demo user, at 1366x768 (or `width` wide)."""
    contexts = []

    def sign_in(username: str, password: str = PASSWORD, *, width: int = 1366, height: int = 768):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(server + "/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        return page

    yield sign_in
    for context in contexts:
        context.close()
