"""Domain errors; the API, the web pages and the CLI each map them to their own shape."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; `code` is stable, `message` is for people."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


class Conflict(DomainError):
    """Someone else changed the item first; reload and try again. Nothing was written."""

    code = "conflict"
    http_status = 409


class ActionNotAllowed(DomainError):
    code = "action_not_allowed"
    http_status = 409


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401


def validate(model, data):
    """`model.model_validate(data)`, with pydantic's error turned into InvalidInput naming the field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidInput(
            f"{field}: {first['msg']}", field=field, errors=exc.errors(include_url=False, include_input=False)
        ) from None
