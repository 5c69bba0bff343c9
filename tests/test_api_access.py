"""The access matrix: each role, in the item's own unit, another county and the prefecture, against
each endpoint, is allowed or refused with the right status. Another unit's item is 404, never 403."""

from __future__ import annotations

import pytest

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients

ROLES = ("operator", "handler", "supervisor", "admin")
PLACES = {"own": "ATS", "other": "AKT", "prefecture": "KZ"}

# endpoint -> {(role, place): status}; an absent pair means 404 (the thing is not visible)
EXPECTED: dict[str, dict[tuple[str, str], int]] = {
    "show": {("operator", "own"): 200, ("handler", "own"): 200, ("supervisor", "own"): 200, ("admin", "own"): 200,
             ("supervisor", "prefecture"): 200, ("admin", "prefecture"): 200},
    "note": {("operator", "own"): 200, ("handler", "own"): 200, ("supervisor", "own"): 200, ("admin", "own"): 403,
             ("supervisor", "prefecture"): 200, ("admin", "prefecture"): 403},
    "reveal": {("supervisor", "own"): 200, ("supervisor", "prefecture"): 200},
    "register": {(role, place): 201 if role in ("operator", "supervisor") else 403
                 for role in ROLES for place in PLACES},
    "overdue": {(role, place): 200 if role == "supervisor" else 403 for role in ROLES for place in PLACES},
    "person": {**{(role, "own"): 200 for role in ROLES}, ("supervisor", "prefecture"): 200,
               ("admin", "prefecture"): 200},
    "create_person": {**{(role, place): 403 for role in ROLES for place in PLACES},
                      ("admin", "own"): 201, ("admin", "prefecture"): 201},
    "update_person": {(role, "own"): 403 for role in ROLES} | {("admin", "own"): 200, ("admin", "prefecture"): 200,
                                                                ("supervisor", "prefecture"): 403},
}


def _call(client, endpoint: str, headers: dict, item, colleague) -> int:
    ref = item.tracking_no
    register = {"channel": "call", "kind": "complaint", "unit_code": "ATS", "category": "fees",
                "summary": "反映学校收取共建费", "complainant_phone": "13812345678"}
    calls = {
        "show": lambda: client.get(f"/api/complaints/{ref}", headers=headers),
        "note": lambda: client.post(f"/api/complaints/{ref}/actions/note", json={"note": "已电话联系"},
                                    headers=headers),
        "reveal": lambda: client.post(f"/api/complaints/{ref}/reveal", headers=headers),
        "register": lambda: client.post("/api/complaints", json=register, headers=headers),
        "overdue": lambda: client.get("/api/supervision/overdue", headers=headers),
        "person": lambda: client.get(f"/api/people/{colleague.id}", headers=headers),
        "create_person": lambda: client.post("/api/people", headers=headers, json={
            "username": f"new_{colleague.id}_{len(headers['Authorization'])}", "name": "新同事",
            "unit_code": "ATS", "roles": ["operator"]}),
        "update_person": lambda: client.patch(f"/api/people/{colleague.id}", json={"name": "改名"}, headers=headers),
    }
    return calls[endpoint]().status_code


@pytest.mark.parametrize("endpoint", list(EXPECTED))
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, bearer, make_user, new_item, session, runtime, role, place, endpoint):
    from complaints.services.transitions import act

    operator, supervisor = make_user("operator", unit="ATS"), make_user("supervisor", unit="ATS")
    item = new_item(actor=operator)
    act(session=session, runtime=runtime, actor=supervisor, item=item, action="dispatch",
        payload={"handler_id": make_user("handler", unit="ATS").id})
    colleague = make_user("handler", unit="ATS")
    actor = make_user(role, unit=PLACES[place])
    status = _call(client, endpoint, bearer(actor), item, colleague)
    assert status == EXPECTED[endpoint].get((role, place), 404), (role, place, endpoint)


def test_lists_only_show_visible_items(client, bearer, make_user, new_item):
    mine, theirs = new_item(unit_code="ATS"), new_item(unit_code="AKT")
    for user, sees, hidden in ((make_user("supervisor", unit="ATS"), mine, theirs),
                               (make_user("supervisor", unit="AKT"), theirs, mine)):
        page = client.get("/api/complaints?limit=200", headers=bearer(user)).json()
        listed = {i["tracking_no"] for i in page["data"]}
        assert sees.tracking_no in listed and hidden.tracking_no not in listed
    everything = client.get("/api/complaints?limit=200", headers=bearer(make_user("supervisor", unit="KZ"))).json()
    assert {mine.tracking_no, theirs.tracking_no} <= {i["tracking_no"] for i in everything["data"]}


def test_assigned_handler_sees_the_full_identity_others_in_the_unit_do_not(client, bearer, make_user, new_item,
                                                                          session, runtime):
    from complaints.services.transitions import act

    handler, other_handler = make_user("handler"), make_user("handler")
    item = new_item()
    act(session=session, runtime=runtime, actor=make_user("supervisor"), item=item, action="dispatch",
        payload={"handler_id": handler.id})
    assigned = client.get(f"/api/complaints/{item.id}", headers=bearer(handler)).json()["complainant"]
    colleague = client.get(f"/api/complaints/{item.id}", headers=bearer(other_handler)).json()["complainant"]
    assert assigned["phone"] == "13812345678" and not assigned["masked"]
    assert colleague["phone"] == "138****5678" and colleague["masked"]
