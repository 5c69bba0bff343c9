"""What every shipped template marks: fill-in prompts, one conclusion per outcome, an SMS short form ≤ 70."""

from __future__ import annotations

import datetime as dt

import pytest

from complaints.replies import (
    OUTCOMES,
    SAMPLE_VARIABLES,
    SMS_MAX,
    TEMPLATE_ROOT,
    available_locales,
    check_source,
    concluded,
    conclusions,
    prompts_in,
    render,
)
from complaints.settings import load_settings

SETTINGS = load_settings()
TEMPLATES = [(c.code, locale) for c in SETTINGS.categories for locale in available_locales(c.code)]
URLS = ["", "jyj.xjkz.gov.cn/status"]


def realistic(unit, **extra) -> dict:
    return {
        **SAMPLE_VARIABLES,
        "unit_name": unit.name,
        "unit_hotline": unit.hotline,
        "tracking_no": f"{unit.code}-2026-012345",
        "received_date": dt.date(2026, 12, 28),
        "reply_date": dt.date(2026, 12, 31),
        **extra,
    }


def test_every_category_has_a_template_in_chinese_and_the_list_covers_other_locales():
    assert {c for c, locale in TEMPLATES if locale == "zh_Hans"} == {c.code for c in SETTINGS.categories}
    assert {locale for _, locale in TEMPLATES} >= {"zh_Hans", "ug"}


@pytest.mark.parametrize(("category", "locale"), TEMPLATES)
def test_the_sms_short_form_fits_one_message_for_every_unit(category, locale):
    for unit in SETTINGS.units:
        for url in URLS:
            for xinfang in (False, True):
                text = render(
                    category=category,
                    locale=locale,
                    variables=realistic(unit, short=True, status_url=url, is_xinfang=xinfang),
                )
                assert len(text) <= SMS_MAX, (unit.code, url, len(text), text)
                assert f"{unit.code}-2026-012345" in text and (url in text if url else unit.hotline in text)
                assert "\n" not in text and not prompts_in(text)


@pytest.mark.parametrize(("category", "locale"), TEMPLATES)
def test_each_outcome_has_its_own_marked_conclusion(category, locale):
    found = conclusions(category=category, locale=locale, variables=SAMPLE_VARIABLES)
    assert set(found) == set(OUTCOMES) and all(found.values()) and len(set(found.values())) == 3
    for outcome in OUTCOMES:
        text = render(category=category, locale=locale, variables={**SAMPLE_VARIABLES, "outcome": outcome})
        assert concluded(text, found) == {outcome}


@pytest.mark.parametrize(("category", "locale"), TEMPLATES)
def test_what_the_handler_must_write_is_marked_until_written(category, locale):
    blank = render(
        category=category, locale=locale, variables={**SAMPLE_VARIABLES, "verified_facts": "", "callback_note": ""}
    )
    assert len(prompts_in(blank)) == 2
    written = render(category=category, locale=locale, variables=SAMPLE_VARIABLES)
    assert prompts_in(written) == []


def test_prompts_are_found_however_the_text_around_them_was_edited():
    text = "　　二、调查核实情况\n　　【请填写调查核实情况】\n已联系【请填写电话沟通情况】。【请填写调查核实情况】"
    assert prompts_in(text) == ["请填写调查核实情况", "请填写电话沟通情况"]
    assert prompts_in("〔2026〕12号 “共建费” （附件）") == []


def test_a_conclusion_is_recognised_across_line_breaks_and_spaces():
    sentences = {
        "support": "综上，对您的诉求予以支持。",
        "reject": "综上，对您的诉求不予支持。",
        "explain": "敬请理解。",
    }
    assert concluded("……综上，对您的\n诉求 不予支持。", sentences) == {"reject"}
    assert concluded("经核实，学校已退费。", sentences) == set()


def test_a_template_that_words_outcomes_differently_must_mark_its_conclusion():
    source = (
        '{% if outcome == "support" %}予以支持{% else %}不予支持{% endif %}'
        "{{ unit_name }}{{ reply_date|date }}{% if short %}{{ tracking_no }}{% endif %}"
    )
    assert any("mark its conclusion" in p for p in check_source(source, locale="zh_Hans"))
    marked = source.replace(
        "予以支持{% else %}不予支持", '{{ "予以支持"|conclusion }}{% else %}{{ "不予支持"|conclusion }}'
    )
    assert check_source(marked, locale="zh_Hans") == []


def test_an_sms_form_over_70_characters_is_refused():
    base = (TEMPLATE_ROOT / "zh_Hans" / "fees.j2").read_text("utf-8")
    source = base + "{% block sms %}{{ unit_name }}{{ tracking_no }}" + "很长的短信" * 12 + "{% endblock %}"
    assert any("SMS short form" in p and "limit is 70" in p for p in check_source(source, locale="zh_Hans"))
