"""The whole lifecycle table, written out by hand, and every pair outside it refused."""

import pytest

from workflows.lifecycle import RULES, Action, TransitionNotAllowed, allowed_actions, fire
from workflows.vocab import Role, Status

A, S = Action, Status
OP, HA, SU, AD = Role.OPERATOR, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN
SAME = "same"

# (source, action) -> (target, roles, assignee_only)
EXPECTED = {
    (None, A.REGISTER): (S.REGISTERED, {OP, SU}, False),
    (S.REGISTERED, A.ANSWER_NOW): (S.CLOSED, {OP, SU}, False),
    (S.REGISTERED, A.DISPATCH): (S.DISPATCHED, {OP, SU}, False),
    (S.REGISTERED, A.NOT_ACCEPT): (S.NOT_ACCEPTED, {OP, SU}, False),
    (S.REGISTERED, A.MARK_DUPLICATE): (S.DUPLICATE, {OP, SU}, False),
    (S.DISPATCHED, A.ACCEPT): (S.ACCEPTED, {HA}, True),
    (S.DISPATCHED, A.SEND_BACK): (S.SENDBACK_REQUESTED, {HA}, True),
    (S.DISPATCHED, A.REASSIGN): (S.DISPATCHED, {SU}, False),
    (S.DISPATCHED, A.MARK_DUPLICATE): (S.DUPLICATE, {OP, SU}, False),
    (S.DISPATCHED, A.SUPERVISE): (SAME, {SU}, False),
    (S.ACCEPTED, A.SEND_BACK): (S.SENDBACK_REQUESTED, {HA}, True),
    (S.ACCEPTED, A.REQUEST_EXTENSION): (S.EXTENSION_REQUESTED, {HA}, True),
    (S.ACCEPTED, A.SUSPEND): (S.SUSPENDED, {HA}, True),
    (S.ACCEPTED, A.REPLY): (S.REPLIED, {HA}, True),
    (S.ACCEPTED, A.SUBMIT_REPLY): (S.REPLY_PENDING_APPROVAL, {HA}, True),
    (S.REPLY_PENDING_APPROVAL, A.APPROVE_REPLY): (S.REPLIED, {SU}, False),
    (S.REPLY_PENDING_APPROVAL, A.RETURN_REPLY): (S.ACCEPTED, {SU}, False),
    (S.REPLY_PENDING_APPROVAL, A.SUPERVISE): (SAME, {SU}, False),
    (S.ACCEPTED, A.REASSIGN): (S.DISPATCHED, {SU}, False),
    (S.ACCEPTED, A.MARK_DUPLICATE): (S.DUPLICATE, {OP, SU}, False),
    (S.ACCEPTED, A.SUPERVISE): (SAME, {SU}, False),
    (S.ACCEPTED, A.REFER_DISCIPLINE): (SAME, {SU}, False),
    (S.SENDBACK_REQUESTED, A.APPROVE_SEND_BACK): (S.REGISTERED, {SU}, False),
    (S.SENDBACK_REQUESTED, A.REFUSE_SEND_BACK): (S.ACCEPTED, {SU}, False),
    (S.SENDBACK_REQUESTED, A.SUPERVISE): (SAME, {SU}, False),
    (S.EXTENSION_REQUESTED, A.APPROVE_EXTENSION): (S.ACCEPTED, {SU}, False),
    (S.EXTENSION_REQUESTED, A.REFUSE_EXTENSION): (S.ACCEPTED, {SU}, False),
    (S.EXTENSION_REQUESTED, A.SUPERVISE): (SAME, {SU}, False),
    (S.SUSPENDED, A.RESUME): (S.ACCEPTED, {HA, SU}, True),
    (S.SUSPENDED, A.REASSIGN): (S.DISPATCHED, {SU}, False),
    (S.SUSPENDED, A.SUPERVISE): (SAME, {SU}, False),
    (S.REPLIED, A.CALLBACK): (S.VISITED, {OP, HA, SU}, False),
    (S.REPLIED, A.REFER_DISCIPLINE): (SAME, {SU}, False),
    (S.VISITED, A.CLOSE): (S.CLOSED, {HA, SU}, True),
    (S.VISITED, A.REOPEN): (S.ACCEPTED, {SU}, False),
    (S.VISITED, A.REDO): (S.ACCEPTED, {SU}, False),
    (S.VISITED, A.CLOSE_WITH_REASON): (S.CLOSED, {SU}, False),
    (S.VISITED, A.ESCALATE): (SAME, {SU}, False),
    (S.VISITED, A.REFER_DISCIPLINE): (SAME, {SU}, False),
    (S.CLOSED, A.REOPEN): (S.ACCEPTED, {SU}, False),
    (S.CLOSED, A.REQUEST_REVIEW): (S.REGISTERED, {OP, SU}, False),
    (S.CLOSED, A.REFER_DISCIPLINE): (SAME, {SU}, False),
    **{(status, A.NOTE): (SAME, {OP, HA, SU}, False) for status in Status},
}


def test_table_is_exactly_the_expected_one():
    actual = {
        (r.source, r.action): (SAME if r.target is None else r.target, set(r.roles), r.assignee_only) for r in RULES
    }
    assert actual == EXPECTED


@pytest.mark.parametrize("pair", sorted(EXPECTED, key=str), ids=str)
def test_each_allowed_pair_fires_for_its_roles_only(pair):
    source, action = pair
    target, roles, assignee_only = EXPECTED[pair]
    for role in Role:
        if role in roles:
            result = fire(source, action, {role}, is_assignee=True)
            assert result == (source if target == SAME else target)
        else:
            with pytest.raises(TransitionNotAllowed) as caught:
                fire(source, action, {role}, is_assignee=True)
            assert caught.value.reason == "role"


@pytest.mark.parametrize("status", [None, *Status], ids=str)
def test_every_pair_outside_the_table_is_refused_naming_status_and_allowed(status):
    for action in Action:
        if (status, action) in EXPECTED:
            continue
        with pytest.raises(TransitionNotAllowed) as caught:
            fire(status, action, {OP, HA, SU, AD}, is_assignee=True)
        error = caught.value
        assert error.reason == "status"
        assert set(error.allowed) == {a for (s, a) in EXPECTED if s == status}
        assert f"'{status.value if status else 'new'}'" in str(error)


def test_only_the_assigned_handler_replies():
    with pytest.raises(TransitionNotAllowed):
        fire(S.ACCEPTED, A.REPLY, {HA}, is_assignee=False)
    assert fire(S.ACCEPTED, A.REPLY, {HA}, is_assignee=True) == S.REPLIED
    # a supervisor may close any item of their scope, a handler only their own
    assert fire(S.VISITED, A.CLOSE, {SU}, is_assignee=False) == S.CLOSED
    with pytest.raises(TransitionNotAllowed):
        fire(S.VISITED, A.CLOSE, {HA}, is_assignee=False)


def test_allowed_actions_for_a_role():
    assert set(allowed_actions(S.ACCEPTED, {HA}, is_assignee=True)) == {
        A.SEND_BACK,
        A.REQUEST_EXTENSION,
        A.SUSPEND,
        A.REPLY,
        A.SUBMIT_REPLY,
        A.NOTE,
    }
    assert set(allowed_actions(S.ACCEPTED, {HA}, is_assignee=False)) == {A.NOTE}
    assert set(allowed_actions(S.CLOSED, {OP})) == {A.REQUEST_REVIEW, A.NOTE}  # an operator logs a 复查 request
