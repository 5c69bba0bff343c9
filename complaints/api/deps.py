"""What the JSON API's routes need besides the shared HTTP edge (complaints.http: the request's session,
the runtime, the signed-in user, CSRF): versions from If-Match, ETags, and unknown query parameters refused.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

from complaints.errors import InvalidInput
from complaints.i18n import gettext

IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,9}"?)$'


def version_from_if_match(value: str | None) -> int | None:
    """The version in an If-Match header ("3", W/"3" or 3), or None when absent or `*`."""
    digits = (value or "").strip().removeprefix("W/").strip('"')
    return int(digits) if digits.isdigit() else None


def etag(version: int) -> str:
    return f'"{version}"'


def _query_names(dependant: Dependant) -> set[str]:
    """Every query parameter a route (and its dependencies) declares, a query model's fields included."""
    names: set[str] = set()
    for param in dependant.query_params:
        names.add(param.alias)
        annotation = getattr(param.field_info, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f.alias or name for name, f in annotation.model_fields.items()}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """A misspelt or unknown query parameter is refused (422), not silently ignored."""
    route = request.scope.get("route")
    if route is None or not request.query_params or not hasattr(route, "dependant"):
        return
    unknown = sorted(set(request.query_params) - _query_names(route.dependant) - {"lang"})  # lang: the language
    if unknown:
        raise InvalidInput(gettext("未知的查询参数：{names}", names=", ".join(unknown)[:100]), field=unknown[0][:64])
