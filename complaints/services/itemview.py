"""What the API, the pages and the CLI show of one item to one person: the identity as they may see it, the
history, the names of the people in it and the actions they may take (those the lifecycle allows their roles
in the item's status and whose preconditions hold). A cooperating unit's staff (协办) see neither history nor
actions: they answer their sub-task."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from complaints.models import Complaint, Event, User
from complaints.runtime import Runtime
from complaints.services import identity, queries
from complaints.services.identity import Complainant
from complaints.services.people import names_of
from complaints.services.scope import roles_of, sees_as_cooperator_only
from complaints.services.steps import offered
from workflows.lifecycle import Action, allowed_actions
from workflows.vocab import Status


@dataclass
class ItemView:
    item: Complaint
    who: Complainant
    events: list[Event]
    names: dict[int, str]  # id -> name of everyone the item and its history name
    actions: list[Action]
    cooperator_only: bool


def actions_for(item: Complaint, actor: User, runtime: Runtime) -> list[Action]:
    """The actions `actor` may take on `item` now, as offered everywhere."""
    allowed = allowed_actions(Status(item.status), roles_of(actor), is_assignee=item.handler_id == actor.id)
    return offered([a for a in allowed if a is not Action.REGISTER], item, runtime.settings, actor)


def view(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    item: Complaint,
    events: list[Event] | None = None,
    who: Complainant | None = None,
) -> ItemView:
    """The item as `actor` sees it; `events` and `who` (an identity just revealed) if already in hand."""
    cooperator_only = sees_as_cooperator_only(actor, item, runtime.settings)
    who = who or identity.for_viewer(session=session, settings=runtime.settings, actor=actor, item=item)
    if cooperator_only:
        events = []
    elif events is None:
        events = queries.history(session=session, item=item)
    people = {e.actor_id for e in events} | {item.handler_id, item.reply_approved_by_id}
    names = names_of(session, people - {actor.id})
    if actor.id is not None:  # the viewer's own name is in hand
        names[actor.id] = actor.name
    actions = [] if cooperator_only else actions_for(item, actor, runtime)
    return ItemView(item, who, events, names, actions, cooperator_only)
