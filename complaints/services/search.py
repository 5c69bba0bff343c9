"""One search box: a tracking number (any case, with or without its zeros), a phone number whole or its last
four digits, a complainant's name (for those who may see it) or words of the item's text and history.

Words go through the search keys (complaints.searchkeys) and each database's own index over them: FTS5 on
SQLite, a GIN index over a tsvector on PostgreSQL. A single Chinese character is no key; it is looked for in
the summary and details by a scan, as is a search made of signs only."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, literal_column, or_, select, table, true
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql import bindparam, cast

from complaints.errors import InvalidInput
from complaints.models import Complaint, User
from complaints.privacy import normalise_phone
from complaints.searchkeys import keys
from complaints.services.scope import roles_of, sees_all_units
from complaints.settings import Settings
from workflows.vocab import Role

TRACKING = re.compile(r"^\s*([A-Za-z]{2,8})\s*[-_ ]?\s*(\d{4})\s*[-_ ]?\s*(\d{1,7})\s*$")
_FTS = table("complaint_fts")


def tracking_no(query: str) -> str | None:
    """ATS-2026-000123 for `ats-2026-123`, `ATS2026000123` or `ats 2026 123`; None if it is no such number."""
    match = TRACKING.match(query)
    if not match:
        return None
    unit, year, number = match.groups()
    return f"{unit.upper()}-{year}-{int(number):06d}"


def identity_filter(user: User, settings: Settings, item=Complaint) -> ColumnElement[bool]:
    """services.scope.may_see_identity as a WHERE clause, for items already within visible_filter (`item`: the
    table or an alias of it)."""
    if not user.active:
        return false()
    clauses = [item.handler_id == user.id]
    if Role.SUPERVISOR in roles_of(user):
        clauses.append(true() if sees_all_units(user, settings) else item.unit_code == user.unit_code)
    clauses.append(and_(item.confidential.is_(False), item.registered_by_id == user.id))
    return or_(*clauses)


def _matches(item, column: str, found: list[str], dialect: str, walk: bool = False) -> ColumnElement[bool]:
    """Every key in `found` among the item's keys in `column`, through the database's own index. With `walk`,
    the index gives the set of matches that rows met in another index's order are checked against, rather
    than the rows to start from."""
    if dialect == "postgresql":
        vector = func.array_to_tsvector(func.string_to_array(getattr(item, column), literal_column("' '")))
        query = " & ".join(f"'{key}'" for key in found)  # keys are letters and digits only
        return vector.op("@@")(cast(bindparam("tsq", query, unique=True), TSQUERY))
    expression = " AND ".join(f'{column} : "{key}"' for key in found)
    rows: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(_FTS)
        .where(literal_column("complaint_fts").op("MATCH")(bindparam("fts", expression, unique=True)))
    )
    return (item.id + 0 if walk else item.id).in_(rows)  # `id + 0`: not a key SQLite starts from


def _literal(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_clause(
    user: User, settings: Settings, query: str, *, dialect: str, walk: bool = False
) -> ColumnElement[bool]:
    """What the search box finds for `user` (to be combined with the list's visible_filter): an OR of what
    each kind of key finds, each through an index. `walk`: for a search finding many, whose first page is
    read by walking the list's order and keeping the matches (services.queries._search_page)."""
    clauses = _kinds(Complaint, user, settings, query.strip()[:100], dialect, walk)
    return or_(*clauses) if clauses else false()


def _kinds(c, user: User, settings: Settings, query: str, dialect: str, walk: bool) -> list[ColumnElement[bool]]:
    # each key's match is written before the row's own conditions: a row met while walking another index is
    # kept or dropped by the set of matches before anything else of it is read
    clauses: list[ColumnElement[bool]] = []
    if number := tracking_no(query):
        clauses.append(c.tracking_no == number)
    who = identity_filter(user, settings, c)
    phone_ok = or_(c.confidential.is_(False), who)  # a confidential reporter's phone finds nothing
    digits = re.sub(r"[\s()+-]", "", query)
    if digits.isdigit() and len(digits) == 4:
        clauses.append(and_(_matches(c, "search_who", ["p" + digits], dialect, walk), phone_ok))
    elif digits.isdigit() and len(digits) >= 7:
        try:
            phone = normalise_phone(query)
        except InvalidInput:
            phone = None
        if phone:
            clauses.append(and_(phone_ok, c.complainant_phone == phone))
    found = keys(query)
    indexed = [key for key in found if len(key) > 1 or key.isascii()]
    if indexed:
        clauses.append(_matches(c, "search_text", indexed, dialect, walk))
        clauses.append(and_(_matches(c, "search_who", ["n" + key for key in indexed], dialect, walk), who))
    else:  # single Chinese characters or signs only: no key holds them, a scan looks for them literally
        pattern = _literal(query)
        clauses.append(or_(c.summary.like(pattern, escape="\\"), c.details.like(pattern, escape="\\")))
    return clauses
