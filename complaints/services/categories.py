"""The categories of items: the one check of a category code, and the category a new item's words suggest."""

from __future__ import annotations

import re
from functools import lru_cache

from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.settings import Settings

SUMMARY_WEIGHT = 2  # a keyword in the summary says more than one buried in the details


def check_category(settings: Settings, code: str, *, field: str = "category") -> str:
    """`code` if it is a configured category, else InvalidInput listing the categories."""
    if code not in settings.category_map:
        valid = "、".join(f"{c.code}（{c.name}）" for c in settings.categories)
        raise InvalidInput(gettext("未知类别：{code}；可选：{valid}", code=code[:32], valid=valid), field=field)
    return code


def suggest_category(settings: Settings, summary: str, details: str = "") -> str:
    """The category scoring most keyword hits (longer keywords and the summary weigh more); 'other'
    (the last configured category) when nothing matches; ties go to the category listed first."""
    best, best_score = None, 0
    for category in settings.categories:
        words = _keywords(tuple(category.keywords))
        if not words or not (words[0].search(summary) or words[0].search(details)):
            continue  # most categories have no keyword in the text at all: one search in C says so
        score = sum(len(word) * (SUMMARY_WEIGHT * summary.count(word) + details.count(word)) for word in words[1:])
        if score > best_score:
            best, best_score = category.code, score
    return best or settings.categories[-1].code


@lru_cache(maxsize=1024)
def _keywords(words: tuple[str, ...]) -> tuple:
    """(a pattern finding any of the words, then the words)."""
    words = tuple(word for word in words if word)
    if not words:
        return ()
    return (re.compile("|".join(re.escape(word) for word in words)), *words)
