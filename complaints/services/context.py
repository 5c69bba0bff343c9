"""What an action's step and its flows may read and write: the one object `act` hands them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from complaints.models import Complaint, User
from complaints.runtime import Runtime
from workflows.lifecycle import Action


@dataclass
class StepContext:
    """What an action's step may read and write."""

    session: Session
    runtime: Runtime
    actor: User
    item: Complaint
    payload: Any  # the action's payload model (steps.PAYLOADS), validated
    now: datetime
    action_taken: Action
    note: str | None = None
    extra_changes: dict = field(default_factory=dict)
