"""主办/协办: cooperating bureaus and outside bodies on one item, each with a sub-task, a deadline and written
input; what a cooperating unit's staff may see and do; the board, the SLA sweep and 附件2."""

from datetime import timedelta

import pytest
from sqlmodel import select

from complaints import auth
from complaints.errors import Conflict, Forbidden, InvalidInput
from complaints.jobs.sla import sla_sweep
from complaints.models import Notification
from complaints.services import cohandling, deadlines, ledger
from complaints.services.scope import can_see, may_see_identity
from complaints.services.transitions import act
from workflows.deadlines import Limit


@pytest.fixture
def lead(session, runtime, make_user, make_item):
    """An ATS item dispatched to an ATS handler, with the ATS supervisor who leads it."""
    supervisor, handler = make_user("supervisor", unit="ATS"), make_user("handler", unit="ATS")
    item = make_item(summary="随迁子女入学需核实居住证", details="家长反映居住证办理中，学校拒收报名材料")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    act(session=session, runtime=runtime, actor=handler, item=item, action="accept")
    return item, supervisor, handler


def cooperate(session, runtime, supervisor, item, **data):
    return cohandling.add_cooperation(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        data={"task": "请核实该家庭居住证办理进度", **data},
    )


def test_a_bureau_cooperates_with_its_own_deadline_and_is_told(lead, session, runtime, make_user):
    item, supervisor, _ = lead
    akt_sup = make_user("supervisor", unit="AKT")
    task = cooperate(session, runtime, supervisor, item, unit_code="AKT", within="2 workdays")
    expected, _ = deadlines.due_from(task.created_at, Limit.parse("2 workdays"), runtime)
    assert task.due_at == expected and item.co_units == ",AKT,"
    (note,) = session.exec(select(Notification).where(Notification.user_id == akt_sup.id)).all()
    assert note.kind == "cooperation" and item.tracking_no in note.subject and "居住证办理进度" in note.body


def test_cooperating_staff_see_the_item_but_not_the_complainant_unless_granted(
    lead, session, runtime, make_user, settings
):
    item, supervisor, _ = lead
    akt, wq = make_user("handler", unit="AKT"), make_user("supervisor", unit="WQ")
    akt_operator = make_user("operator", unit="AKT")
    cooperate(session, runtime, supervisor, item, unit_code="AKT")
    assert can_see(akt, item, settings) and not may_see_identity(akt, item, settings)
    assert not can_see(akt_operator, item, settings) and not can_see(wq, item, settings)
    cooperate(session, runtime, supervisor, item, unit_code="WQ", grant_identity=True)
    assert may_see_identity(wq, item, settings) and not may_see_identity(akt, item, settings)


def test_a_cooperating_unit_gives_input_but_cannot_act_on_the_item(lead, session, runtime, make_user):
    item, supervisor, handler = lead
    akt = make_user("supervisor", unit="AKT")
    task = cooperate(session, runtime, supervisor, item, unit_code="AKT")
    with pytest.raises(Forbidden):
        act(session=session, runtime=runtime, actor=akt, item=item, action="supervise", payload={"note": "越权督办"})
    cohandling.answer(session=session, runtime=runtime, actor=akt, task=task, text="经核实，居住证已于6月1日受理")
    assert task.status == "answered" and task.answered_by_id == akt.id
    told = session.exec(
        select(Notification).where(Notification.user_id == handler.id, Notification.kind == "cooperation_answered")
    ).one()
    assert "6月1日受理" in told.body
    with pytest.raises(Conflict):
        cohandling.answer(session=session, runtime=runtime, actor=akt, task=task, text="再答一次")


def test_an_outside_body_is_a_contact_whose_input_the_lead_records(lead, session, runtime, make_user):
    item, supervisor, handler = lead
    task = cooperate(session, runtime, supervisor, item, body="阿图什市公安局")
    assert task.unit_code is None and item.co_units is None  # no logins there: nobody new sees the item
    with pytest.raises(Forbidden):
        cohandling.answer(
            session=session, runtime=runtime, actor=make_user("supervisor", unit="AKT"), task=task, text="不是我们的"
        )
    cohandling.answer(session=session, runtime=runtime, actor=handler, task=task, text="公安局回复：居住证已办结")
    assert task.status == "answered"


def test_only_the_leads_supervisor_adds_and_not_twice_nor_itself(lead, session, runtime, make_user):
    item, supervisor, handler = lead
    with pytest.raises(Forbidden):
        cooperate(session, runtime, handler, item, unit_code="AKT")
    with pytest.raises(Forbidden):
        cooperate(session, runtime, make_user("supervisor", unit="AKT"), item, unit_code="WQ")
    with pytest.raises(InvalidInput):
        cooperate(session, runtime, supervisor, item, unit_code="ATS")
    with pytest.raises(InvalidInput):
        cooperate(session, runtime, supervisor, item, unit_code="AKT", body="公安局")
    cooperate(session, runtime, supervisor, item, unit_code="AKT")
    with pytest.raises(Conflict):
        cooperate(session, runtime, supervisor, item, unit_code="AKT")


def test_the_sla_sweep_reports_a_late_sub_task_once(lead, session, runtime, make_user):
    item, supervisor, handler = lead
    akt = make_user("supervisor", unit="AKT")
    task = cooperate(session, runtime, supervisor, item, unit_code="AKT", within="1 workdays")
    sla_sweep(session=session, runtime=runtime, now=task.due_at - timedelta(minutes=1))
    assert task.overdue_at is None
    counts = sla_sweep(session=session, runtime=runtime, now=task.due_at + timedelta(minutes=1))
    again = sla_sweep(session=session, runtime=runtime, now=task.due_at + timedelta(hours=2))
    assert counts["cooperation_overdue"] == 1 and again["cooperation_overdue"] == 0
    for person in (akt, handler):
        assert session.exec(
            select(Notification).where(Notification.user_id == person.id, Notification.kind == "cooperation_overdue")
        ).one()


def test_annex2_names_the_lead_and_the_cooperating_units(lead, session, runtime, make_user):
    item, supervisor, handler = lead
    cooperate(session, runtime, supervisor, item, unit_code="AKT")
    cooperate(session, runtime, supervisor, item, body="阿图什市住建局")
    entry = ledger.write_entry(session=session, runtime=runtime, item=item)
    assert entry.handling.startswith("主办：阿图什市教育局；协办：阿克陶县教育局、阿图什市住建局。")


def _browser(client, session, user):
    _, token = auth.create_session(session=session, user=user, kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    return client


def test_the_cooperating_units_page_shows_the_summary_and_its_task_only(
    lead,
    client,
    session,
    runtime,
    make_user,
):
    item, supervisor, _ = lead
    akt = make_user("handler", unit="AKT")
    cooperate(session, runtime, supervisor, item, unit_code="AKT")
    cooperate(session, runtime, supervisor, item, body="阿图什市公安局")
    html = _browser(client, session, akt).get(f"/items/{item.tracking_no}").text
    assert "随迁子女入学需核实居住证" in html and "居住证办理进度" in html
    assert "学校拒收报名材料" not in html and "王丽" not in html and "公安局" not in html  # no details, no identity
    assert "提交协办意见" in html and "办理操作" not in html
    listed = client.get("/cooperation").text
    assert item.tracking_no in listed


def test_the_lead_sees_all_sub_tasks_on_the_item_page_and_board(lead, client, session, runtime):
    item, supervisor, _ = lead
    cooperate(session, runtime, supervisor, item, unit_code="AKT")
    cooperate(session, runtime, supervisor, item, body="阿图什市住建局")
    browser = _browser(client, session, supervisor)
    html = browser.get(f"/items/{item.tracking_no}").text
    assert "主办与协办" in html and "阿克陶县教育局" in html and "增加协办单位" in html
    board = browser.get("/board").text.split('id="cooperation"')[1]
    assert item.tracking_no in board and "阿克陶县教育局" in board and "阿图什市住建局" in board


def test_api_add_list_and_answer(lead, client, session, runtime, make_user):
    item, supervisor, _ = lead
    akt = make_user("supervisor", unit="AKT")

    def bearer(user):
        _, token = auth.create_session(session=session, user=user, kind="api")
        return {"Authorization": f"Bearer {token}"}

    added = client.post(
        f"/api/complaints/{item.tracking_no}/cooperation",
        headers=bearer(supervisor),
        json={"unit_code": "AKT", "task": "请核实居住证", "within": "3 workdays"},
    )
    assert added.status_code == 201, added.text
    client.post(
        f"/api/complaints/{item.tracking_no}/cooperation",
        headers=bearer(supervisor),
        json={"body": "阿图什市公安局", "task": "请核实户籍"},
    )
    mine = client.get(f"/api/complaints/{item.tracking_no}/cooperation", headers=bearer(akt)).json()
    assert [t["cooperating"] for t in mine] == ["阿克陶县教育局"]
    detail = client.get(f"/api/complaints/{item.tracking_no}", headers=bearer(akt)).json()
    assert detail["history"] == [] and detail["allowed_actions"] == []
    assert detail["summary"] == item.summary and detail["details"] == ""  # the summary, as on the pages
    assert "学校拒收报名材料" not in str(detail)
    answered = client.post(
        f"/api/cooperation/{added.json()['id']}/answer", headers=bearer(akt), json={"text": "居住证已受理"}
    )
    assert answered.json()["status"] == "answered"
    assert client.get("/api/cooperation", headers=bearer(akt)).json() == []
