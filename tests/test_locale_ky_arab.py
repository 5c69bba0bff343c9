"""Kyrgyz in Arabic script (ky_Arab): a locale CLDR lacks, defined in complaints.i18n for replies."""

from __future__ import annotations

import datetime as dt

import pytest

from complaints import i18n
from complaints.replies import SAMPLE_VARIABLES, TemplateMissing, check_source, render

# a stand-in template (not Kyrgyz text): only the locale machinery is under test here
SOURCE = "{{ unit_name }}\n{{ review_deadline_days|number }} / {{ 1234567|number }}\n{{ reply_date|date }}"


def test_the_locale_is_right_to_left_with_numeric_dates_and_uyghur_digits():
    assert i18n.is_rtl("ky_Arab")
    assert i18n.format_date(dt.date(2026, 6, 3), locale="ky_Arab") == "2026-06-03"
    assert i18n.format_date(dt.date(2026, 6, 3), format="short", locale="ky_Arab") == "2026-06-03"
    assert i18n.format_number(1234567, locale="ky_Arab") == "1,234,567"
    # CLDR's own `ky` is Cyrillic: its month names must not leak into Arabic-script text
    assert "июн" in i18n.format_date(dt.date(2026, 6, 3), locale="ky")


def test_replies_resolve_to_their_own_folder(tmp_path):
    (tmp_path / "ky_Arab").mkdir()
    (tmp_path / "ky_Arab" / "zone.j2").write_text(SOURCE, encoding="utf-8")
    assert check_source(SOURCE, locale="ky_Arab", root=tmp_path) == []
    text = render(category="zone", locale="ky-Arab", variables=SAMPLE_VARIABLES, root=tmp_path)
    assert text == f"{SAMPLE_VARIABLES['unit_name']}\n30 / 1,234,567\n2026-06-03"


def test_no_kyrgyz_templates_are_shipped_yet():
    # see README "Reply languages": they wait for a translator who writes Kyrgyz in Arabic script
    with pytest.raises(TemplateMissing):
        render(category="zone", locale="ky_Arab", variables=SAMPLE_VARIABLES)
