"""Reply templates render in bounded worker processes: a template doing one huge operation the sandbox does
not meter is stopped at the time or memory limit (its worker killed), refused at proposal with a clear
message, and the next reply renders as usual."""

from __future__ import annotations

import multiprocessing
import re

import pytest

from complaints import auth
from complaints.errors import InvalidInput
from complaints.replies import SAMPLE_VARIABLES, TemplateProblem, UnsafeTemplate, check_source, render
from complaints.replies.worker import WORKER_NAME, WORKERS, RenderPool
from complaints.services import replies

pytest_plugins = ["test_api_client"]

SHOWS = "{{ unit_name }} {{ reply_date|date }} "  # what every reply must show, so only the bounds refuse
# single operations the sandbox cannot meter: seconds to minutes of CPU, or gigabytes, in one call
COMPARE = SHOWS + (
    "{% set a = ['x' ~ unit_name] * 100000 %}{% set b = ['x' ~ unit_name] * 100000 %}"
    "{{ ([a] * 100000) == ([b] * 100000) }}"
)
MAXIMUM = SHOWS + "{% set a = ['x' ~ unit_name] * 100000 %}{{ ([a] * 100000)|max }}"
STRING = SHOWS + "{% set s = 'x' * 100000 %}{{ ([s] * 100000)|string|length }}"
TOO_SLOW = "秒内未能生成"


def reply(source: str | None = None, **workers) -> str:
    return render(category="zone", locale="zh_Hans", variables=dict(SAMPLE_VARIABLES), source=source, **workers)


def render_workers() -> list:
    return [p for p in multiprocessing.active_children() if p.name == WORKER_NAME]


@pytest.mark.parametrize("source", [COMPARE, MAXIMUM], ids=["compare", "max"])
def test_a_template_past_the_time_limit_is_stopped_and_the_next_reply_renders(source):
    normal = reply()
    with pytest.raises(UnsafeTemplate, match=TOO_SLOW):
        reply(source)
    assert reply() == normal and "阿克陶县教育局" in normal  # a fresh worker took the killed one's place
    assert 1 <= len(render_workers()) <= WORKERS


def test_a_template_past_the_memory_limit_is_refused():
    workers = RenderPool(1, seconds=30, memory=256 * 2**20)  # time enough to reach the memory limit first
    try:
        with pytest.raises(TemplateProblem, match="more memory than a reply may use"):
            reply(STRING, workers=workers)
        assert "阿克陶县教育局" in reply(workers=workers)
    finally:
        workers.close()


def test_a_proposal_that_cannot_render_within_bounds_is_refused(session, runtime, make_user):
    assert check_source(MAXIMUM, locale="zh_Hans") == ["模板在 3 秒内未能生成，已停止；请简化模板"]
    with pytest.raises(InvalidInput) as refused:
        replies.propose(
            session=session,
            runtime=runtime,
            actor=make_user("supervisor"),
            category="zone",
            locale="zh_Hans",
            source=COMPARE,
        )
    assert TOO_SLOW in refused.value.message and refused.value.field == "source"


def test_the_proposal_page_says_why(client, session, make_user):
    _, token = auth.create_session(session=session, user=make_user("supervisor"), kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/replies?category=zone").text).group(1)
    refused = client.post(
        "/replies", data={"csrf_token": csrf, "category": "zone", "locale": "zh_Hans", "source": MAXIMUM}
    )
    assert refused.status_code == 422 and "模板在 3 秒内未能生成，已停止；请简化模板" in refused.text


def test_the_template_files_check_is_bounded_too(tmp_path):
    """`complaints replies check` goes through the same bounded workers: a hostile file is reported as one
    that cannot render within bounds, and the files beside it are checked as usual."""
    import shutil

    from complaints.replies import TEMPLATE_ROOT, check_all

    folder = tmp_path / "zh_Hans"
    folder.mkdir()
    for name in ("_base.j2", "_macros.j2", "zone.j2"):
        shutil.copy(TEMPLATE_ROOT / "zh_Hans" / name, folder / name)
    (folder / "hostile.j2").write_text(MAXIMUM, encoding="utf-8")
    found = check_all(tmp_path)
    assert found["zh_Hans/hostile.j2"] == ["模板在 3 秒内未能生成，已停止；请简化模板"]
    assert found["zh_Hans/zone.j2"] == [] and found["zh_Hans/_base.j2"] == []
