"""Realistic demo data: people in every unit and a few hundred items of the last three months.

Each item goes as far through its handling as its age allows. Everything people do happens in office
hours on working days (no work on public holidays or weekends, 调休 days worked); replies, 办理情况 and
处理结果 follow the item's category and outcome (see ``demo_text``); the callback is made by the unit's
operator, and an unhappy one goes to the supervisor, who sends it back, closes it with a reason or asks
the prefecture to decide.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from complaints.clock import to_local, utcnow
from complaints.demo_text import CLOSE_REASONS, CLOSINGS, EXTENSION, OPENINGS, REDO, SEND_BACK, TOPICS, VERIFIED
from complaints.errors import DomainError
from complaints.models import Complaint, User
from complaints.runtime import Runtime
from complaints.services import deadlines, registration
from complaints.services.people import add_user
from complaints.services.transitions import act
from workflows.deadlines import Limit
from workflows.vocab import Status

SCHOOLS = {
    "KZ": ["克州第一中学", "克州实验小学", "克州第二中学"],
    "ATS": ["阿图什市第一小学", "阿图什市第三中学", "阿图什市幸福路小学", "阿图什市第五小学"],
    "AKT": ["阿克陶县第一小学", "阿克陶县第二中学", "阿克陶县实验学校"],
    "WQ": ["乌恰县第一小学", "乌恰县中学"],
    "AHQ": ["阿合奇县第一小学", "阿合奇县中学"],
}
ESTATES = ["阳光花园", "幸福家园", "天山名苑", "帕米尔小区", "昆仑佳苑", "丝路新城"]
SURNAMES = "王李张刘陈杨赵黄周吴买热阿吐艾努"
GIVEN = ["建国", "丽", "军", "芳", "古丽", "江", "热娜", "明", "伟", "敏"]
OUTCOMES = ("support", "explain", "reject")
# how the complainant takes each outcome: (satisfied, basically, dissatisfied) and the chance of "resolved"
TAKEN = {
    "support": ((0.8, 0.15, 0.05), 0.95),
    "explain": ((0.55, 0.3, 0.15), 0.75),
    "reject": ((0.35, 0.3, 0.35), 0.45),
}
COMMENTS = {
    "satisfied": ("诉求人对处理结果表示满意", "诉求人表示问题已解决，感谢"),
    "basically": ("诉求人表示基本满意，希望以后加快办理", "诉求人基本认可，但认为答复较晚"),
    "dissatisfied": ("诉求人认为问题仍未解决", "诉求人不认可核查结论，要求重新调查"),
    "unreachable": ("三次拨打电话均无人接听", "电话已停机，无法联系"),
}


def _people(session: Session, runtime: Runtime, password: str) -> dict[str, dict[str, list[User]]]:
    staff: dict[str, dict[str, list[User]]] = {}
    for unit in runtime.settings.units:
        code = unit.code.lower()
        roster = {
            "operator": [(f"{code}_op", "接线员")],
            "handler": [(f"{code}_h{i}", n) for i, n in enumerate(["李承办", "王承办", "阿依承办"], 1)],
            "supervisor": [(f"{code}_sup", "张科长")],
        }
        staff[unit.code] = {}
        for role, members in roster.items():
            staff[unit.code][role] = []
            for username, name in members:
                user = session.exec(select(User).where(User.username == username)).first() or add_user(
                    session=session,
                    settings=runtime.settings,
                    actor=None,
                    username=username,
                    name=f"{name}（{unit.name[:3]}）",
                    unit_code=unit.code,
                    roles=[role],
                    password=password,
                    phone=f"0908-76{random.randint(10000, 99999)}",
                )
                staff[unit.code][role].append(user)
    return staff


def load_demo(
    *,
    session: Session,
    runtime: Runtime,
    items: int = 400,
    seed: int = 2026,
    password: str = "demo-pass-2026",
    now: datetime | None = None,
) -> str:
    """Create the demo people and `items` items in varied states; returns a one-line summary."""
    rng = random.Random(seed)
    random.seed(seed)
    now = now or utcnow()
    staff = _people(session, runtime, password)
    existing = session.exec(select(Complaint).where(Complaint.source == "demo")).first()
    if existing:
        return "演示数据已存在，未重复载入"
    prefecture = staff[runtime.settings.app.prefecture_unit]["supervisor"][0]
    categories = [c for c in TOPICS if c in runtime.settings.category_map]
    created = 0
    for index in range(items):
        unit = rng.choice(runtime.settings.units).code
        item = _Item(
            session=session,
            runtime=runtime,
            rng=rng,
            staff=staff[unit],
            prefecture=prefecture,
            now=now,
            unit=unit,
            category=rng.choice(categories),
            index=index,
        )
        try:
            item.handle()
            created += 1
        except DomainError:
            continue  # a random path the rules refuse (e.g. an extension cap): the item stays where it got to
    return f"已载入演示数据：{created} 件诉求，{sum(len(r) for s in staff.values() for r in s.values())} 名人员"


@dataclass
class _Item:
    """One demo item on its way through the lifecycle, on the office clock."""

    session: Session
    runtime: Runtime
    rng: random.Random
    staff: dict[str, list[User]]
    prefecture: User
    now: datetime
    unit: str
    category: str
    index: int
    item: Complaint = field(init=False)  # set by register()
    clock: datetime = field(init=False)  # set when the item's story starts
    words: dict = field(default_factory=dict)

    def later(self, low: float, high: float) -> bool:
        """Move the clock on by some office hours; False once that is past now (the item stops there)."""
        hours = self.runtime.clock.office_hours
        self.clock = hours.add_office_hours(
            to_local(self.clock, self.runtime.settings.app.timezone), self.rng.uniform(low, high)
        )
        return self.clock <= self.now

    def fire(self, who: User, action: str, payload: dict | None = None) -> None:
        act(
            session=self.session,
            runtime=self.runtime,
            actor=who,
            item=self.item,
            action=action,
            payload=payload or {},
            now=self.clock,
        )

    @property
    def topic(self):
        return TOPICS[self.category]

    def handle(self) -> None:
        self.clock = self.now - timedelta(days=self.rng.uniform(0, 90))
        if not self.later(0.05, 3):
            return
        self.register()
        operator, supervisor = self.staff["operator"][0], self.staff["supervisor"][0]
        if self.item.kind == "question" and self.rng.random() < 0.6:
            finding = self.topic.explain[0].format(**self.words)
            self.fire(operator, "answer_now", {"text": f"您好！{finding}。如需了解更多，可拨打招生咨询电话。"})
            return
        handler = self.rng.choice(self.staff["handler"])
        age_days = (self.now - self.clock).days
        if not self.later(0.2, 3):
            return
        self.fire(supervisor, "dispatch", {"handler_id": handler.id})
        if age_days > 15 and self.rng.random() < 0.06:
            return  # never accepted: overdue
        if self.rng.random() < 0.03 and self.later(0.5, 4):
            self.fire(handler, "send_back", {"reason": "wrong_unit", "note": self.rng.choice(SEND_BACK)})
            return
        if not self.later(0.3, 14 if self.rng.random() < 0.1 else 5):  # some are contacted late
            return
        self.fire(handler, "accept", {"note": "已电话联系诉求人，了解具体情况"})
        self.work(handler, supervisor, age_days)

    def work(self, handler: User, supervisor: User, age_days: int) -> None:
        roll = self.rng.random()
        if age_days > 15 and roll < 0.12:
            if roll < 0.04 and self.later(4, 16):
                self.fire(supervisor, "supervise", {"note": "请抓紧办理，按时答复"})
            return  # left open: overdue
        if roll < 0.2 and self.later(2, 10):
            cap = deadlines.profile_of(self.item, self.runtime).extension_cap  # within what the profile allows
            amount = Limit(min(cap.amount, 3 if cap.unit == "workdays" else 15), cap.unit)
            self.fire(handler, "request_extension", {"amount": str(amount), "note": self.rng.choice(EXTENSION)})
            if age_days < 10 or not self.later(1, 6):
                return  # waiting for the supervisor's decision
            self.fire(supervisor, "approve_extension", {"note": "同意延期，请按期答复"})
        outcome = self.rng.choices(OUTCOMES, weights=self.topic.outcomes)[0]
        if not self.later(4, 30 if self.rng.random() < 0.9 else 60):
            return
        self.send(handler, supervisor, self.reply(outcome))
        if self.callback(outcome):
            if self.later(0.5, 8):
                self.fire(handler, "close", {})
            return
        self.decide(handler, supervisor)

    def send(self, handler: User, supervisor: User, reply: dict) -> None:
        """The reply; a formal 信访 reply leaves only after the supervisor's 审签 (a few still wait for it)."""
        if self.item.track != "xinfang":
            self.fire(handler, "reply", reply)
            return
        self.fire(handler, "submit_reply", reply)
        if self.later(0.5, 4):
            self.fire(supervisor, "approve_reply", {"note": "同意"})

    def callback(self, outcome: str) -> bool:
        """The operator calls back; True when the handler may close."""
        if not self.later(2, 16):
            return False
        weights, resolved = TAKEN[outcome]
        satisfaction = (
            "unreachable"
            if self.rng.random() < 0.04
            else self.rng.choices(("satisfied", "basically", "dissatisfied"), weights=weights)[0]
        )
        solved = satisfaction != "dissatisfied" and self.rng.random() < resolved
        self.fire(
            self.staff["operator"][0],
            "callback",
            {"resolved": solved, "satisfaction": satisfaction, "note": self.rng.choice(COMMENTS[satisfaction])},
        )
        return satisfaction == "unreachable" or (solved and satisfaction != "dissatisfied")

    def decide(self, handler: User, supervisor: User) -> None:
        """After 不满意 or 未解决: 退回重办, 说明理由办结, or 提请州局决定."""
        if self.item.status != Status.VISITED or not self.later(1, 8):
            return
        roll = self.rng.random()
        if roll < 0.55:
            self.fire(supervisor, "redo", {"note": self.rng.choice(REDO)})
            if self.later(4, 20):
                self.send(handler, supervisor, self.reply("support" if self.rng.random() < 0.6 else "explain"))
                if self.callback("support") and self.later(0.5, 6):
                    self.fire(handler, "close", {})
            return
        reason, note = self.rng.choice(CLOSE_REASONS)
        decider = supervisor
        if roll > 0.9 and self.unit != self.runtime.settings.app.prefecture_unit:
            self.fire(supervisor, "escalate", {"note": "诉求人坚持要求，县级无法解决，提请州局决定"})
            if not self.later(4, 16):
                return
            decider = self.prefecture
        self.fire(decider, "close_with_reason", {"reason": reason, "note": note})

    def register(self) -> None:
        rng, unit = self.rng, self.unit
        school = rng.choice(SCHOOLS.get(unit, ["某学校"]))
        self.words = {
            "school": school,
            "estate": rng.choice(ESTATES),
            "fee": rng.choice([300, 500, 800, 2000, 5000]),
            "count": rng.randint(2, 9),
            "years": rng.choice([2, 3, 5]),
        }
        summary = rng.choice(self.topic.summaries).format(**self.words)
        kind = (
            "question" if self.category == "consultation" else rng.choice(["complaint", "complaint", "report", "help"])
        )
        anonymous = rng.random() < 0.1
        surname = rng.choice(SURNAMES)
        data = {
            "channel": rng.choice(["call"] * 6 + ["letter", "visit", "platform", "web", "referral"]),
            "kind": kind,
            "unit_code": unit,
            "category": self.category,
            "summary": summary,
            "details": f"{summary}。诉求人希望尽快核实处理并答复。",
            "school": school,
            "received_at": self.clock,
            "complainant_name": None if anonymous else surname + rng.choice(GIVEN),
            "complainant_phone": None if anonymous else f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            "anonymous": anonymous,
            "urgency": "urgent" if rng.random() < 0.05 else "normal",
            "source": "demo",
            "external_ref": f"demo-{self.index}",
        }
        self.words["surname"] = surname
        self.item = registration.register(
            session=self.session, runtime=self.runtime, actor=self.staff["operator"][0], data=data, now=self.clock
        )

    def reply(self, outcome: str) -> dict:
        """A reply in the bureau's shape, its 办理情况 and 处理结果, for this category and outcome."""
        rng, words = self.rng, self.words
        finding, result = getattr(self.topic, outcome)
        check = rng.choice(self.topic.checks).format(**words)
        unit = self.runtime.settings.unit_map[self.unit]
        day = to_local(self.clock, self.runtime.settings.app.timezone)
        text = "".join(
            (
                rng.choice(OPENINGS).format(summary=_quoted(self.item.summary), surname=words["surname"]),
                rng.choice(VERIFIED).format(check=check, day=f"{day.month}月{day.day}日"),
                "经核实，",
                finding.format(**words),
                "。",
                rng.choice(CLOSINGS[outcome]).format(hotline=unit.hotline),
                f"\n{unit.name}\n{day.year}年{day.month}月{day.day}日",
            )
        )
        return {"text": text, "outcome": outcome, "handling_notes": check, "result_text": result.format(**words)}


def _quoted(summary: str) -> str:
    """A summary inside “…”: without its leading 反映, its own quotes made inner ones (‘…’)."""
    return summary.removeprefix("反映").replace("“", "‘").replace("”", "’")
