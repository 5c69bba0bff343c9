"""The search keys of an item, kept in two shadow columns that each database indexes with its own text index
(SQLite: an FTS5 table kept in step by triggers; PostgreSQL: a GIN index over the keys as a tsvector).

A key is a lower-case word, or for Chinese text every pair of neighbouring characters (bigrams), so that a
two-character word such as 收费 or 择校 is one key and a longer one is found as all of its pairs. Keys are made
only of letters and digits, one space between them, so both indexes read them exactly as written.

- `search_text`: the words of the summary, details, school, 办理情况, result, reply and every note in the
  history. Keys are only ever added (a note adds its words), never rebuilt from the item, so history notes
  need not be read again.
- `search_who`: the complainant's name (each key prefixed `n`) and the phone's last four digits (`p5678`),
  rebuilt whenever the name or phone changes and emptied when they are erased. Searches use it only for
  those who may see the identity (services.search).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from complaints.models import Complaint, Event
from workflows.lifecycle import Action

TEXT_FIELDS = ("summary", "details", "school", "handling_notes", "result_text", "reply_text")
WHO_FIELDS = ("complainant_name", "complainant_phone")
ACTIONS = frozenset(a.value for a in Action)  # notes people write with an action, not the system's own
MAX_KEY = 32  # longer words are cut: keys stay small, a search for the start of a long word still works
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+|[^\W_]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


# full-width punctuation, in nearly every Chinese text: NFKC only turns it into ASCII punctuation, which
# separates words just as a space does, so it becomes a space and most texts need no normalising at all
_SEPARATORS = str.maketrans(dict.fromkeys("，、：；！？（）【】《》“”‘’。", " "))


def keys(text: str | None) -> list[str]:
    """The keys of `text`, in order of appearance, each once."""
    if not text:
        return []
    text = text.translate(_SEPARATORS)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    found: dict[str, None] = {}
    cjk = _CJK.match
    for run in _RUN.findall(text.lower()):
        if cjk(run):
            if len(run) == 1:
                found[run] = None
            for i in range(len(run) - 1):  # a plain loop: building the pairs first took twice as long
                found[run[i : i + 2]] = None
        else:
            found[run[:MAX_KEY]] = None
    return list(found)


def joined(existing: str, new: Iterable[str]) -> str:
    """`existing` keys with `new` ones added (each once)."""
    have = existing.split() if existing else []
    return " ".join(dict.fromkeys([*have, *new]))


def text_keys(values: dict) -> str:
    # the fields read as one text, a line each: no key spans a line break, so the keys and their order are
    # those of each field's keys in turn
    return " ".join(keys("\n".join(text for name in TEXT_FIELDS if (text := values.get(name)))))


def who_keys(name: str | None, phone: str | None) -> str:
    found = ["n" + k for k in keys(name)]
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) >= 4:
        found.append("p" + digits[-4:])
    return " ".join(dict.fromkeys(found))


def row_keys(row: dict) -> dict[str, str]:
    """The two columns for a row inserted without the ORM (bulk import, benchmarks)."""
    return {
        "search_text": text_keys(row),
        "search_who": who_keys(row.get("complainant_name"), row.get("complainant_phone")),
    }


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _keep_keys(session: Session, flush_context, instances) -> None:
    """Add the keys of what changed before it is written: a new or edited item, a new note."""
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Complaint):
            if obj in session.new or _changed(obj, TEXT_FIELDS):
                obj.search_text = joined(
                    obj.search_text or "", keys(" ".join(str(getattr(obj, name) or "") for name in TEXT_FIELDS))
                )
            if obj in session.new or _changed(obj, WHO_FIELDS):
                obj.search_who = who_keys(obj.complainant_name, obj.complainant_phone)
    changing = {id(obj) for obj in [*session.new, *session.dirty]}
    for obj in session.new:
        if isinstance(obj, Event) and obj.note and obj.action in ACTIONS:
            item = obj.complaint or (session.get(Complaint, obj.complaint_id) if obj.complaint_id else None)
            # only an item written anyway by the same action: a note never costs anyone's version on its own
            if item is not None and id(item) in changing:
                added = joined(item.search_text or "", keys(obj.note))
                if added != (item.search_text or ""):
                    item.search_text = added
