"""Each action's preconditions are declared once (services/steps.py: PRECONDITIONS): the step raises from them
and the offered actions (item page, API, CLI `show`, all through services/itemview.py) are filtered by them, so
nothing is offered that its step refuses, and what is not offered for a precondition is refused with its message."""

from __future__ import annotations

import pytest

from complaints.errors import DomainError
from complaints.services import itemview, steps
from complaints.services.scope import roles_of
from complaints.services.transitions import act
from workflows.lifecycle import Action, allowed_actions
from workflows.vocab import Status

ITEMS = [
    {"channel": "call", "kind": "question"},  # 即时答复 fits
    {"channel": "letter", "kind": "question"},  # a letter is answered in writing
    {"channel": "call", "kind": "complaint"},  # not a question
    {"channel": "visit", "kind": "complaint"},  # 信访 track
]
PAYLOADS = {
    Action.ANSWER_NOW: {"text": "已当场答复诉求人：请于6月10日至6月20日登录招生平台报名。"},
    Action.NOT_ACCEPT: {"note": "不属于受理范围"},
}


@pytest.mark.parametrize("fields", ITEMS)
def test_what_is_offered_is_what_the_steps_take(session, runtime, make_item, make_user, fields):
    operator = make_user("operator", unit="ATS")
    item = make_item(actor=operator, **fields)
    allowed = allowed_actions(Status(item.status), roles_of(operator), is_assignee=False)
    shown = itemview.actions_for(item, operator, runtime)
    for action in allowed:
        if action is Action.REGISTER:
            continue
        refused = steps.refusal(action, item, operator, runtime.settings)
        assert (action in shown) == (refused is None), action
    assert (Action.ANSWER_NOW in shown) == (fields == {"channel": "call", "kind": "question"})
    refused = steps.refusal(Action.ANSWER_NOW, item, operator, runtime.settings)
    if refused is None:
        act(session=session, runtime=runtime, actor=operator, item=item, action=Action.ANSWER_NOW,
            payload=PAYLOADS[Action.ANSWER_NOW])  # fmt: skip
        assert item.status == Status.CLOSED
    else:
        with pytest.raises(DomainError) as raised:
            act(session=session, runtime=runtime, actor=operator, item=item, action=Action.ANSWER_NOW,
                payload=PAYLOADS[Action.ANSWER_NOW])  # fmt: skip
        assert raised.value.message == refused.message
        assert item.status == Status.REGISTERED


def test_a_supervisor_is_not_offered_signing_off_their_own_reply(session, runtime, make_item, make_user):
    """审签 by someone else: the one who wrote the reply is refused, and so it is not offered to them."""
    supervisor = make_user("supervisor", "handler", unit="ATS")
    other = make_user("supervisor", unit="ATS")
    item = make_item()
    item.handler_id = supervisor.id
    for person, expected in ((supervisor, False), (other, True)):
        assert (steps.refusal(Action.APPROVE_REPLY, item, person, runtime.settings) is None) is expected
        offered = steps.offered([Action.APPROVE_REPLY], item, runtime.settings, person)
        assert (offered == [Action.APPROVE_REPLY]) is expected
