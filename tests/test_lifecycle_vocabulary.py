"""One vocabulary of event kinds, and the status written by the lifecycle alone.

Every event an item's history holds is of a kind in `workflows.events.EventKind` (the lifecycle's actions and
the system's own), named through the enum in code, never as a bare string; an item's status changes only inside
`act` (or registration), and a direct assignment anywhere else raises."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import select

from complaints.models import Complaint, Event, StatusWriteRefused
from complaints.presenters import action_label
from complaints.services.transitions import act
from workflows.events import EVENT_LABELS, SYSTEM_KINDS, EventKind
from workflows.lifecycle import Action
from workflows.vocab import Status

ROOT = Path(__file__).resolve().parent.parent
STATUS_VALUES = {s.value for s in Status}
KIND_VALUES = {k.value for k in EventKind}


def test_a_direct_status_assignment_fails(session, make_item):
    item = make_item()
    with pytest.raises(StatusWriteRefused):
        item.status = Status.CLOSED
    assert item.status == Status.REGISTERED
    with pytest.raises(StatusWriteRefused):
        Complaint(tracking_no="ATS-2026-999999", status=Status.CLOSED)


def test_act_writes_the_status_and_the_event_of_its_kind(session, runtime, make_item, make_user):
    item = make_item()
    supervisor = make_user("supervisor", unit="ATS")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action=Action.NOT_ACCEPT,
        payload={"note": "不属于受理范围"},
    )
    assert item.status == Status.NOT_ACCEPTED
    kinds = session.exec(select(Event.action).where(Event.complaint_id == item.id).order_by(Event.id)).all()
    assert kinds == [EventKind.REGISTER, EventKind.NOT_ACCEPT]


def test_every_kind_has_a_name_and_every_action_a_kind():
    assert {a.value for a in Action} <= KIND_VALUES
    assert set(EVENT_LABELS) == set(EventKind)
    assert all(action_label(kind) != kind.value for kind in EventKind)  # each shown by its name
    assert not {k.value for k in SYSTEM_KINDS} & {a.value for a in Action}


def _sources():
    for path in sorted((ROOT / "complaints").rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _bare_strings(tree: ast.AST):
    """(line, text) of bare strings used as an event's kind or compared with / assigned to a status."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Event", "item_changed"):
            for keyword in node.keywords:
                if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                    yield node.lineno, keyword.value.value
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "action" and isinstance(value, ast.Constant):
                    yield node.lineno, value.value
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr in ("status", "action") for s in sides):
                for side in sides:
                    if isinstance(side, ast.Constant) and side.value in STATUS_VALUES | KIND_VALUES:
                        yield node.lineno, side.value


def test_no_bare_event_kind_or_status_string_in_the_code():
    found = [
        f"{path.relative_to(ROOT)}:{line} {text!r}" for path, tree in _sources() for line, text in _bare_strings(tree)
    ]
    assert found == []


def test_the_check_finds_bare_strings():
    tree = ast.parse(
        'Event(action="attach")\nrows = [{"action": "identity_erased"}]\nif item.status == "closed":\n    pass\n'
        "if item.status == Status.CLOSED:\n    pass\n"
    )
    assert sorted(_bare_strings(tree)) == [(1, "attach"), (2, "identity_erased"), (3, "closed")]
