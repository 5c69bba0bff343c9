"""Working lists: filters and sorting, saved views per person, the list as xlsx (masked), and bulk actions in
which each item goes through the lifecycle on its own and one refusal undoes nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select
from test_web_pages import browser_as, csrf_of  # noqa: F401

from complaints.models import Event
from complaints.services import queries
from complaints.services.bulk import bulk_act
from complaints.services.transitions import act

TZ = ZoneInfo("Asia/Shanghai")


def listed(session, runtime, user, **filters) -> list[int]:
    items, _ = queries.list_complaints(
        session=session, runtime=runtime, actor=user, filters=queries.ListFilter(limit=200, **filters)
    )
    return [i.id for i in items]


def test_filters_by_handler_dates_channel_kind_school_and_sorting(session, runtime, make_user, make_item):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    now = datetime.now(TZ)
    letter = make_item(channel="letter", school="阿图什市第一小学", received_at=now - timedelta(days=20))
    report = make_item(kind="report", school="阿图什市第三中学", received_at=now - timedelta(days=2))
    call = make_item(received_at=now - timedelta(days=1))
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=call,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    session.flush()
    mine = {letter.id, report.id, call.id}

    def among(**filters) -> set[int]:
        return set(listed(session, runtime, supervisor, **filters)) & mine

    assert among(handler_id=handler.id) == {call.id}
    assert among(channel="letter") == {letter.id}
    assert among(kind="report") == {report.id}
    assert among(school="第三中学") == {report.id}
    assert among(received_from=now - timedelta(days=3)) == {report.id, call.id}
    assert among(received_from=now - timedelta(days=30), received_to=now - timedelta(days=10)) == {letter.id}
    ordered = [i for i in listed(session, runtime, supervisor, sort="tracking") if i in mine]
    assert ordered == sorted(mine, key=lambda i: session.get(type(letter), i).tracking_no)
    assert [i for i in listed(session, runtime, supervisor, sort="-tracking") if i in mine] == ordered[::-1]


def test_a_bulk_dispatch_fires_each_item_on_its_own_and_reports_one_refusal(session, runtime, make_user, make_item):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    fresh = [make_item(summary=f"批量派单测试{i}") for i in range(3)]
    already = make_item(summary="已派出的诉求件")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=already,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    stale = make_item(summary="版本已变的诉求件")
    session.flush()
    refs = [(i.tracking_no, i.version) for i in fresh] + [
        (already.tracking_no, already.version),
        (stale.tracking_no, stale.version + 1),
    ]
    result = bulk_act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        refs=refs,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    assert result.done == [i.tracking_no for i in fresh]
    assert [ref for ref, _ in result.refused] == [already.tracking_no, stale.tracking_no]
    assert "派单" in result.refused[0][1] and "版本" in result.refused[1][1]
    for item in fresh:
        assert item.status == "dispatched" and item.handler_id == handler.id
        events = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "dispatch")).all()
        assert len(events) == 1  # its own event
    assert stale.status == "registered" and stale.handler_id is None


def test_bulk_supervise_on_the_board_lists_the_refusal_and_keeps_the_rest(
    browser_as,  # noqa: F811
    make_user,
    make_item,
    session,
    runtime,
):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    items = [make_item(summary=f"批量督办{i}") for i in range(3)]
    for item in items:
        act(
            session=session,
            runtime=runtime,
            actor=supervisor,
            item=item,
            action="dispatch",
            payload={"handler_id": handler.id},
        )
    session.flush()
    web = browser_as(supervisor)
    token = csrf_of(web.get("/board").text)
    foreign = make_item(unit_code="AKT")
    session.flush()
    form = {
        "csrf_token": token,
        "action": "supervise",
        "note": "请本周内答复",
        "back": "board",
        "item": [f"{i.tracking_no}:{i.version}" for i in items] + [foreign.tracking_no],
    }
    page = web.post("/items/bulk", data=form)
    assert page.status_code == 200 and "已完成 3 件" in page.text and "1 件未能办理" in page.text
    assert foreign.tracking_no in page.text and "找不到诉求件" in page.text
    for item in items:
        [event] = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "supervise")).all()
        assert event.note == "请本周内答复"


def test_saved_views_are_each_persons_own(browser_as, make_user, session):  # noqa: F811
    owner = make_user("supervisor")
    web = browser_as(owner)
    token = csrf_of(web.get("/items").text)
    saved = web.post(
        "/items/views",
        data={"csrf_token": token, "name": "超期来信", "due": "overdue", "channel": "letter", "sort": "due"},
    )
    assert saved.status_code == 200 and "超期来信" in saved.text
    assert 'href="/items?channel=letter&amp;due=overdue&amp;sort=due"' in saved.text
    other = browser_as(make_user("supervisor"))
    page = other.get("/items").text
    assert "超期来信" not in page
    from complaints.models import SavedView

    view = session.exec(select(SavedView).where(SavedView.user_id == owner.id)).one()
    assert other.post(f"/items/views/{view.id}/delete", data={"csrf_token": csrf_of(page)}).status_code == 404


def test_the_list_and_a_selection_export_to_xlsx_masked(browser_as, make_user, make_item, session):  # noqa: F811
    item = make_item(summary="导出测试：收取共建费", complainant_name="王丽", complainant_phone="13812345678")
    secret = make_item(kind="report", summary="导出测试：举报", complainant_name="赵振国")
    session.flush()
    web = browser_as(make_user("supervisor"))
    for response in (
        web.get("/items/export.xlsx", params={"q": "导出测试"}),
        web.post(
            "/items/bulk",
            data={
                "csrf_token": csrf_of(web.get("/items").text),
                "action": "export",
                "item": [item.tracking_no, secret.tracking_no],
            },
        ),
    ):
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert set(rows) == {item.tracking_no, secret.tracking_no}
        assert rows[item.tracking_no][8] == "王*" and rows[item.tracking_no][9] == "138****5678"
        assert rows[secret.tracking_no][8] == "（保密）" and "赵振国" not in str(rows)


def test_a_search_finding_more_than_the_cap_reads_so_on_the_list(
    browser_as,  # noqa: F811
    make_user,
    make_item,
    session,
    monkeypatch,
):
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr(queries, "SORTED_AT_MOST", 2)  # PostgreSQL: past it, the received windows
    for i in range(4):
        make_item(summary=f"封顶计数{i}")
    session.flush()
    web = browser_as(make_user("supervisor"))
    page = web.get("/items", params={"q": "封顶计数"}).text
    assert "共 50+ 件" not in page and "共 4 件" in page  # a page of 50 counts at least to 51: exact here
    monkeypatch.setattr("complaints.web.pages.items.PAGE", 1)
    page = web.get("/items", params={"q": "封顶计数"}).text
    english = web.get("/items", params={"q": "封顶计数", "lang": "en"}).text
    assert "共 2+ 件" in page and "下一页" in page and "more than 2 cases" in english
    page = web.get("/items", params={"q": "封顶计数", "offset": 3, "lang": "zh_Hans_CN"}).text
    assert "共 4 件" in page and "下一页" not in page  # the last page counts to its end
