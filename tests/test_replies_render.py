"""Standard replies (统一答复口径): the shipped templates, the variable contract and the sandbox."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from complaints.replies import (
    OUTCOMES,
    REPLY_VARIABLES,
    SAMPLE_VARIABLES,
    MissingVariable,
    TemplateMissing,
    TemplateProblem,
    UnsafeTemplate,
    available_locales,
    check_all,
    check_source,
    prompts_in,
    render,
)
from complaints.replies.render import MAX_OUTPUT_CHARS, TEMPLATE_ROOT, _context, _environment, _resolve, _run

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = [c["code"] for c in tomllib.loads((ROOT / "config.toml").read_text("utf-8"))["categories"]]
UG_CATEGORIES = CATEGORIES
ARABIC = re.compile(r"[\u0600-\u06FF]")
REVIEW_ZH = "如对本处理意见不服，可自收到本意见书之日起30日内向"
REVIEW_UG = "قايتا تەكشۈرۈش ئىلتىماسى"
# 文号 each category's policy basis must cite (None: cites statutes or general policy only).
WENHAO = {
    "zone": "教基一〔2014〕1号",
    "unified_policy": "新教函〔2024〕182号",
    "special_groups": "新教规〔2020〕2号",
    "training_exams": "新教厅办〔2023〕6号",
    "fees": "新教规〔2020〕2号",
    "recruiting": "教基一〔2014〕1号",
    "selection_tests": "教基一〔2014〕1号",
    "key_classes": "教基一〔2014〕1号",
    "school_choice": "新教厅办〔2023〕6号",
    "disclosure": "新教厅办〔2023〕6号",
    "hotline": "新教函〔2024〕182号",
    "platform": "新教厅办〔2023〕6号",
    "privacy": None,
    "fraud": None,
    "dropout": None,
    "migrant": "新教厅办〔2023〕6号",
    "disability": None,
    "vulnerable": None,
    "consultation": "新教规〔2020〕2号",
    "other": "新教厅办〔2023〕6号",
}
STATUTE = {
    "privacy": "《中华人民共和国个人信息保护法》",
    "fraud": "《中华人民共和国反电信网络诈骗法》",
    "dropout": "《中华人民共和国义务教育法》第五条",
    "disability": "《残疾人教育条例》",
    "vulnerable": "《中华人民共和国未成年人保护法》",
    "key_classes": "第二十二条",
    "fees": "第二条",
}
VERDICT_ZH = {"support": "予以支持", "explain": "解释说明", "reject": "不予支持"}
VERDICT_UG = {"support": "قوللايمىز", "explain": "چۈشەندۈرۈش بەردۇق", "reject": "قوللىمايمىز"}


def sample(**changes) -> dict:
    return {**SAMPLE_VARIABLES, **changes}


def test_every_category_has_a_chinese_template_and_nothing_else_is_shipped():
    assert len(CATEGORIES) == 20
    shipped = {p.stem for p in (TEMPLATE_ROOT / "zh_Hans").glob("*.j2") if not p.stem.startswith("_")}
    assert shipped == set(CATEGORIES)
    assert set(WENHAO) == set(CATEGORIES)


@pytest.mark.parametrize("is_xinfang", [False, True])
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("category", CATEGORIES)
def test_chinese_reply_has_the_fixed_structure(category, outcome, is_xinfang):
    text = render(category=category, locale="zh_Hans_CN", variables=sample(outcome=outcome, is_xinfang=is_xinfang))
    assert text.startswith("信访事项处理意见书\nAKT-2026-0012\n") == is_xinfang
    assert "尊敬的张先生：\n　　您好！您于2026年5月28日通过12345政务服务便民热线反映的" in text
    assert "问题已收悉" in text if is_xinfang else "问题（编号：AKT-2026-0012）已收悉" in text
    assert "您的诉求是：希望了解孩子今年秋季入学的对口学校。" in text
    for heading in ("一、政策依据", "二、调查核实情况", "三、处理意见", "四、下一步工作"):
        assert f"\n　　{heading}\n" in text
    policy = text.split("一、政策依据")[1].split("二、调查核实情况")[0]
    assert "《" in policy and len(policy) > 60
    if WENHAO[category]:
        assert WENHAO[category] in policy
    if category in STATUTE:
        assert STATUTE[category] in policy
    assert SAMPLE_VARIABLES["verified_facts"] in text
    conclusion = text.split("三、处理意见")[1].split("四、下一步工作")[0]
    assert VERDICT_ZH[outcome] in conclusion
    assert [v for v in VERDICT_ZH.values() if v in conclusion.split("综上")[-1]] == [VERDICT_ZH[outcome]]
    assert "承办人王老师已通过电话与您沟通，向您详细解释了相关政策，您表示理解。" in text
    assert "招生咨询电话0908-5727021" in text
    assert (REVIEW_ZH + "原办理机关的上一级机关书面提出复查申请。" in text) == is_xinfang
    assert text.endswith("承办人：王老师\n阿克陶县教育局\n2026年6月3日")
    assert "{{" not in text and "{%" not in text and "None" not in text and "\n\n\n" not in text


def test_plain_greeting_and_optional_pieces_left_out():
    text = render(
        category="fees",
        locale="zh_Hans",
        variables=sample(salutation="", tracking_no="", school="", handler_name="", outcome="reject"),
    )
    assert text.startswith("　　您好！您于2026年5月28日通过12345政务服务便民热线反映的收费问题已收悉。")
    assert "尊敬的" not in text and "编号" not in text and "承办人" not in text
    assert "未发现该校收取或变相收取" in text
    assert "我单位工作人员已通过电话与您沟通" in text
    assert text.endswith("感谢您对义务教育招生入学工作的关心和支持！\n\n阿克陶县教育局\n2026年6月3日")


def test_handler_text_overrides_standard_next_steps_and_review_unit():
    text = render(
        category="zone",
        locale="zh_Hans",
        variables=sample(
            next_steps="我局将于6月10日前书面告知您调整结果。",
            is_xinfang=True,
            review_unit="阿克陶县人民政府",
            review_deadline_days=30,
            received_date=dt.datetime(2026, 5, 1, 9, 30),
        ),
    )
    assert "四、下一步工作\n　　我局将于6月10日前书面告知您调整结果。\n" in text
    assert "继续通过官方网站" not in text
    assert REVIEW_ZH + "阿克陶县人民政府书面提出复查申请。" in text
    assert "您于2026年5月1日通过" in text


def test_consultation_instant_answer_needs_only_a_short_answer():
    variables = {
        k: SAMPLE_VARIABLES[k]
        for k in ("received_date", "channel", "summary", "unit_name", "unit_hotline", "reply_date")
    }
    text = render(
        category="consultation",
        locale="zh_Hans",
        variables={
            **variables,
            "instant": True,
            "answer": "今年小学一年级报名时间为6月10日至6月20日，请登录招生平台报名。",
        },
    )
    assert text == (
        "　　您好！您于2026年5月28日通过12345政务服务便民热线咨询的义务教育招生入学政策问题，现答复如下：\n"
        "　　您咨询的问题是：希望了解孩子今年秋季入学的对口学校。\n"
        "　　今年小学一年级报名时间为6月10日至6月20日，请登录招生平台报名。\n"
        "　　如仍有疑问，请拨打阿克陶县教育局招生咨询电话0908-5727021。感谢您对义务教育招生入学工作的关心和支持！\n"
        "\n阿克陶县教育局\n2026年6月3日"
    )
    # without an answer the handler is shown where to write it, and the reply cannot be sent like that
    unanswered = render(category="consultation", locale="zh_Hans", variables={**variables, "instant": True})
    assert "　　【请填写答复要点】\n" in unanswered and prompts_in(unanswered) == ["请填写答复要点"]


@pytest.mark.parametrize("is_xinfang", [False, True])
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("category", UG_CATEGORIES)
def test_uyghur_reply(category, outcome, is_xinfang):
    text = render(
        category=category,
        locale="ug",
        variables=sample(
            outcome=outcome,
            is_xinfang=is_xinfang,
            salutation="ئابدۇللا ئەپەندى",
            unit_name="ئاقتو ناھىيىلىك مائارىپ ئىدارىسى",
            channel="12345 تېلېفونى",
            summary="بالامنىڭ قايسى مەكتەپكە كىرىدىغانلىقىنى بىلمەكچىمەن",
            verified_facts="ئىدارىمىز مەكتەپ بىلەن بىرلىكتە نەق مەيداندا تەكشۈردى.",
            callback_note="مۇناسىۋەتلىك سىياسەتنى تەپسىلىي چۈشەندۈردى",
            handler_name="ۋاڭ مۇئەللىم",
            school="ئاقتو ناھىيەلىك 2-باشلانغۇچ مەكتەپ",
        ),
    )
    assert len(ARABIC.findall(text)) > 300
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"[（(][^）)]*号[）)]", "", text))  # only 文号 stay Chinese
    assert text.startswith("ئەرز-شىكايەت ئىشىنى بىر تەرەپ قىلىش پىكىرنامىسى") == is_xinfang
    assert "ھۆرمەتلىك ئابدۇللا ئەپەندى:\nياخشىمۇسىز! سىز 2026-يىلى 28-ماي كۈنى 12345 تېلېفونى ئارقىلىق" in text
    assert "تاپشۇرۇۋالدۇق" in text
    assert WENHAO[category] is None or WENHAO[category] in text
    assert VERDICT_UG[outcome] in text.split("ئۈچىنچى،")[1].split("تۆتىنچى،")[0]
    assert "0908-5727021" in text
    assert (REVIEW_UG in text) == is_xinfang
    assert text.endswith("ئاقتو ناھىيىلىك مائارىپ ئىدارىسى\n3-ئىيۇن، 2026")
    assert "ئاقتو ناھىيىلىك مائارىپ ئىدارىسىنىڭ ئوقۇغۇچى قوبۇل قىلىش مەسلىھەت تېلېفونىغا" in text


def test_uyghur_instant_consultation():
    answer = "6-ئاينىڭ 10-كۈنىدىن باشلاپ تىزىملىتىڭ."
    text = render(category="consultation", locale="ug_CN", variables=sample(instant=True, answer=answer))
    assert "6-ئاينىڭ 10-كۈنىدىن باشلاپ تىزىملىتىڭ." in text and "سىياسەت ئاساسى" not in text
    assert text.endswith("3-ئىيۇن، 2026")


def test_locales_and_missing_templates():
    assert available_locales("zone") == available_locales("fees") == ["ug", "zh_Hans"]
    assert available_locales("hotline") == ["ug", "zh_Hans"]
    assert available_locales("_base") == available_locales("../zone") == available_locales("nope") == []
    assert render(category="zone", locale="zh", variables=sample()) == render(
        category="zone", locale="zh-CN", variables=sample()
    )
    for category, locale in [
        ("nope", "ug"),
        ("zone", "ky"),
        ("zone", "en"),
        ("zone", "zh_Hant"),
        ("nope", "zh_Hans"),
        ("_base", "zh_Hans"),
        ("../zh_Hans/zone", "zh_Hans"),
        ("zone", "../../etc"),
    ]:
        with pytest.raises(TemplateMissing):
            render(category=category, locale=locale, variables=sample())


def test_variables_are_checked():
    with pytest.raises(MissingVariable, match="summary") as caught:
        render(category="zone", locale="zh_Hans", variables={k: v for k, v in sample().items() if k != "summary"})
    assert caught.value.name == "summary"
    with pytest.raises(MissingVariable, match="unit_hotline"):
        render(category="zone", locale="zh_Hans", variables=sample(unit_hotline=None))
    with pytest.raises(TemplateProblem, match="unknown variable 'config'"):
        render(category="zone", locale="zh_Hans", variables=sample(config="x"))
    with pytest.raises(TemplateProblem, match="received_date' must be date, not str"):
        render(category="zone", locale="zh_Hans", variables=sample(received_date="2026-05-28"))
    with pytest.raises(TemplateProblem, match="outcome must be one of"):
        render(category="zone", locale="zh_Hans", variables=sample(outcome="maybe"))
    with pytest.raises(TemplateProblem, match="review_deadline_days' must be int, not bool"):
        render(category="zone", locale="zh_Hans", variables=sample(review_deadline_days=True))
    with pytest.raises(TemplateProblem, match="summary' must be str, not dict"):
        render(category="zone", locale="zh_Hans", variables=sample(summary={"a": 1}))
    assert "school" in REPLY_VARIABLES and set(SAMPLE_VARIABLES) == set(REPLY_VARIABLES)


def test_shipped_templates_have_no_problems():
    result = check_all()
    assert result == {key: [] for key in result}
    assert {k for k in result if k.startswith("ug/")} == {f"ug/{c}.j2" for c in UG_CATEGORIES} | {
        "ug/_base.j2",
        "ug/_macros.j2",
    }
    assert len(result) == 20 + 2 + 20 + 2


def test_supervisor_version_extending_the_base():
    shipped = (TEMPLATE_ROOT / "zh_Hans" / "zone.j2").read_text("utf-8")
    source = shipped.replace("招生期间不对个别地址作单独调整", "本年度招生范围保持不变")
    assert check_source(source, locale="zh_Hans") == []
    text = render(category="zone", locale="zh_Hans_CN", variables=sample(), source=source)
    assert "本年度招生范围保持不变" in text and "教基一〔2014〕1号" in text
    assert render(category="zone", locale="zh_Hans", variables=sample(), source=shipped) == render(
        category="zone", locale="zh_Hans", variables=sample()
    )
    small = (
        '{% import "_macros.j2" as m %}{{ m.enrolment_documents() }}\n'
        "{{ unit_name }}\n{{ reply_date|date }} {{ 1234567|number }}"
    )
    assert render(category="x", locale="zh_Hans", variables=sample(), source=small).endswith("2026年6月3日 1,234,567")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% if outcome %}{{ unit_name }}", "syntax error"),
        ("{{ unit_name }} {{ reply_date|date }} {{ complainant_phone }}", "undeclared variable 'complainant_phone'"),
        ("{{ unit_name }} {{ reply_date|frobnicate }}", "No filter named 'frobnicate'"),
        ("{{ verified_facts }}", "must show the unit name"),
        ("{{ unit_name }}", "must show the unit name"),
        ("{% include 'missing.j2' %}{{ unit_name }}{{ reply_date|date }}", "unknown template 'missing.j2'"),
        ("{{ unit_name }}{{ reply_date|date }}{{ received_date - 1 }}", "trial render"),
        ("x" * 20_001, "the limit is 20,000"),
    ],
)
def test_broken_templates_are_reported(source, expected):
    problems = check_source(source, locale="zh_Hans")
    assert any(expected in p for p in problems), problems
    with pytest.raises(TemplateProblem) as caught:
        render(category="zone", locale="zh_Hans", variables=sample(), source=source)
    assert caught.value.problems == problems


# Each hostile source: what check_source / render(source=...) reports, and what the runtime sandbox does
# when the static check is bypassed (a compiled template run directly).
HOSTILE = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "private attribute '__class__'", SecurityError),
    ("{{ cycler.__init__.__globals__ }}", "undeclared variable 'cycler'", SecurityError),
    ("{{ self._TemplateReference__context }}", "private attribute '_TemplateReference__context'", SecurityError),
    ("{% include '/etc/passwd' %}", "unknown template '/etc/passwd'", "template not found"),
    (
        "{% import '../../complaints/settings.py' as x %}",
        "unknown template '../../complaints/settings.py'",
        "template not found",
    ),
    ("{{ range(10**9)|list }}", "range() is limited to 10,000 items", SecurityError),
    ("{{ 'x' * 10**9 }}", "repetition would exceed 100,000 characters", SecurityError),
    ("{{ config }}", "undeclared variable 'config'", "missing variable 'config'"),
    ("{{ received_date.__class__ }}", "private attribute '__class__'", SecurityError),
    ("{{ received_date['__cla' ~ 'ss__'] }}", "private attribute '__class__'", SecurityError),  # folded
    ("{% set k = summary|replace(summary, '__class__') %}{{ received_date[k] }}", "trial render", SecurityError),
    (
        "{{ received_date.replace(year=1) }}",
        "calling 'builtin_function_or_method' objects is not allowed",
        SecurityError,
    ),
    ("{{ summary.format(x=1) }}", "is not allowed", SecurityError),
    ("{{ '%999999999s' % 1 }}", "'%' string formatting is not allowed", SecurityError),
    ("{{ 10 ** 100000 }}", "number too large", SecurityError),
    ("{{ lipsum(10**6) }}{{ namespace() }}", "undeclared variable 'lipsum'", SecurityError),
    ("{{ 'x'|center(10**9) }}", "No filter named 'center'", None),
    ("{{ ('x' * 50000)|replace('x', 'yyy') }}", "replace(): result too large", SecurityError),
    # 10^8 steps: refused by the step meter, or by the clock first when the machine is busy
    (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        ("too much work", "took too long"),
        SecurityError,
    ),
    (
        "{% for i in range(10000) %}0123456789ABCDEF{% endfor %}",
        "longer than 100,000 characters",
        "longer than 100,000",
    ),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recursion", "recursion"),
    ("{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}", "value too large", SecurityError),
]


@pytest.mark.parametrize(("source", "reported", "runtime"), HOSTILE)
def test_sandbox_escapes_are_refused(source, reported, runtime):
    with pytest.raises(TemplateProblem) as caught:
        render(category="zone", locale="zh_Hans", variables=sample(), source=source)
    reasons = reported if isinstance(reported, tuple) else (reported,)
    assert any(reason in str(caught.value) for reason in reasons), caught.value.problems
    if runtime is None:
        return
    folder, locale = _resolve("zh_Hans", None)
    template = _environment(str(folder), locale).from_string(source)
    with pytest.raises(TemplateProblem) as caught:
        _run(template, _context(sample()))
    if runtime is SecurityError:
        assert isinstance(caught.value, UnsafeTemplate)
        assert isinstance(caught.value.__cause__, SecurityError), caught.value.__cause__
    else:
        assert runtime in str(caught.value)


def test_harmless_attribute_access_renders_plain_values():
    source = "{{ unit_name }} {{ reply_date|date }} {{ received_date.year }} {{ received_date|string }}"
    assert (
        render(category="zone", locale="zh_Hans", variables=sample(), source=source)
        == "阿克陶县教育局 2026年6月3日 2026 2026-05-28"
    )


def test_output_cap_applies_to_file_templates_too():
    with pytest.raises(UnsafeTemplate, match="value too large"):
        render(category="zone", locale="zh_Hans", variables=sample(verified_facts="说" * (MAX_OUTPUT_CHARS + 1)))
    with pytest.raises(UnsafeTemplate, match="longer than 100,000 characters"):
        render(category="zone", locale="zh_Hans", variables=sample(verified_facts="说" * 60_000, summary="问" * 50_000))


@pytest.mark.parametrize("folder", ["zh_Hans", "ug"])
def test_every_declared_variable_is_used_by_the_shipped_templates(folder):
    from jinja2 import meta

    env = _environment(*map(str, _resolve(folder, None)))
    used = set().union(
        *(
            meta.find_undeclared_variables(env.parse(p.read_text("utf-8")))
            for p in (TEMPLATE_ROOT / folder).glob("*.j2")
        )
    )
    assert set(REPLY_VARIABLES) <= used
