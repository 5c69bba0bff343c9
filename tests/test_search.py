"""One search box finds an item by its tracking number, the caller's phone or last four digits, the
complainant's name (only for those who may see it) and any words of its text and history."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.jobs.retention import erase_identity
from complaints.models import Complaint, lifecycle_write
from complaints.services import queries
from complaints.services.scope import may_see_identity, visible_filter
from complaints.services.search import identity_filter, tracking_no
from complaints.services.transitions import act


def found(session, runtime, user, query: str) -> set[int]:
    items, total = queries.list_complaints(
        session=session, runtime=runtime, actor=user, filters=queries.ListFilter(text=query, limit=200)
    )
    assert total == len(items)
    return {item.id for item in items}


def dispatched(session, runtime, item, supervisor, handler):
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    return item


def test_a_tracking_number_is_found_in_any_case_and_without_its_zeros(session, runtime, make_user, make_item):
    item = make_item()
    make_item()
    supervisor = make_user("supervisor")
    unit, year, number = item.tracking_no.split("-")
    for typed in (
        item.tracking_no,
        item.tracking_no.lower(),
        f"{unit.lower()}-{year}-{int(number)}",
        f"{unit}{year}{number}",
        f" {unit} {year} {int(number)} ",
    ):
        assert found(session, runtime, supervisor, typed) == {item.id}, typed
    assert tracking_no("ats-2026-123") == "ATS-2026-000123"
    assert tracking_no("收费") is None


def test_a_phone_is_found_whole_or_by_its_last_four_digits(session, runtime, make_user, make_item):
    caller = make_item(complainant_phone="138 4598 0490")
    other = make_item(complainant_phone="13912340490")  # the same last four
    make_item(complainant_phone="13700001111")
    handler = make_user("handler")
    assert found(session, runtime, handler, "13845980490") == {caller.id}
    assert found(session, runtime, handler, "138-4598-0490") == {caller.id}
    assert found(session, runtime, handler, "0490") == {caller.id, other.id}


def test_a_confidential_reporter_is_never_found_by_those_who_cannot_reveal_them(session, runtime, make_user, make_item):
    supervisor, handler, colleague = make_user("supervisor"), make_user("handler"), make_user("handler")
    operator = make_user("operator")
    report = make_item(
        actor=operator,
        kind="report",
        complainant_name="赵振国",
        complainant_phone="13855556666",
        summary="举报学校违规招生",
    )
    dispatched(session, runtime, report, supervisor, handler)
    assert report.confidential
    for query in ("赵振国", "13855556666", "6666"):
        assert found(session, runtime, colleague, query) == set(), query  # same unit, not the assignee
        assert found(session, runtime, operator, query) == set(), query  # took the call, may not reveal
        assert found(session, runtime, handler, query) == {report.id}, query
        assert found(session, runtime, supervisor, query) == {report.id}, query
    assert found(session, runtime, colleague, "违规招生") == {report.id}  # what it is about is no secret


def test_names_are_found_only_by_those_who_may_see_them(session, runtime, make_user, make_item):
    supervisor, handler, colleague = make_user("supervisor"), make_user("handler"), make_user("handler")
    operator = make_user("operator")
    item = make_item(actor=operator, complainant_name="欧阳明珠")
    dispatched(session, runtime, item, supervisor, handler)
    for who in (supervisor, handler, operator):
        assert found(session, runtime, who, "欧阳明珠") == {item.id}
        assert found(session, runtime, who, "明珠") == {item.id}
    assert found(session, runtime, colleague, "欧阳明珠") == set()
    assert found(session, runtime, make_user("supervisor", unit="AKT"), "欧阳明珠") == set()


def test_words_of_the_text_notes_and_reply_including_two_character_chinese_words(
    session, runtime, make_user, make_item
):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    fees = make_item(summary="反映学校违规收费", details="家长称开学时被要求缴纳赞助费")
    choice = make_item(summary="咨询入学政策", details="想了解择校的规定")
    noted = make_item(summary="反映校车问题", details="")
    replied = dispatched(session, runtime, make_item(summary="反映食堂问题", details=""), supervisor, handler)
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=noted,
        action="note",
        payload={"note": "已与学校安保处沟通"},
    )
    act(session=session, runtime=runtime, actor=handler, item=replied, action="accept", payload={})
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=replied,
        action="reply",
        payload={
            "text": "经核实，食堂已更换供应商并公示菜价。",
            "outcome": "support",
            "handling_notes": "到校核查食堂",
            "result_text": "已更换供应商",
        },
    )
    session.flush()
    assert found(session, runtime, supervisor, "收费") == {fees.id}
    assert found(session, runtime, supervisor, "赞助费") == {fees.id}
    assert found(session, runtime, supervisor, "择校") == {choice.id}
    assert found(session, runtime, supervisor, "安保") == {noted.id}
    assert found(session, runtime, supervisor, "供应商") == {replied.id}
    assert found(session, runtime, supervisor, "择") == {choice.id}  # one character: looked for by a scan
    assert found(session, runtime, supervisor, "火箭发射") == set()
    assert found(session, runtime, make_user("supervisor", unit="AKT"), "收费") == set()  # another unit's


def test_erased_identities_are_no_longer_found(session, runtime, make_user, make_item):
    item = make_item(complainant_name="马晓燕", complainant_phone="13866667777")
    with lifecycle_write():  # closed long ago, without going through every step
        item.status, item.is_open = "closed", False
    item.closed_at = item.updated_at = datetime(2022, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    session.flush()
    supervisor = make_user("supervisor")
    assert found(session, runtime, supervisor, "马晓燕") == {item.id}
    erase_identity(session=session, runtime=runtime, now=item.closed_at + timedelta(days=1200))
    for query in ("马晓燕", "7777", "13866667777"):
        assert found(session, runtime, supervisor, query) == set(), query
    assert found(session, runtime, supervisor, "共建费") == {item.id}


def test_the_identity_clause_agrees_with_the_item_check(session, runtime, settings, make_user, make_item):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    operator = make_user("operator")
    items = [
        make_item(actor=operator),
        make_item(actor=operator, confidential=True),
        make_item(unit_code="AKT"),
        dispatched(session, runtime, make_item(confidential=True), supervisor, handler),
    ]
    ids = {item.id for item in items}
    people = [
        make_user(*roles, unit=unit)
        for roles, unit in itertools.product(
            [("operator",), ("handler",), ("supervisor",), ("admin",)], ["KZ", "ATS", "AKT"]
        )
    ]
    for person in [*people, supervisor, handler, operator]:
        listed = set(
            session.exec(
                select(Complaint.id).where(
                    visible_filter(person, settings), identity_filter(person, settings), Complaint.id.in_(ids)
                )
            )
        )
        assert listed == {i.id for i in items if may_see_identity(person, i, settings)}, person.roles


@pytest.mark.parametrize("windows", ["default", "an hour, then three"])
def test_a_search_finding_many_counts_up_to_the_cap_and_pages_them_in_order(
    session, runtime, make_user, make_item, monkeypatch, windows
):
    """Beyond COUNT_CAP matches the count says "more" (the page reads 1,000+ 件); the pages are still the
    matches the person may see, in the list's order, whichever way the page is read (on PostgreSQL also when
    the page lies beyond the first windows of received time it is looked for in)."""
    monkeypatch.setattr(queries, "COUNT_CAP", 4)
    monkeypatch.setattr(queries, "SORTED_AT_MOST", 4)  # PostgreSQL: past it, the received windows
    if windows != "default":
        monkeypatch.setattr(queries, "RECENT_WINDOWS", (timedelta(hours=1), timedelta(hours=3)))
    # in received order both databases count to the cap; in an order no index gives, PostgreSQL sorts (and
    # so counts exactly) every match
    capped = session.get_bind().dialect.name == "sqlite"
    start = datetime(2026, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    mine = [make_item(summary=f"反映择校费问题{i}", received_at=start + timedelta(hours=i)) for i in range(7)]
    others = [make_item(unit_code="AKT", summary="反映择校费问题", received_at=start + timedelta(hours=20))]
    make_item(summary="反映校车安全")
    county, prefecture = make_user("supervisor"), make_user("supervisor", unit="KZ")

    def pages(user, sort: str, limit: int = 2):
        got, counts, offset = [], [], 0
        while True:
            items, total = queries.list_complaints(
                session=session,
                runtime=runtime,
                actor=user,
                filters=queries.ListFilter(text="择校", sort=sort, offset=offset, limit=limit),
            )
            got += [item.id for item in items]
            counts.append((int(total), total.exact))
            if len(items) < limit:
                return got, counts
            offset += limit

    newest_first = [item.id for item in sorted(mine, key=lambda i: i.received_at, reverse=True)]
    got, counts = pages(county, "-received")
    assert got == newest_first  # AKT's item is not the county's
    assert counts[0] == (4, False)  # counted to the cap: more than 4
    assert counts[-1] == (7, True)  # a page past the cap counts to it (here: all seven, exactly)
    got, counts = pages(county, "received")
    assert got == newest_first[::-1]
    got, counts = pages(county, "tracking")  # an order no index gives: read from the matches themselves
    assert got == [item.id for item in sorted(mine, key=lambda i: i.tracking_no)]
    assert counts[0] == ((4, False) if capped else (7, True))
    got, _ = pages(prefecture, "-received")
    assert got == [others[0].id, *newest_first]
    items, total = queries.list_complaints(
        session=session, runtime=runtime, actor=county, filters=queries.ListFilter(text="择校费问题3")
    )
    assert [item.id for item in items] == [mine[3].id] and (total, total.exact) == (1, True)


def test_every_kind_of_key_finds_only_within_the_persons_scope(session, runtime, make_user, make_item):
    item = make_item(complainant_name="司马相如", complainant_phone="13966665555", summary="反映学校收取借读费")
    keys = (item.tracking_no.lower(), "13966665555", "5555", "司马相如", "借读")
    for roles, unit in ((("supervisor",), "AKT"), (("handler",), "AKT"), (("operator",), "AKT"), (("admin",), "WQ")):
        outsider = make_user(*roles, unit=unit)
        for query in keys:
            assert found(session, runtime, outsider, query) == set(), (roles, unit, query)
    for insider in (make_user("supervisor"), make_user("supervisor", unit="KZ")):  # the county's, the prefecture's
        for query in keys:
            assert found(session, runtime, insider, query) == {item.id}, (insider.unit_code, query)


def test_a_search_is_sorted_by_any_column(session, runtime, make_user, make_item):
    items = [make_item(summary=f"排序检索{i}", category=category) for i, category in enumerate(["fees", "zone"])]
    supervisor = make_user("supervisor")
    for sort in queries.SORTS:
        page, total = queries.list_complaints(
            session=session, runtime=runtime, actor=supervisor, filters=queries.ListFilter(text="排序检索", sort=sort)
        )
        assert {item.id for item in page} == {item.id for item in items} and total == 2, sort
