"""The variable contract of standard replies: every name a template may read, their types, defaults and
sample values."""

from __future__ import annotations

import datetime as dt

OUTCOMES = ("support", "explain", "reject")  # 支持 / 解释说明 / 不予支持 (信访工作条例 Art 32)

REPLY_VARIABLES: dict[str, str] = {
    "salutation": "称呼 such as 张先生 / 李女士 (gives 尊敬的张先生：); empty: plain 您好",
    "received_date": "date the item was received (date)",
    "channel": "how it came in, fitting '通过…反映': 12345政务服务便民热线, 信件, 来访, 信访信息系统",
    "tracking_no": "工单/信访件编号; empty: not shown",
    "summary": "the complainant's request (诉求/请求) in one sentence",
    "school": "the school concerned, e.g. 阿克陶县第二小学; empty: none named",
    "verified_facts": "what the handler verified (事实和理由), written by the handler",
    "outcome": "support (支持) / explain (解释说明) / reject (不予支持)",
    "next_steps": "what happens next; empty: the category's standard wording for the outcome",
    "callback_note": "how the phone contact went, e.g. 向您解释了相关政策，您表示理解",
    "unit_name": "承办单位, e.g. 阿克陶县教育局",
    "unit_hotline": "the unit's enquiry number, e.g. 0908-5727021",
    "reply_date": "date of the reply (date)",
    "handler_name": "承办人 (谁承办、谁答复); empty: not named",
    "is_xinfang": "formal 信访: titled 信访事项处理意见书 with the 复查 route (bool)",
    "review_unit": "where a 复查 request goes; empty: 原办理机关的上一级机关",
    "review_deadline_days": "days to ask for 复查 (int, 信访工作条例 Art 35: 30)",
    "is_review": "a 复查 decision: titled 信访事项复查意见书, with the 复核 route instead (bool)",
    "instant": "即时答复: the short on-the-spot form for a 咨询 (bool)",
    "answer": "the short answer of an instant reply; empty: a fill-in prompt",
    "short": "the SMS short form (at most 70 characters): the reply is ready and where to read it (bool)",
    "status_url": "where the complainant reads the reply online (the public status page); empty: not shown",
}

VARIABLE_TYPES: dict[str, type] = {
    "received_date": dt.date,
    "reply_date": dt.date,
    "is_xinfang": bool,
    "instant": bool,
    "review_deadline_days": int,
    "is_review": bool,
    "short": bool,
}  # every other variable is str

REPLY_DEFAULTS: dict[str, object] = {
    "salutation": "",
    "tracking_no": "",
    "school": "",
    "next_steps": "",
    "handler_name": "",
    "is_xinfang": False,
    "review_unit": "",
    "review_deadline_days": 30,
    "instant": False,
    "is_review": False,
    # what the handler writes: left empty, the template shows a fill-in prompt (see marks.py)
    "verified_facts": "",
    "callback_note": "",
    "answer": "",
    "short": False,
    "status_url": "",
}

SAMPLE_VARIABLES: dict[str, object] = {
    "salutation": "张先生",
    "received_date": dt.date(2026, 5, 28),
    "channel": "12345政务服务便民热线",
    "tracking_no": "AKT-2026-0012",
    "summary": "希望了解孩子今年秋季入学的对口学校",
    "school": "阿克陶县第二小学",
    "verified_facts": "经我局基础教育股会同学校现场核实，情况如下……",
    "outcome": "explain",
    "next_steps": "",
    "callback_note": "向您详细解释了相关政策，您表示理解",
    "unit_name": "阿克陶县教育局",
    "unit_hotline": "0908-5727021",
    "reply_date": dt.date(2026, 6, 3),
    "handler_name": "王老师",
    "is_xinfang": False,
    "review_unit": "",
    "review_deadline_days": 30,
    "is_review": False,
    "instant": False,
    "answer": "请于6月10日至6月20日登录招生平台报名。",
    "short": False,
    "status_url": "jy.xjkz.gov.cn/status",
}


def trial_variables() -> list[dict]:
    """Sample variable sets covering every branch: each outcome with and without 信访, a 复查, and instant."""
    trials = [dict(SAMPLE_VARIABLES, outcome=o, is_xinfang=x) for o in OUTCOMES for x in (False, True)]
    return [
        *trials,
        dict(SAMPLE_VARIABLES, is_xinfang=True, is_review=True),
        dict(SAMPLE_VARIABLES, instant=True),
        dict(SAMPLE_VARIABLES, short=True),
        dict(SAMPLE_VARIABLES, short=True, is_xinfang=True),
    ]
