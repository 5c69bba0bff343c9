"""The English and Uyghur catalogs cover every message in the source, keep its {placeholders}, and reach the pages.

When test_every_message_has_a_translation fails, run scripts/messages.sh and translate the new or
`#, fuzzy` entries in complaints/locales/<en|ug>/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from complaints import auth, i18n, presenters

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "complaints" / "locales"
EN_PO = LOCALES / "en" / "LC_MESSAGES" / "messages.po"
UG_PO = LOCALES / "ug" / "LC_MESSAGES" / "messages.po"
CATALOGS = {"en": EN_PO, "ug": UG_PO}
# the same keywords as scripts/messages.sh passes to `pybabel extract`
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["_", "gettext", "N_", "ngettext:1,2"])}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e]")


def _ids(message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The messages in the source tree, extracted as scripts/messages.sh does (babel.cfg, same keywords)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, filename=str(ROOT / "babel.cfg"))
    catalog = Catalog(project="complaints", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=()
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pot.open("wb") as out:
        write_po(out, catalog, omit_header=False, sort_output=True, width=0)
    with pot.open("rb") as back:
        return read_po(back)


@pytest.fixture(scope="module")
def english() -> Catalog:
    with EN_PO.open("rb") as po:
        return read_po(po, locale="en")


@pytest.fixture(scope="module", params=sorted(CATALOGS))
def translated(request) -> Catalog:
    """Each translated catalog in turn (en, ug)."""
    with CATALOGS[request.param].open("rb") as po:
        return read_po(po, locale=request.param)


def test_extraction_finds_the_known_messages(extracted):
    # a sanity check on the extraction itself: Python, N_() in workflows, and Jinja templates
    for msgid in ("受理编号", "已办结", "问题线索摘要", "诉求件 {tracking_no} 已超期"):
        assert msgid in extracted, msgid
    assert len(extracted) > 300


def test_every_message_has_a_translation(extracted, translated):
    missing = []
    for message in extracted:
        if not message.id:
            continue
        entry = translated.get(message.id, context=message.context)
        if entry is None or entry.fuzzy or not all(s and s.strip() for s in _strings(entry)):
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            missing.append(f"{_ids(message)[0]!r} ({where})")
    po = CATALOGS[str(translated.locale)].relative_to(ROOT)
    assert not missing, (
        f"{len(missing)} message(s) without a translation in {po}: run scripts/messages.sh, then translate "
        f"them there:\n  " + "\n  ".join(missing)
    )


def test_catalog_has_no_fuzzy_or_partial_plural_entries(translated):
    fuzzy = [m.id for m in translated if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries (check the translation, then drop the flag): {fuzzy}"
    for message in translated:
        if message.pluralizable:
            assert len(_strings(message)) == translated.num_plurals and all(_strings(message)), message.id


def test_translations_keep_the_placeholders(translated):
    wrong = []
    for message in translated:
        if not message.id:
            continue
        ids, strings = _ids(message), _strings(message)
        for index, text in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            if text and Counter(PLACEHOLDER.findall(text)) != Counter(PLACEHOLDER.findall(source)):
                wrong.append(f"{source!r} -> {text!r}")
    assert not wrong, "placeholders differ from the msgid:\n  " + "\n  ".join(wrong)


def test_stopgap_strings_still_exist_where_they_are_used():
    """complaints/locales/unmarked.py copies strings that their modules translate without marking them;
    a copy whose original has changed or gone would keep a dead translation and miss the new string."""
    stopgap = LOCALES / "unmarked.py"
    if not stopgap.exists():
        return
    copies = [
        node.args[0].value
        for node in ast.walk(ast.parse(stopgap.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "N_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("complaints", "workflows")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html") and path != stopgap
    )
    gone = [text for text in copies if f'"{text}"' not in sources and f"'{text}'" not in sources]
    assert not gone, f"strings in {stopgap.relative_to(ROOT)} no longer in the source: {gone}"


@pytest.fixture
def in_english():
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


def test_gettext_translates_into_english(in_english):
    assert i18n.gettext("受理编号") == "Tracking number"
    assert (
        i18n.gettext("诉求件 {tracking_no} 已超期", tracking_no="ATS-2026-000001") == "Case ATS-2026-000001 is overdue"
    )
    assert i18n.gettext("已超期（期限：{due}）", due="2026-06-03 18:00") == "Overdue (due: 2026-06-03 18:00)"
    assert presenters.status_label("closed") == "Closed"
    assert presenters.action_label("supervise") == "Press"
    assert i18n.gettext("这句话不在目录里") == "这句话不在目录里"  # an unknown message falls back to the Chinese


def test_chinese_stays_the_default():
    assert i18n.current_locale.get() == i18n.DEFAULT_LOCALE
    assert i18n.gettext("受理编号") == "受理编号"


def _visible_labels(html: str) -> list[str]:
    """The text of the page's labels, headings, buttons and table headers, tags stripped."""
    found = re.findall(r"<(label|h1|h2|button|th|summary)\b[^>]*>(.*?)</\1>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", inner).split()) for _, inner in found]


def test_intake_page_in_english(client, session, make_user):
    _, token = auth.create_session(session=session, user=make_user("operator"), kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    html = client.get("/intake?lang=en").text
    assert 'lang="en"' in html
    labels = _visible_labels(html)
    for expected in (
        "Register a case",
        "Channel",
        "Case type",
        "Handling unit",
        "School concerned",
        "Summary",
        "Category",
        "Details",
        "Complainant name",
        "Phone number",
        "Anonymous",
        "Urgent",
        "Save registration (Enter)",
    ):
        assert expected in labels, (expected, labels)
    assert ">Phone call</option>" in html and ">Complaint</option>" in html  # vocabulary labels too
    chinese = [text for text in labels if CJK.search(text)]
    assert not chinese, f"untranslated labels on the English page: {chinese}"
    for zh in ("诉求类型", "承办单位", "问题线索摘要", "详细内容", "诉求人姓名", "联系电话"):
        assert zh not in html


def _uyghur() -> Catalog:
    with UG_PO.open("rb") as po:
        return read_po(po, locale="ug")


def test_uyghur_translations_are_written_in_uyghur():
    # date formats a user may type (2026年6月3日) are the only Chinese a Uyghur message may quote
    chinese = [m.id for m in _uyghur() if m.id and CJK.search(m.string.replace("2026年6月3日", ""))]
    assert not chinese, f"Uyghur translations with Chinese left in them: {chinese}"
    arabic = [m for m in _uyghur() if m.id and re.search(r"[\u0600-\u06ff]", m.string)]
    assert len(arabic) > 0.95 * len([m for m in _uyghur() if m.id])


def test_awaiting_review_is_marked_in_the_metadata_not_in_the_text():
    catalog = _uyghur()
    assert "X-Review-Status: awaiting native speaker review" in catalog.header_comment
    assert "awaiting native speaker review" in catalog.language_team
    assert not [m.id for m in catalog if m.id and re.search(r"review|TODO|fuzzy|\?\?", m.string, flags=re.I)]


@pytest.fixture
def in_uyghur():
    token = i18n.current_locale.set("ug")
    yield
    i18n.current_locale.reset(token)


def test_gettext_translates_into_uyghur(in_uyghur):
    assert i18n.gettext("受理编号") == "قوبۇل قىلىش نومۇرى"
    assert (
        i18n.gettext("诉求件 {tracking_no} 已超期", tracking_no="ATS-2026-000001")
        == "ATS-2026-000001 نومۇرلۇق ئىشنىڭ ۋاقتى ئۆتتى"
    )
    assert presenters.status_label("closed") == "تاماملاندى"
    assert i18n.is_rtl("ug") and i18n.is_rtl("ky_Arab") and not i18n.is_rtl("zh_Hans_CN")


def test_intake_page_in_uyghur(client, session, make_user):
    _, token = auth.create_session(session=session, user=make_user("operator"), kind="browser")
    client.cookies.set(auth.SESSION_COOKIE, token)
    html = client.get("/intake?lang=ug").text
    assert 'lang="ug"' in html and 'dir="rtl"' in html
    labels = _visible_labels(html)
    for expected in (
        "ئەرز-شىكايەت تىزىملاش",
        "قانال",
        "ئەرز-شىكايەت تىپى",
        "بىر تەرەپ قىلىدىغان ئورۇن",
        "مەسىلە ئىزناسىنىڭ قىسقىچە مەزمۇنى",
        "تىزىملاشنى ساقلاش (Enter)",
    ):
        assert expected in labels, (expected, labels)
    chinese = [text for text in labels if CJK.search(text)]
    assert not chinese, f"untranslated labels on the Uyghur page: {chinese}"
    options = re.findall(r"<option\b[^>]*>([^<]*)</option>", html)
    assert options and not [o for o in options if CJK.search(o) and o != "中文"], options


def test_uyghur_genitive_is_written_onto_the_value(in_uyghur):
    # "{no} نىڭ بېجىرىش مۆھلىتى تەڭشەلدى" and the like: نىڭ joins the value, after a hyphen for a number
    assert i18n.gettext(
        "已载入“{name}”统一答复口径（第{v}版），请按实际核实情况修改后发送；答复以您的名义发出",
        name="قائىدىگە خىلاپ ھەق ئېلىش",
        v=2,
    ).startswith("«قائىدىگە خىلاپ ھەق ئېلىش»نىڭ")
    text = i18n.gettext(
        "工作日历只知道 {date} 之前的工作日（还剩 {days} 天）。"
        "请在此之前录入 {year} 年的节假日和调休安排（国务院办公厅通知及自治区通知），"
        "否则之后的办理期限只能估算。",
        date="2027-01-01",
        days=30,
        year=2027,
    )
    assert "2027-01-01-نىڭ ئالدىدىكى" in text and " نىڭ" not in text
