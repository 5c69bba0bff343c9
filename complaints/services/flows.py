"""Side effects of an action that belong to another domain, run in the action's own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from complaints.services import ledger
from workflows.lifecycle import Action

if TYPE_CHECKING:
    from complaints.services.transitions import StepContext


def write_ledger_entry(ctx: StepContext) -> None:
    """Closing an item writes (or refreshes) its 附件2 problem-lead entry."""
    ledger.write_entry(session=ctx.session, runtime=ctx.runtime, item=ctx.item)


FLOWS: dict[Action, tuple] = {
    Action.CLOSE: (write_ledger_entry,),
}
