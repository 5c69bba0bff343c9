"""The base of every action's payload: unknown fields refused, text stripped, a note that may be required."""

from __future__ import annotations

from pydantic import BaseModel, Field

from complaints.models import NOTE_MAX


class Payload(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class Reasoned(Payload):
    note: str = Field(min_length=2, max_length=NOTE_MAX)
