"""信访 复查 (信访工作条例 Art 35): asked within 30 日 of the 处理意见, decided afresh by the next level up
within 30 日, under the reply's own title and with the 复核 route."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.errors import InvalidInput
from complaints.models import Event, LedgerEntry
from complaints.services import deadlines, queries, registration, replies
from complaints.services.transitions import act

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 6, 10, 0, tzinfo=TZ)


def local(value):
    return value.astimezone(TZ).replace(tzinfo=None)


@pytest.fixture
def staff(make_user):
    return {
        "operator": make_user("operator"),
        "handler": make_user("handler", name="李承办"),
        "supervisor": make_user("supervisor"),
        "kz_supervisor": make_user("supervisor", unit="KZ"),
        "kz_handler": make_user("handler", unit="KZ", name="州局王科长"),
        "kz_operator": make_user("operator", unit="KZ"),
    }


def handled(session, runtime, staff, channel="letter", unit="ATS"):
    """An item through to its close: a 处理意见 replied on day 8."""
    item = registration.register(
        session=session,
        runtime=runtime,
        actor=staff["operator"],
        now=T0,
        data={
            "channel": channel,
            "kind": "complaint",
            "unit_code": unit,
            "category": "fees",
            "summary": "来信反映学校收取共建费",
            "received_at": T0,
            "complainant_name": "王丽",
            "complainant_phone": "13812345678",
        },
    )
    steps = [
        (6, "supervisor", "dispatch", {"handler_id": staff["handler"].id}),
        (7, "handler", "accept", {}),
        *(
            (8, who, action, payload)
            for who, action, payload in reply_steps(
                "handler", {"text": "经核实，学校未收取共建费。", "outcome": "reject"}, item.track == "xinfang"
            )
        ),
        (9, "operator", "callback", {"resolved": False, "satisfaction": "dissatisfied"}),
        # after 不满意 the handler cannot close: the supervisor closes with the reason
        (10, "supervisor", "close_with_reason", {"reason": "explained", "note": "已向信访人解释政策，信访人仍不认可"}),
    ]
    for day, who, action, payload in steps:
        act(
            session=session,
            runtime=runtime,
            actor=staff[who],
            item=item,
            action=action,
            payload=payload,
            now=T0 + timedelta(days=day),
        )
    return item


def reply_steps(who: str, payload: dict, xinfang: bool, approver: str = "supervisor") -> list:
    """The reply's steps: a formal 信访 reply is submitted and signed off (审签) by a supervisor."""
    full = {**payload, "handling_notes": "调阅学校收费账目并约谈校长", "result_text": payload["text"]}
    if not xinfang:
        return [(who, "reply", full)]
    return [(who, "submit_reply", full), (approver, "approve_reply", {})]


def review(session, runtime, staff, item, days_after_reply, who="operator"):
    return act(
        session=session,
        runtime=runtime,
        actor=staff[who],
        item=item,
        action="request_review",
        payload={"note": "对处理意见不服：学校确有收费，附收据复印件"},
        now=item.replied_at + timedelta(days=days_after_reply),
    )


def test_a_review_goes_up_to_the_prefecture_with_30_days_to_answer(session, runtime, staff):
    item = handled(session, runtime, staff)
    replied = item.replied_at
    review(session, runtime, staff, item, days_after_reply=20)
    assert (item.status, item.unit_code, item.review_round, item.handler_id) == ("registered", "KZ", 1, None)
    assert item.is_open and item.closed_at is None and item.replied_at is None
    requested = replied + timedelta(days=20)
    # 30 日 from the request: the start day is not counted; ends at 24:00 of the last day
    assert local(item.reply_due_at) == datetime.combine(
        (local(requested) + timedelta(days=31)).date(), datetime.min.time()
    )
    assert item.next_due_at == item.reply_due_at  # the answer deadline runs from the start
    assert item.reply_text == "经核实，学校未收取共建费。"  # the text under review stays in view
    event = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "request_review")).one()
    before = (item.reply_due_at, item.next_due_at, item.warn_at)
    deadlines.replay(item, queries.history(session=session, item=item), runtime)  # as recomputation would
    assert (item.reply_due_at, item.next_due_at, item.warn_at) == before
    assert event.changes["reviewed_unit"] == "ATS" and "收据" in event.note

    # the prefecture bureau handles it afresh and writes a 复查意见书
    when = requested + timedelta(hours=2)
    act(
        session=session,
        runtime=runtime,
        actor=staff["kz_supervisor"],
        item=item,
        action="dispatch",
        payload={"handler_id": staff["kz_handler"].id},
        now=when,
    )
    act(session=session, runtime=runtime, actor=staff["kz_handler"], item=item, action="accept", now=when)
    draft = replies.draft_reply(session=session, runtime=runtime, item=item, actor=staff["kz_handler"])["text"]
    assert draft.startswith("信访事项复查意见书") and "请求复核" in draft
    assert "复查机关的上一级机关" in draft and "提出复查申请" not in draft
    for who, action, payload in (
        *reply_steps(
            "kz_handler",
            {"text": "经复查，撤销原处理意见，责令学校退费。", "outcome": "support"},
            True,
            "kz_supervisor",
        ),
        ("kz_operator", "callback", {"resolved": True, "satisfaction": "satisfied"}),
        ("kz_handler", "close", {}),
    ):
        act(session=session, runtime=runtime, actor=staff[who], item=item, action=action, payload=payload, now=when)
    assert item.status == "closed" and item.outcome == "support"
    [row] = session.exec(select(LedgerEntry).where(LedgerEntry.complaint_id == item.id)).all()
    assert row.unit_code == "ATS"  # still the county's problem lead (附件2), now with the review's outcome
    assert row.closed_at == item.closed_at


def test_a_county_reply_names_the_prefecture_for_the_review(session, runtime, staff):
    from complaints.services.steps import offered
    from workflows.lifecycle import Action

    item = handled(session, runtime, staff)
    hotline = handled(session, runtime, staff, channel="call")
    both = [Action.REQUEST_REVIEW, Action.NOTE]
    assert offered(both, item, runtime.settings, staff["operator"]) == both  # offered only where it can be taken
    assert offered(both, hotline, runtime.settings, staff["operator"]) == [Action.NOTE]
    draft = replies.draft_reply(session=session, runtime=runtime, item=item, actor=staff["handler"])["text"]
    assert draft.startswith("信访事项处理意见书") and "向克州教育局书面提出复查申请" in draft


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("hotline", "只有信访事项可以申请复查"),
        ("late", "已超过复查申请期限"),
        ("twice", "已作出复查意见"),
        ("prefecture", "复查应向其上一级机关书面提出"),
    ],
)
def test_reviews_the_rules_do_not_allow_are_refused_and_change_nothing(session, runtime, staff, case, message):
    if case == "prefecture":
        staff = {
            **staff,
            "operator": staff["kz_operator"],
            "supervisor": staff["kz_supervisor"],
            "handler": staff["kz_handler"],
        }
    item = handled(
        session,
        runtime,
        staff,
        channel="call" if case == "hotline" else "letter",
        unit="KZ" if case == "prefecture" else "ATS",
    )
    if case == "twice":
        review(session, runtime, staff, item, days_after_reply=3)
        for who, action, payload in (
            ("kz_supervisor", "dispatch", {"handler_id": staff["kz_handler"].id}),
            ("kz_handler", "accept", {}),
            *reply_steps(
                "kz_handler", {"text": "经复查，维持原处理意见，不予支持。", "outcome": "reject"}, True, "kz_supervisor"
            ),
            ("kz_operator", "callback", {"resolved": False, "satisfaction": "dissatisfied"}),
            ("kz_supervisor", "close_with_reason", {"reason": "beyond_policy", "note": "诉求超出政策规定，已解释"}),
        ):
            act(
                session=session,
                runtime=runtime,
                actor=staff[who],
                item=item,
                action=action,
                payload=payload,
                now=item.closed_at or item.registered_at + timedelta(days=40),
            )
    before = (item.status, item.unit_code, item.version, item.reply_due_at)
    with pytest.raises(InvalidInput) as refused:
        review(
            session,
            runtime,
            staff,
            item,
            days_after_reply=40 if case == "late" else 5,
            who="kz_operator" if case in ("twice", "prefecture") else "operator",
        )
    assert message in refused.value.message
    session.flush()
    assert (item.status, item.unit_code, item.version, item.reply_due_at) == before


def test_the_county_operator_still_sees_the_reviewed_item_but_cannot_act_on_it(session, runtime, staff):
    from complaints.errors import Forbidden

    item = handled(session, runtime, staff)
    review(session, runtime, staff, item, days_after_reply=2)
    # the operator who registered it still finds it (registered_unit_code) ...
    assert queries.get(session=session, runtime=runtime, actor=staff["operator"], ref=item.tracking_no) is item
    with pytest.raises(Forbidden) as refused:  # ... but the review is the prefecture's to dispatch
        act(
            session=session,
            runtime=runtime,
            actor=staff["operator"],
            item=item,
            action="dispatch",
            payload={"handler_id": staff["kz_handler"].id},
        )
    assert "克州教育局" in refused.value.message and item.status == "registered"
    act(
        session=session,
        runtime=runtime,
        actor=staff["operator"],
        item=item,
        action="note",
        payload={"note": "诉求人来电询问复查进度"},
    )
    act(
        session=session,
        runtime=runtime,
        actor=staff["kz_operator"],
        item=item,
        action="dispatch",
        payload={"handler_id": staff["kz_handler"].id},
    )
    assert item.status == "dispatched"


def test_the_county_follows_its_item_under_review_without_acting_or_seeing_the_reporter(
    session, runtime, staff, make_user
):
    from complaints.errors import Forbidden, NotFound
    from complaints.services.scope import may_see_identity
    from complaints.services.steps import offered
    from workflows.lifecycle import Action

    item = handled(session, runtime, staff)
    item.confidential = True
    review(session, runtime, staff, item, days_after_reply=2)
    assert item.reviewed_unit_code == "ATS"
    other_county = make_user("supervisor", unit="AKT")
    settings = runtime.settings
    for who in ("supervisor", "handler"):  # the county bureau whose 处理意见 is reviewed
        person = staff[who]
        assert queries.get(session=session, runtime=runtime, actor=person, ref=item.tracking_no) is item
        for found_by in (queries.ListFilter(text=item.tracking_no), queries.ListFilter(reviewed=True)):
            listed, total = queries.list_complaints(session=session, runtime=runtime, actor=person, filters=found_by)
            assert [found.id for found in listed] == [item.id] and total == 1
        assert offered(list(Action), item, settings, person) == [Action.NOTE]
        assert not may_see_identity(person, item, settings)  # the reporter is the reviewing bureau's
        act(
            session=session,
            runtime=runtime,
            actor=person,
            item=item,
            action="note",
            payload={"note": "原办理单位补充材料：收费收据已核对"},
        )
    with pytest.raises(Forbidden) as refused:
        act(
            session=session,
            runtime=runtime,
            actor=staff["supervisor"],
            item=item,
            action="dispatch",
            payload={"handler_id": staff["kz_handler"].id},
        )
    assert "正由克州教育局复查" in refused.value.message and item.status == "registered"
    assert may_see_identity(staff["kz_supervisor"], item, settings)
    assert Action.DISPATCH in offered(list(Action), item, settings, staff["kz_supervisor"])
    with pytest.raises(NotFound):  # another county does not learn it exists
        queries.get(session=session, runtime=runtime, actor=other_county, ref=item.tracking_no)
    for found_by in (queries.ListFilter(text=item.tracking_no), queries.ListFilter(reviewed=True)):
        assert queries.list_complaints(session=session, runtime=runtime, actor=other_county, filters=found_by) == (
            [],
            0,
        )


def test_over_the_api_the_county_follows_the_review_read_only(client, bearer, session, runtime, staff):
    item = handled(session, runtime, staff)
    item.confidential = True
    review(session, runtime, staff, item, days_after_reply=2)
    session.flush()
    county = bearer(staff["supervisor"])
    shown = client.get(f"/api/complaints/{item.id}", headers=county).json()
    assert (shown["unit_code"], shown["reviewed_unit_code"]) == ("KZ", "ATS")
    assert [a["action"] for a in shown["allowed_actions"]] == ["note"]
    assert shown["complainant"]["phone"] == "（保密）"
    assert client.post(f"/api/complaints/{item.id}/reveal", headers=county).status_code == 404
    refused = client.post(
        f"/api/complaints/{item.id}/actions/dispatch",
        json={"handler_id": staff["kz_handler"].id},
        headers={**county, "If-Match": str(item.version)},
    )
    assert refused.status_code == 403 and "复查" in refused.json()["error"]["message"]
    upstairs = client.get(f"/api/complaints/{item.id}", headers=bearer(staff["kz_supervisor"])).json()
    assert "dispatch" in [a["action"] for a in upstairs["allowed_actions"]]
    reviews = client.get("/api/complaints", params={"reviewed": "true"}, headers=county).json()
    assert [row["id"] for row in reviews["data"]] == [item.id]


def test_on_the_pages_the_county_finds_its_reviews_and_may_only_note(client, session, runtime, staff):
    from complaints import auth

    item = handled(session, runtime, staff)
    review(session, runtime, staff, item, days_after_reply=2)
    session.flush()
    _, token = auth.create_session(session=session, user=staff["supervisor"], kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    assert item.tracking_no in client.get("/items?reviewed=1").text
    assert item.tracking_no not in client.get("/items").text  # its own unit's list is the county's work
    page = client.get(f"/items/{item.tracking_no}").text
    assert "原办理单位" in page and "复查中" in page
    assert f"/items/{item.tracking_no}/act/note" in page and f"/items/{item.tracking_no}/act/dispatch" not in page


def test_the_30_days_run_from_the_day_the_decision_was_received_when_it_came_later(session, runtime, staff):
    item = handled(session, runtime, staff)
    replied_day = local(item.replied_at).date()
    asked = item.replied_at + timedelta(days=40)  # 40 days after it was recorded: too late by that day
    for received, message in (
        (replied_day - timedelta(days=1), "收到处理意见的日期应在"),
        (local(asked).date() + timedelta(days=1), "收到处理意见的日期应在"),
        (replied_day + timedelta(days=5), "已超过复查申请期限"),
    ):
        with pytest.raises(InvalidInput) as refused:
            act(
                session=session,
                runtime=runtime,
                actor=staff["operator"],
                item=item,
                action="request_review",
                payload={"note": "对处理意见不服", "reply_received_on": received.isoformat()},
                now=asked,
            )
        assert message in refused.value.message, received
        assert item.status == "closed" and item.unit_code == "ATS"
    assert refused.value.field == "action"
    # the letter reached the complainant 15 days after it was recorded: 25 days ago, within the 30
    act(
        session=session,
        runtime=runtime,
        actor=staff["operator"],
        item=item,
        action="request_review",
        payload={"note": "对处理意见不服，邮寄送达较晚", "reply_received_on": str(replied_day + timedelta(days=15))},
        now=asked,
    )
    assert (item.status, item.unit_code, item.reviewed_unit_code) == ("registered", "KZ", "ATS")
    event = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "request_review")).one()
    assert event.changes["reply_received_on"] == str(replied_day + timedelta(days=15))


def test_a_receipt_day_outside_reply_and_today_names_its_field(session, runtime, staff):
    item = handled(session, runtime, staff)
    with pytest.raises(InvalidInput) as refused:
        act(
            session=session,
            runtime=runtime,
            actor=staff["operator"],
            item=item,
            action="request_review",
            payload={"note": "对处理意见不服", "reply_received_on": "2020-01-01"},
            now=item.replied_at,
        )
    assert refused.value.field == "reply_received_on"
