"""The period of a unit's ledgers and checklists, and who may export or fill them in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from complaints.clock import to_storage
from complaints.models import User
from complaints.runtime import Runtime
from complaints.services.scope import roles_of, sees_all_units
from workflows.vocab import Role


def may_export(actor: User, unit_code: str, runtime: Runtime) -> bool:
    """A supervisor of the unit (or of every unit) exports its ledgers and fills in its checklist."""
    if Role.SUPERVISOR not in roles_of(actor) or not actor.active:
        return False
    return sees_all_units(actor, runtime.settings) or actor.unit_code == unit_code


@dataclass(frozen=True)
class Period:
    unit_code: str
    start: date
    end: date  # inclusive

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        return (
            to_storage(datetime.combine(self.start, time.min), tz),
            to_storage(datetime.combine(self.end + timedelta(days=1), time.min), tz),
        )
