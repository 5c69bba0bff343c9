"""The access matrix: each role, in the item's own unit, another county and the prefecture, against
every /api endpoint, is allowed or refused with the right status. Another unit's item is 404, never 403.

The item under test belongs to ATS and was registered there; "handler in their own unit" is the handler the
item is assigned to (谁承办、谁答复: a colleague who is not assigned is tested separately below). Each lifecycle
action is fired on an item put first into a status where the action is possible, with a valid payload, so that
the matrix tests the decision on the role and the unit, not the status."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients

ROLES = ("operator", "handler", "supervisor", "admin")
PLACES = {"own": "ATS", "other": "AKT", "prefecture": "KZ"}
CELLS = [(role, place) for role in ROLES for place in PLACES]
# who sees an ATS item registered in ATS: everyone of ATS, and the prefecture's supervisors and admins
SEES_ITEM = [(role, "own") for role in ROLES] + [("supervisor", "prefecture"), ("admin", "prefecture")]
# whose look-ups show a person of ATS: everyone of ATS, and the prefecture's supervisors and admins
SEES_PERSON = [(role, "own") for role in ROLES] + [("supervisor", "prefecture"), ("admin", "prefecture")]
PASSWORD = "first-pass-2026"


def everyone(status: int) -> dict[tuple[str, str], int]:
    return dict.fromkeys(CELLS, status)


def decided(*roles: str, seen=SEES_ITEM) -> dict[tuple[str, str], int]:
    """Among those who see the thing: 200 for `roles`, 403 for the other roles; 404 (absent) for the rest."""
    return {(role, place): 200 if role in roles else 403 for role, place in seen}


def supervisors_listing() -> dict[tuple[str, str], int]:
    """Supervision views: supervisors only (403 for the rest); the ATS item listed (200) where it is visible,
    not listed (404) for another county's supervisor."""
    return {
        **{cell: 403 for cell in CELLS if cell[0] != "supervisor"},
        ("supervisor", "own"): 200,
        ("supervisor", "prefecture"): 200,
    }


# endpoint -> {(role, place): status}; an absent pair means 404 (the thing is not visible). For a list,
# 200 means that the item (or person) is listed and 404 that the list answered 200 without it.
EXPECTED: dict[str, dict[tuple[str, str], int]] = {
    # /api/auth: about the caller alone
    "logout": everyone(204),
    "me": everyone(200),
    "password": everyone(204),
    "tokens": everyone(200),
    "create_token": everyone(201),
    "revoke_token": everyone(204),
    "revoke_others_token": {},  # a colleague's token is not yours: 404 for everyone
    # /api/complaints
    "register": {(role, place): 201 if role in ("operator", "supervisor") else 403 for role, place in CELLS},
    "list": decided(*ROLES),
    "show": decided(*ROLES),
    # a confidential report: the assigned handler and supervisors over ATS (the prefecture's included)
    "reveal": {("handler", "own"): 200, ("supervisor", "own"): 200, ("supervisor", "prefecture"): 200},
    # /api/complaints/{ref}/actions/{action}, each in a status where it is possible
    "answer_now": decided("operator", "supervisor"),
    "dispatch": decided("operator", "supervisor"),
    "accept": decided("handler"),
    "reply": decided("handler"),
    # the callback is independent: the registering unit's operators and supervisors, never the handler
    "callback": {**decided("operator", "supervisor"), ("supervisor", "prefecture"): 403},
    "close": decided("handler", "supervisor"),
    "send_back": decided("handler"),
    "approve_send_back": decided("supervisor"),
    "refuse_send_back": decided("supervisor"),
    "reassign": decided("supervisor"),
    "request_extension": decided("handler"),
    "approve_extension": decided("supervisor"),
    "refuse_extension": decided("supervisor"),
    "suspend": decided("handler"),
    "resume": decided("handler", "supervisor"),
    "supervise": decided("supervisor"),
    "reopen": decided("supervisor"),
    "mark_duplicate": decided("operator", "supervisor"),
    "not_accept": decided("operator", "supervisor"),
    "refer_discipline": decided("supervisor"),
    "note": decided("operator", "handler", "supervisor"),
    "request_review": decided("operator", "supervisor"),
    # /api/complaints/{ref}/attachments: the item's access; removal by supervisors over the item
    "upload_attachment": {cell: 201 for cell in SEES_ITEM},
    "attachments": decided(*ROLES),
    "download_attachment": decided(*ROLES),
    "remove_attachment": {**decided("supervisor"), ("supervisor", "own"): 204, ("supervisor", "prefecture"): 204},
    # after a callback of 不满意, a supervisor decides; a prefecture supervisor decides and has no one to ask
    "redo": decided("supervisor"),
    "close_with_reason": decided("supervisor"),
    "escalate": {**decided("supervisor"), ("supervisor", "prefecture"): 422},
    "submit_reply": decided("handler"),
    "approve_reply": decided("supervisor"),
    "return_reply": decided("supervisor"),
    # /api/people: the colleague is a handler of ATS; admins of ATS and of the prefecture manage them
    "people": decided(*ROLES, seen=SEES_PERSON),
    "person": decided(*ROLES, seen=SEES_PERSON),
    "create_person": {**{cell: 403 for cell in CELLS}, ("admin", "own"): 201, ("admin", "prefecture"): 201},
    "update_person": decided("admin", seen=SEES_PERSON),
    "out_of_office": decided("admin", seen=SEES_PERSON),
    "own_out_of_office": everyone(200),  # anyone may say they are away
    # reference lists
    "units": everyone(200),
    "categories": everyone(200),
    "statuses": everyone(200),
    "actions": everyone(200),
    # /api/supervision
    "overdue": supervisors_listing(),
    "due_soon": supervisors_listing(),
    "counts": supervisors_listing(),
    # no login needed (and a signed-in caller may use it too)
    "public_status": everyone(200),
    # /api/notices: one's own channels
    "notice_channels": everyone(200),
    "set_notice_channels": everyone(200),
    # /api/webhooks: the prefecture's admins only
    **{
        name: {**everyone(403), ("admin", "prefecture"): status}
        for name, status in (
            ("webhooks", 200),
            ("add_webhook", 201),
            ("pause_webhook", 200),
            ("resume_webhook", 200),
            ("webhook_deliveries", 200),
        )
    },
    # /api/platform: a platform's own token, never a person's (and off unless configured)
    "platform_push": {},
    "platform_pull": {},
    # 协办 on the ATS item: whoever sees it lists the sub-tasks; the lead's supervisors add; AKT's staff answer
    "cooperation": decided(*ROLES),
    "add_cooperation": {(role, place): 201 if role == "supervisor" else 403 for role, place in SEES_ITEM},
    "unit_cooperation": everyone(200),
    "answer_cooperation": {
        **{cell: 403 for cell in SEES_ITEM},
        ("supervisor", "other"): 200,
        ("handler", "other"): 200,
        ("admin", "other"): 403,
    },
}

# The status each item endpoint needs; the item is built only for these endpoints.
STATE = {
    "list": "dispatched",
    "show": "dispatched",
    "reveal": "dispatched",
    "public_status": "registered",
    "overdue": "registered",
    "due_soon": "registered",
    "counts": "registered",
    "answer_now": "registered",
    "dispatch": "registered",
    "not_accept": "registered",
    "mark_duplicate": "registered",
    "accept": "dispatched",
    "send_back": "dispatched",
    "reassign": "dispatched",
    "supervise": "dispatched",
    "note": "dispatched",
    "reply": "accepted",
    "request_extension": "accepted",
    "suspend": "accepted",
    "refer_discipline": "accepted",
    "approve_send_back": "sendback_requested",
    "refuse_send_back": "sendback_requested",
    "approve_extension": "extension_requested",
    "refuse_extension": "extension_requested",
    "resume": "suspended",
    "callback": "replied",
    "close": "visited",
    "reopen": "visited",
    "submit_reply": "accepted",
    "approve_reply": "reply_pending_approval",
    "return_reply": "reply_pending_approval",
    "cooperation": "dispatched",
    "add_cooperation": "dispatched",
    "answer_cooperation": "dispatched",
    "upload_attachment": "dispatched",
    "attachments": "dispatched",
    "download_attachment": "dispatched",
    "remove_attachment": "dispatched",
    "request_review": "closed",
    "redo": "unhappy",
    "close_with_reason": "unhappy",
    "escalate": "unhappy",
}
# the actions that lead from registration to each status, and who fires them
PATHS = {
    "registered": (),
    "dispatched": ("dispatch",),
    "accepted": ("dispatch", "accept"),
    "sendback_requested": ("dispatch", "send_back"),
    "extension_requested": ("dispatch", "accept", "request_extension"),
    "suspended": ("dispatch", "accept", "suspend"),
    "replied": ("dispatch", "accept", "reply"),
    "visited": ("dispatch", "accept", "reply", "callback"),
    "unhappy": ("dispatch", "accept", "reply", "callback"),  # called back 不满意
    "closed": ("dispatch", "accept", "reply", "callback", "close"),
    "reply_pending_approval": ("dispatch", "accept", "submit_reply"),
}
UNHAPPY = {"resolved": False, "satisfaction": "dissatisfied"}
SIGNED_OFF = {"reply": ("submit_reply", "approve_reply")}  # a formal 信访 reply leaves after 审签
# the rest: the assigned handler
FIRED_BY = {"dispatch": "supervisor", "callback": "operator", "approve_reply": "supervisor"}
# what an endpoint's item is, besides a complaint by phone
ITEM_FIELDS = {
    "answer_now": {"kind": "question", "category": "consultation", "summary": "请问一年级报名什么时候开始"},
    "reveal": {"kind": "report", "summary": "举报学校违规收费"},  # a report is confidential
    "request_review": {"channel": "letter"},  # 信访 复查 is for 信访 items
}
ACTIONS = [
    name
    for name in EXPECTED
    if name in STATE
    and name
    not in (
        "list",
        "show",
        "reveal",
        "public_status",
        "overdue",
        "due_soon",
        "counts",
        "cooperation",
        "add_cooperation",
        "answer_cooperation",
        "upload_attachment",
        "attachments",
        "download_attachment",
        "remove_attachment",
    )
]


REPLY = {
    "text": "经核实，学校已退还所收费用并作出书面检查。",
    "outcome": "support",
    "handling_notes": "到校核实",
    "result_text": "学校已退费",
}


def _payload(action: str, ctx) -> dict:
    """A valid payload for each action."""
    return {
        "answer_now": {"text": "今年一年级网上报名为7月1日至7月10日。"},
        "dispatch": {"handler_id": ctx.handler.id},
        "accept": {"note": "已电话联系诉求人"},
        "reply": REPLY,
        "submit_reply": REPLY,
        "approve_reply": {},
        "return_reply": {"note": "请补充调查核实情况"},
        "callback": {"resolved": True, "satisfaction": "satisfied"},
        "close": {"result_text": "已退费"},
        "send_back": {"reason": "outside_remit", "note": "属于人社部门职责"},
        "approve_send_back": {},
        "refuse_send_back": {"note": "属于本单位职责，请继续办理"},
        "reassign": {"handler_id": ctx.colleague.id},
        "request_extension": {"amount": "3 workdays", "note": "需要调取学校账目"},
        "approve_extension": {},
        "refuse_extension": {"note": "应按期答复"},
        "suspend": {"note": "等待诉求人补充材料"},
        "resume": {},
        "supervise": {"note": "请于两个工作日内答复", "due": "2 workdays"},
        "reopen": {"note": "诉求人不满意，重新办理"},
        "mark_duplicate": {"of": ctx.earlier.tracking_no if ctx.earlier else ""},
        "not_accept": {"note": "不属于教育部门职责"},
        "refer_discipline": {"violator": "某小学", "violation": "收取共建费2000元"},
        "note": {"note": "已电话联系"},
        "request_review": {"note": "对处理意见不服，申请复查"},
        "redo": {"note": "未核实收费经过，请重新调查"},
        "close_with_reason": {"reason": "beyond_policy", "note": "诉求超出政策规定，已向诉求人解释"},
        "escalate": {"note": "诉求人坚持要求，提请州局决定"},
    }[action]


def _listed(response, found) -> int:
    """A list's answer as a status: 200 when it shows the thing, 404 when it answered without it."""
    if response.status_code != 200:
        return response.status_code
    return 200 if found(response.json()) else 404


def _call(client, endpoint: str, headers: dict, ctx) -> int:
    ref = ctx.item.tracking_no if ctx.item is not None else None
    colleague, actor = ctx.colleague, ctx.actor
    register = {
        "channel": "call",
        "kind": "complaint",
        "unit_code": "ATS",
        "category": "fees",
        "summary": "反映学校收取共建费",
        "complainant_phone": "13812345678",
    }

    def tracked(page) -> bool:
        return ref in {i["tracking_no"] for i in page["data"]}

    calls = {
        "logout": lambda: client.post("/api/auth/logout", headers=headers),
        "me": lambda: client.get("/api/auth/me", headers=headers),
        "password": lambda: client.post(
            "/api/auth/password",
            headers=headers,
            json={"current_password": PASSWORD, "new_password": "second-pass-2026"},
        ),
        "tokens": lambda: client.get("/api/auth/tokens", headers=headers),
        "create_token": lambda: client.post("/api/auth/tokens", json={"name": "12345 平台对接"}, headers=headers),
        "revoke_token": lambda: client.delete(f"/api/auth/tokens/{ctx.own_token}", headers=headers),
        "revoke_others_token": lambda: client.delete(f"/api/auth/tokens/{ctx.others_token}", headers=headers),
        "register": lambda: client.post("/api/complaints", json=register, headers=headers),
        "list": lambda: _listed(client.get("/api/complaints?limit=200", headers=headers), tracked),
        "show": lambda: client.get(f"/api/complaints/{ref}", headers=headers),
        "reveal": lambda: client.post(f"/api/complaints/{ref}/reveal", headers=headers),
        "people": lambda: _listed(
            client.get("/api/people?unit=ATS&limit=500", headers=headers),
            lambda page: colleague.id in {p["id"] for p in page["data"]},
        ),
        "person": lambda: client.get(f"/api/people/{colleague.id}", headers=headers),
        "create_person": lambda: client.post(
            "/api/people",
            headers=headers,
            json={"username": f"new_{actor.id}", "name": "新同事", "unit_code": "ATS", "roles": ["operator"]},
        ),
        "update_person": lambda: client.patch(f"/api/people/{colleague.id}", json={"name": "改名"}, headers=headers),
        "out_of_office": lambda: client.put(
            f"/api/people/{colleague.id}/out-of-office", json={"away": True}, headers=headers
        ),
        "own_out_of_office": lambda: client.put(
            f"/api/people/{actor.id}/out-of-office", json={"away": True}, headers=headers
        ),
        "units": lambda: client.get("/api/units", headers=headers),
        "categories": lambda: client.get("/api/categories", headers=headers),
        "statuses": lambda: client.get("/api/statuses", headers=headers),
        "actions": lambda: client.get("/api/actions", headers=headers),
        "overdue": lambda: _listed(client.get("/api/supervision/overdue?limit=200", headers=headers), tracked),
        "due_soon": lambda: _listed(client.get("/api/supervision/due-soon?limit=200", headers=headers), tracked),
        "counts": lambda: _listed(
            client.get("/api/supervision/counts?by=unit", headers=headers),
            lambda rows: "ATS" in {row["key"] for row in rows},
        ),
        "public_status": lambda: client.post(
            "/api/public/status", headers=headers, json={"tracking_no": ref, "phone_last4": "5678"}
        ),
        "notice_channels": lambda: client.get("/api/notices/channels", headers=headers),
        "set_notice_channels": lambda: client.put(
            "/api/notices/channels", headers=headers, json={"channels": {"assigned": ["email"]}}
        ),
        "webhooks": lambda: client.get("/api/webhooks", headers=headers),
        "add_webhook": lambda: client.post(
            "/api/webhooks", headers=headers, json={"name": f"hook {actor.id}", "url": "https://hook.example.org/x"}
        ),
        "pause_webhook": lambda: client.post(f"/api/webhooks/{ctx.subscriber_id}/pause", headers=headers),
        "resume_webhook": lambda: client.post(f"/api/webhooks/{ctx.subscriber_id}/resume", headers=headers),
        "webhook_deliveries": lambda: client.get(f"/api/webhooks/{ctx.subscriber_id}/deliveries", headers=headers),
        "platform_push": lambda: client.post("/api/platform/items", headers=headers, json={"items": [{}]}),
        "platform_pull": lambda: client.get("/api/platform/items/GD-1", headers=headers),
        "cooperation": lambda: client.get(f"/api/complaints/{ref}/cooperation", headers=headers),
        "add_cooperation": lambda: client.post(
            f"/api/complaints/{ref}/cooperation", headers=headers, json={"unit_code": "WQ", "task": "请核实居住证"}
        ),
        "unit_cooperation": lambda: client.get("/api/cooperation", headers=headers),
        "answer_cooperation": lambda: client.post(
            f"/api/cooperation/{ctx.task_id}/answer", headers=headers, json={"text": "经核实，居住证已受理"}
        ),
        "upload_attachment": lambda: client.post(
            f"/api/complaints/{ref}/attachments", headers=headers, files=[("file", ("来信.png", PNG, "image/png"))]
        ),
        "attachments": lambda: client.get(f"/api/complaints/{ref}/attachments", headers=headers),
        "download_attachment": lambda: client.get(
            f"/api/complaints/{ref}/attachments/{ctx.attachment}", headers=headers
        ),
        "remove_attachment": lambda: client.request(
            "DELETE",
            f"/api/complaints/{ref}/attachments/{ctx.attachment}",
            json={"reason": "误传的材料"},
            headers=headers,
        ),
    }
    if endpoint in ACTIONS:
        response = client.post(
            f"/api/complaints/{ref}/actions/{endpoint}", json=_payload(endpoint, ctx), headers=headers
        )
    else:
        response = calls[endpoint]()
    return response if isinstance(response, int) else response.status_code


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def _stored_attachment(session, runtime, operator, item) -> int:
    """An attachment of `item`, its file in the test's storage."""
    import hashlib

    from complaints.attachments.receiving import Received
    from complaints.attachments.storage import storage_for
    from complaints.services import attachments

    writer = storage_for(runtime.settings).create()
    writer.write(PNG)
    writer.commit()
    received = Received(writer.key, "照片.png", len(PNG), hashlib.sha256(PNG).hexdigest(), "png", "image/png")
    [attachment] = attachments.add(
        session=session, settings=runtime.settings, actor=operator, item=item, files=[received]
    )
    return attachment.id


@pytest.fixture
def build(make_user, make_item, session, runtime):
    """build(endpoint, role, place) -> what the endpoint's call needs: the actor, ATS staff, and the item in the
    status the endpoint needs (or in `status`)."""
    from complaints import auth
    from complaints.clock import utcnow
    from complaints.services.transitions import act

    def factory(endpoint: str, role: str, place: str, status: str | None = None):
        actor = make_user(role, unit=PLACES[place], password=PASSWORD if endpoint == "password" else None)
        ctx = SimpleNamespace(
            actor=actor,
            item=None,
            earlier=None,
            own_token=None,
            others_token=None,
            subscriber_id=None,
            task_id=None,
            attachment=None,
            operator=make_user("operator", unit="ATS"),
            supervisor=make_user("supervisor", unit="ATS"),
            handler=actor if (role, place) == ("handler", "own") else make_user("handler"),
            colleague=make_user("handler", unit="ATS"),
        )
        if endpoint == "revoke_token":
            ctx.own_token = auth.issue_api_token(session=session, user=actor, name="spare")[0].id
        if endpoint == "revoke_others_token":
            ctx.others_token = auth.issue_api_token(session=session, user=ctx.colleague, name="theirs")[0].id
        if endpoint in ("pause_webhook", "resume_webhook", "webhook_deliveries"):
            from complaints.notify import webhooks

            ctx.subscriber_id = webhooks.add_subscriber(
                session=session,
                runtime=runtime,
                actor=ctx.supervisor,
                name=f"sub {actor.id}",
                url="https://hook.example.org/y",
            ).id
        status = status or STATE.get(endpoint)
        if status is None:
            return ctx
        if endpoint == "mark_duplicate":
            ctx.earlier = make_item(actor=ctx.operator)
        ctx.item = item = make_item(actor=ctx.operator, **ITEM_FIELDS.get(endpoint, {}))
        session.flush()
        path = PATHS[status]
        if item.track == "xinfang":
            path = [step for action in path for step in SIGNED_OFF.get(action, (action,))]
        for action in path:
            by = {"supervisor": ctx.supervisor, "operator": ctx.operator}.get(FIRED_BY.get(action), ctx.handler)
            payload = UNHAPPY if (status, action) == ("unhappy", "callback") else _payload(action, ctx)
            act(session=session, runtime=runtime, actor=by, item=item, action=action, payload=payload)
        if endpoint in ("download_attachment", "remove_attachment"):
            ctx.attachment = _stored_attachment(session, runtime, ctx.operator, item)
        now = utcnow()
        if endpoint == "overdue":
            item.next_due_at = now - timedelta(hours=1)
        if endpoint == "due_soon":
            item.warn_at, item.next_due_at = now - timedelta(hours=1), now + timedelta(hours=1)
        if endpoint == "answer_cooperation":
            from complaints.services import cohandling

            ctx.task_id = cohandling.add_cooperation(
                session=session,
                runtime=runtime,
                actor=ctx.supervisor,
                item=item,
                data={"unit_code": "AKT", "task": "请核实居住证"},
            ).id
        session.add(item)
        session.flush()
        return ctx

    return factory


@pytest.mark.parametrize("endpoint", list(EXPECTED))
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, bearer, build, role, place, endpoint):
    ctx = build(endpoint, role, place)
    status = _call(client, endpoint, bearer(ctx.actor), ctx)
    assert status == EXPECTED[endpoint].get((role, place), 404), (role, place, endpoint)


def test_every_api_endpoint_is_in_the_matrix(app):
    """A new /api route must be added to the matrix (login and token login need no signed-in caller)."""
    names = {
        "POST /api/auth/logout": "logout",
        "GET /api/auth/me": "me",
        "POST /api/auth/password": "password",
        "GET /api/auth/tokens": "tokens",
        "POST /api/auth/tokens": "create_token",
        "DELETE /api/auth/tokens/{token_id}": "revoke_token",
        "POST /api/complaints": "register",
        "GET /api/complaints": "list",
        "GET /api/complaints/{ref}": "show",
        "POST /api/complaints/{ref}/reveal": "reveal",
        "GET /api/people": "people",
        "POST /api/people": "create_person",
        "GET /api/people/{person_id}": "person",
        "PATCH /api/people/{person_id}": "update_person",
        "PUT /api/people/{person_id}/out-of-office": "out_of_office",
        "GET /api/units": "units",
        "GET /api/categories": "categories",
        "GET /api/statuses": "statuses",
        "GET /api/actions": "actions",
        "GET /api/supervision/overdue": "overdue",
        "GET /api/supervision/due-soon": "due_soon",
        "GET /api/supervision/counts": "counts",
        "POST /api/public/status": "public_status",
        "GET /api/notices/channels": "notice_channels",
        "PUT /api/notices/channels": "set_notice_channels",
        "GET /api/webhooks": "webhooks",
        "POST /api/webhooks": "add_webhook",
        "POST /api/webhooks/{subscriber_id}/pause": "pause_webhook",
        "POST /api/webhooks/{subscriber_id}/resume": "resume_webhook",
        "GET /api/webhooks/{subscriber_id}/deliveries": "webhook_deliveries",
        "POST /api/platform/items": "platform_push",
        "GET /api/platform/items/{external_ref}": "platform_pull",
        "GET /api/complaints/{ref}/cooperation": "cooperation",
        "POST /api/complaints/{ref}/cooperation": "add_cooperation",
        "GET /api/cooperation": "unit_cooperation",
        "POST /api/cooperation/{task_id}/answer": "answer_cooperation",
        "POST /api/complaints/{ref}/attachments": "upload_attachment",
        "GET /api/complaints/{ref}/attachments": "attachments",
        "GET /api/complaints/{ref}/attachments/{attachment_id}": "download_attachment",
        "DELETE /api/complaints/{ref}/attachments/{attachment_id}": "remove_attachment",
    }
    names |= {f"POST /api/complaints/{{ref}}/actions/{action}": action for action in ACTIONS}
    routes = {
        f"{method.upper()} {path}"
        for path, methods in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in methods
    }
    assert routes == set(names) | {"POST /api/auth/login", "POST /api/auth/token"}
    assert set(names.values()) <= set(EXPECTED)


ASSIGNEE_ONLY = {
    "accept": "dispatched",
    "send_back": "dispatched",
    "reply": "accepted",
    "submit_reply": "accepted",
    "request_extension": "accepted",
    "suspend": "accepted",
    "resume": "suspended",
    "close": "visited",
}


@pytest.mark.parametrize("action", list(ASSIGNEE_ONLY))
def test_only_the_assigned_handler_acts_on_the_item(client, bearer, build, action):
    """谁承办、谁答复: a handler of the same unit who is not assigned sees the item but may not work it."""
    ctx = build(action, "supervisor", "own")  # the item is assigned to ctx.handler, not to the colleague
    assert ctx.item.status == ASSIGNEE_ONLY[action] and ctx.item.handler_id == ctx.handler.id
    headers = bearer(ctx.colleague)
    assert client.get(f"/api/complaints/{ctx.item.tracking_no}", headers=headers).status_code == 200
    response = client.post(
        f"/api/complaints/{ctx.item.tracking_no}/actions/{action}", json=_payload(action, ctx), headers=headers
    )
    assert response.status_code == 403, response.text


def test_a_handler_who_is_not_assigned_may_not_reveal_a_confidential_identity(client, bearer, build):
    ctx = build("reveal", "supervisor", "own")  # a confidential report, assigned to ctx.handler
    assert ctx.item.confidential and ctx.item.handler_id == ctx.handler.id
    assert (
        client.post(f"/api/complaints/{ctx.item.tracking_no}/reveal", headers=bearer(ctx.colleague)).status_code == 404
    )  # as in the matrix: a refused reveal is 404, like an invisible item
    assert client.post(f"/api/complaints/{ctx.item.tracking_no}/reveal", headers=bearer(ctx.handler)).status_code == 200


# (role, action, the item's status): a role that may never take the action, in a status where nobody may
NEVER_ALLOWED = [
    ("admin", "reply", "registered"),
    ("operator", "approve_extension", "dispatched"),
    ("handler", "dispatch", "accepted"),
]
# a role that may take the action, but not in this status
NOT_NOW = [
    ("supervisor", "approve_extension", "accepted"),
    ("handler", "reply", "dispatched"),
    ("operator", "dispatch", "accepted"),
]


@pytest.mark.parametrize(
    ("role", "action", "status", "expected"),
    [(*case, 403) for case in NEVER_ALLOWED] + [(*case, 409) for case in NOT_NOW],
)
def test_never_allowed_is_403_whatever_the_status_not_now_is_409(client, bearer, build, role, action, status, expected):
    """Rules: an action the role may never take is 403 (for a visible item); one the role may take, but not
    in the item's current status, is 409. The matrix fires each action in a status where it is possible; this
    tries the others."""
    ctx = build(action, role, "own", status=status)  # the handler of ATS is the item's assigned handler
    response = client.post(
        f"/api/complaints/{ctx.item.tracking_no}/actions/{action}",
        json=_payload(action, ctx),
        headers=bearer(ctx.actor),
    )
    assert response.status_code == expected, response.text


def test_public_status_needs_no_login(client, new_item):
    item = new_item()
    response = client.post("/api/public/status", json={"tracking_no": item.tracking_no, "phone_last4": "5678"})
    assert response.status_code == 200 and response.json()["status"] == "registered"


def test_lists_only_show_visible_items(client, bearer, make_user, new_item):
    mine, theirs = new_item(unit_code="ATS"), new_item(unit_code="AKT")
    for user, sees, hidden in (
        (make_user("supervisor", unit="ATS"), mine, theirs),
        (make_user("supervisor", unit="AKT"), theirs, mine),
    ):
        page = client.get("/api/complaints?limit=200", headers=bearer(user)).json()
        listed = {i["tracking_no"] for i in page["data"]}
        assert sees.tracking_no in listed and hidden.tracking_no not in listed
    everything = client.get("/api/complaints?limit=200", headers=bearer(make_user("supervisor", unit="KZ"))).json()
    assert {mine.tracking_no, theirs.tracking_no} <= {i["tracking_no"] for i in everything["data"]}


def test_assigned_handler_sees_the_full_identity_others_in_the_unit_do_not(
    client, bearer, make_user, new_item, session, runtime
):
    from complaints.services.transitions import act

    handler, other_handler = make_user("handler"), make_user("handler")
    item = new_item()
    act(
        session=session,
        runtime=runtime,
        actor=make_user("supervisor"),
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    assigned = client.get(f"/api/complaints/{item.id}", headers=bearer(handler)).json()["complainant"]
    colleague = client.get(f"/api/complaints/{item.id}", headers=bearer(other_handler)).json()["complainant"]
    assert assigned["phone"] == "13812345678" and not assigned["masked"]
    assert colleague["phone"] == "138****5678" and colleague["masked"]
