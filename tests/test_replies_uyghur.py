"""Uyghur replies: every category, names from config in Uyghur, case suffixes spelt as Uyghur requires."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from complaints.replies import OUTCOMES, marks, render
from complaints.services import replies
from complaints.settings import load_settings
from complaints.suffixes import attach

SETTINGS = load_settings()
CATEGORIES = [c.code for c in SETTINGS.categories]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
# 文号 (document numbers such as 新教规〔2020〕2号) are the documents' own identifiers and stay as issued
WENHAO = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")


@pytest.mark.parametrize(
    ("word", "case", "expected"),
    [
        ("ئاقتو", "dative", "ئاقتوغا"),  # back vowel, ends in a vowel
        ("ئاتۇش", "dative", "ئاتۇشقا"),  # back, voiceless ش
        ("مەكتەپ", "dative", "مەكتەپكە"),  # front, voiceless پ
        ("ئىدارە", "dative", "ئىدارىگە"),  # front, final ە weakens to ى
        ("بالا", "dative", "بالىغا"),  # back, final ا weakens to ى
        ("قىزىلسۇ", "locative", "قىزىلسۇدا"),
        ("مەكتەپ", "locative", "مەكتەپتە"),
        ("ئۇلۇغچات", "locative", "ئۇلۇغچاتتا"),
        ("ئۆي", "locative", "ئۆيدە"),
        ("ئۇلۇغچات", "ablative", "ئۇلۇغچاتتىن"),
        ("ئاتۇش شەھەرلىك مائارىپ ئىدارىسى", "genitive", "ئاتۇش شەھەرلىك مائارىپ ئىدارىسىنىڭ"),
        ("ئاتۇش شەھەرلىك مائارىپ ئىدارىسى", "dative", "ئاتۇش شەھەرلىك مائارىپ ئىدارىسىگە"),  # ئىدارە is front
        ("ئىسسىق لىنىيە", "dative", "ئىسسىق لىنىيىگە"),
        ("مەكتەپ", "accusative", "مەكتەپنى"),
        ("110", "dative", "110-غا"),  # يۈز ئون: read with a back vowel
        ("0908-5727021", "locative", "0908-5727021-دە"),  # … بىر
        ("AKT-2026-0040", "dative", "AKT-2026-0040-قا"),  # … قىرىق: back, voiceless
        ("阿克陶县第二小学", "genitive", "阿克陶县第二小学-نىڭ"),  # a name typed in Chinese: after a hyphen
    ],
)
def test_suffixes_follow_uyghur_spelling(word, case, expected):
    assert attach(word, case) == expected


def test_unknown_case_is_refused():
    with pytest.raises(ValueError, match="unknown case"):
        attach("مەكتەپ", "instrumental")


def _variables(*, unit_code: str = "AKT", channel: str = "platform", **changes) -> dict:
    """What a Uyghur reply gets from an item: config's Uyghur names, a school typed in Uyghur."""
    unit = SETTINGS.unit_map[unit_code]
    return {
        "salutation": "ئابدۇللا ئەپەندى",
        "received_date": dt.date(2026, 5, 28),
        "channel": SETTINGS.reply_channels["ug"][channel],
        "tracking_no": "AKT-2026-0012",
        "summary": "بالامنىڭ قايسى مەكتەپكە كىرىدىغانلىقىنى بىلمەكچىمەن",
        "school": "ئاقتو ناھىيىلىك 2-باشلانغۇچ مەكتەپ",
        "verified_facts": "ئىدارىمىز مەكتەپ بىلەن بىرلىكتە نەق مەيداندا تەكشۈردى.",
        "outcome": "explain",
        "callback_note": "مۇناسىۋەتلىك سىياسەتنى تەپسىلىي چۈشەندۈردى",
        "unit_name": unit.name_in("ug"),
        "unit_hotline": unit.hotline,
        "reply_date": dt.date(2026, 6, 3),
        "handler_name": "ۋاڭ مۇئەللىم",
        "review_unit": SETTINGS.unit_map["KZ"].name_in("ug"),
        **changes,
    }


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_renders_in_uyghur_without_chinese(category):
    texts = {}
    for outcome in OUTCOMES:
        for is_xinfang in (False, True):
            text = render(category=category, locale="ug", variables=_variables(outcome=outcome, is_xinfang=is_xinfang))
            leftover = CJK.findall(WENHAO.sub("", text))
            assert not leftover, (category, outcome, "".join(leftover))
            assert "ئاقتو ناھىيىلىك مائارىپ ئىدارىسىنىڭ ئوقۇغۇچى قوبۇل قىلىش مەسلىھەت تېلېفونىغا" in text
            assert text.endswith("ئاقتو ناھىيىلىك مائارىپ ئىدارىسى\n3-ئىيۇن، 2026")
            texts[outcome, is_xinfang] = text
    # the three outcomes say different things, each with its own conclusion
    assert len({texts[o, False] for o in OUTCOMES}) == 3
    assert "تەلىپىڭىزنى قوللايمىز" in texts["support", False]
    assert "تەلىپىڭىزنى قوللىمايمىز" in texts["reject", False]
    assert "چۈشەندۈرۈش بەردۇق" in texts["explain", False]
    # a formal 信访 reply names where to ask for 复查, with the dative written onto the unit's name
    assert "قىزىلسۇ ئوبلاستلىق مائارىپ ئىدارىسىگە يازما شەكىلدە قايتا تەكشۈرۈش ئىلتىماسى" in texts["explain", True]


def test_a_school_typed_in_chinese_is_kept_as_typed():
    text = render(category="fees", locale="ug", variables=_variables(outcome="support", school="阿克陶县第二小学"))
    assert "阿克陶县第二小学-نىڭ" in text
    assert not CJK.findall(WENHAO.sub("", text.replace("阿克陶县第二小学", "")))


def test_a_unit_without_a_uyghur_name_keeps_its_chinese_name():
    unit = SETTINGS.unit_map["AKT"].model_copy(update={"names": {}})
    assert unit.name_in("ug") == "阿克陶县教育局"
    text = render(category="zone", locale="ug", variables=_variables(unit_name=unit.name_in("ug")))
    assert "阿克陶县教育局-نىڭ ئوقۇغۇچى قوبۇل قىلىش" in text


def test_config_gives_uyghur_names_for_every_unit_category_and_channel():
    assert all(unit.names.get("ug") for unit in SETTINGS.units)
    assert all(category.names.get("ug") for category in SETTINGS.categories)
    from workflows.vocab import Channel

    assert set(SETTINGS.reply_channels["ug"]) == {channel.value for channel in Channel}
    assert SETTINGS.app.names["ug"]


def test_draft_reply_in_uyghur_uses_the_uyghur_names(session, runtime, make_user, make_item):
    handler = make_user("handler", name="ۋاڭ مۇئەللىم")  # people's names are shown as registered
    item = make_item(
        category="zone",
        channel="platform",
        unit_code="AKT",
        complainant_name="ئابدۇللا",
        summary="يېڭى ئولتۇراق رايوننىڭ ماس مەكتىپى ئېلان قىلىنمىدى",
    )
    draft = replies.draft_reply(session=session, runtime=runtime, actor=handler, item=item, locale="ug")
    text = draft["text"]
    assert "12345 ھۆكۈمەت ئىشلىرى مۇلازىمىتى قولايلىق ئىسسىق لىنىيە سۇپىسى ئارقىلىق" in text
    assert "ئاقتو ناھىيىلىك مائارىپ ئىدارىسىنىڭ" in text and "【تەكشۈرۈپ ئېنىقلانغان ئەھۋالنى تولدۇرۇڭ】" in text
    # the prompts' 【】 are the marks every locale shares (replies.marks); nothing else is Chinese
    assert not CJK.findall(WENHAO.sub("", marks.FILL_IN.sub("", text)))
