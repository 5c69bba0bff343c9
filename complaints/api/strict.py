"""Request bodies as strict as their JSON schema: a boolean is true/false, an integer is a number, a
date-time is an ISO string. Pydantic's lax mode would take "yes", "5" or 1700000000 as well, which the
OpenAPI document does not promise; clients should get 422, not a guess."""

from __future__ import annotations

import types
from datetime import datetime
from typing import Annotated, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, StrictBool, StrictInt, create_model

# Any date-time the service meets lies well inside these years; beyond them (0001-01-01, 9999-12-31) moving
# the value between time zones can leave datetime's range, and the database's too.
MIN_YEAR, MAX_YEAR = 1900, 2100


def _iso_text_only(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or value.strip().lstrip("-").replace(".", "", 1).isdigit():
        raise ValueError("expected an ISO 8601 date-time string")
    return value


def _plausible_year(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"expected a year between {MIN_YEAR} and {MAX_YEAR}")
    return value


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_text_only), AfterValidator(_plausible_year)]
STRICT = {bool: StrictBool, int: StrictInt, datetime: IsoDatetime}


def _strict(annotation) -> object | None:
    """The strict form of `annotation` (also inside `X | None`), or None when it needs none."""
    if annotation in STRICT:
        return STRICT[annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and rest[0] in STRICT and len(args) == 2:
            return STRICT[rest[0]] | None
    return None


def strict_model(model: type[BaseModel], name: str | None = None, **extra) -> type[BaseModel]:
    """A subclass of `model` whose bool, int and datetime fields are strict; `extra` adds fields."""
    overrides = {}
    for field_name, info in model.model_fields.items():
        strict = _strict(info.annotation)
        if strict is not None:
            overrides[field_name] = (Annotated[strict, info], info.default if not info.is_required() else ...)
    # fields built at run time, which create_model's overloads cannot describe
    return create_model(name or model.__name__, __base__=model, **overrides, **extra)  # type: ignore[call-overload]
