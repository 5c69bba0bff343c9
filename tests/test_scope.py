"""The list filters and the single-item check decide visibility alike, for every role and unit."""

from __future__ import annotations

import itertools

from sqlmodel import select

from complaints.models import Complaint
from complaints.services.scope import can_see, reviews_filter, visible_filter
from complaints.services.transitions import act

ROLE_SETS = [("operator",), ("handler",), ("supervisor",), ("admin",), ("operator", "handler")]
UNITS = ["KZ", "ATS", "AKT"]


def test_lists_show_exactly_what_the_item_page_shows(session, runtime, settings, make_user, make_item):
    dispatcher = make_user("supervisor", unit="ATS")
    handler = make_user("handler", unit="ATS")
    items = [
        make_item(unit_code="ATS"),
        make_item(unit_code="AKT"),
        make_item(unit_code="KZ"),
        make_item(actor=make_user("operator", unit="KZ"), unit_code="ATS"),
    ]  # the prefecture took the call
    under_review = make_item(unit_code="ATS")
    act(
        session=session,
        runtime=runtime,
        actor=dispatcher,
        item=under_review,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    under_review.unit_code, under_review.reviewed_unit_code, under_review.review_round = "KZ", "ATS", 1
    items.append(under_review)
    cooperated = make_item(unit_code="ATS")  # 协办 by AKT
    cooperated.co_units = ",AKT,"
    items.append(cooperated)
    session.flush()
    ids = {item.id for item in items}
    people = [make_user(*roles, unit=unit) for roles, unit in itertools.product(ROLE_SETS, UNITS)] + [handler]

    def listed(where):
        return set(session.exec(select(Complaint.id).where(where, Complaint.id.in_(ids))))

    for person in people:
        seen = {item.id for item in items if can_see(person, item, settings)}
        who = (person.roles, person.unit_code)
        assert listed(visible_filter(person, settings, following=True)) == seen, who
        assert listed(visible_filter(person, settings)) <= seen, who
        assert listed(reviews_filter(person, settings)) == seen & {under_review.id}, who
        if person.unit_code == "ATS" and person.roles in ("supervisor", "admin"):
            assert under_review.id in seen  # the county follows the review of its own handling
        if person.unit_code == "AKT":
            assert under_review.id not in seen
            assert (cooperated.id in seen) == bool(set(person.roles.split(",")) - {"operator"}), who
