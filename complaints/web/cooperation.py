"""What the item page shows of 主办/协办, and the page a cooperating unit's staff see instead of the item."""

from __future__ import annotations

from complaints.models import Complaint, OutsideBody, User
from complaints.services import cohandling, identity
from complaints.services.scope import has_role, sees_all_units
from complaints.web.render import page
from workflows.vocab import Role


def rows_of(session, runtime, tasks) -> list[dict]:
    rows = []
    for task in tasks:
        body = session.get(OutsideBody, task.body_id) if task.body_id else None
        rows.append({"task": task, "name": cohandling.name_of(task, runtime, body), "outside": body is not None})
    return rows


def cooperation_context(session, runtime, user: User, item: Complaint) -> dict:
    """What the item page shows of 主办/协办 to the lead and those above it."""
    leads = has_role(user, Role.SUPERVISOR) and (
        user.unit_code == item.unit_code or sees_all_units(user, runtime.settings)
    )
    records = leads or item.handler_id == user.id  # an outside body's input is typed in by the lead
    return {
        "cotasks": rows_of(session, runtime, cohandling.tasks_of(session, item)),
        "may_add_cooperation": leads and item.is_open,
        "may_record_input": records,
        "other_units": [u for u in runtime.settings.units if u.code != item.unit_code],
    }


def cooperation_page(request, user, session, runtime, item, *, error=None, status_code=200):
    """A cooperating unit's view: the summary and its own sub-task, nothing of the complainant unless granted."""
    mine = [t for t in cohandling.tasks_of(session, item) if t.unit_code == user.unit_code]
    who = identity.for_viewer(session=session, settings=runtime.settings, actor=user, item=item)
    return page(
        request,
        "cooperation.html",
        status_code=status_code,
        item=item,
        rows=rows_of(session, runtime, mine),
        who=who,
        error=error,
        lead=runtime.settings.unit_map[item.unit_code].name,
    )
