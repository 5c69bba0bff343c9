"""Realistic demo data: people in every unit and a few hundred items of the last three months."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, select

from complaints.clock import utcnow
from complaints.errors import DomainError
from complaints.models import Complaint, User
from complaints.runtime import Runtime
from complaints.services import complaints as service
from complaints.services.people import add_user
from complaints.services.transitions import act

SCHOOLS = {
    "KZ": ["克州第一中学", "克州实验小学", "克州第二中学"],
    "ATS": ["阿图什市第一小学", "阿图什市第三中学", "阿图什市幸福路小学", "阿图什市第五小学"],
    "AKT": ["阿克陶县第一小学", "阿克陶县第二中学", "阿克陶县实验学校"],
    "WQ": ["乌恰县第一小学", "乌恰县中学"],
    "AHQ": ["阿合奇县第一小学", "阿合奇县中学"],
}
ESTATES = ["阳光花园", "幸福家园", "天山名苑", "帕米尔小区", "昆仑佳苑", "丝路新城"]
SUMMARIES = {
    "zone": ["{estate}新建小区对口学校未公布，家长不知道孩子该去哪所学校报名",
             "对{school}划片招生范围有异议，认为划片不合理、离家太远"],
    "fees": ["反映{school}入学时要求缴纳“共建费”2000元", "{school}以捐资助学名义收取择校费"],
    "recruiting": ["{school}向家长发放录取承诺书，承诺奖励现金招揽生源"],
    "selection_tests": ["{school}组织入学测试面试选拔学生", "反映{school}联合培训机构进行掐尖考试"],
    "key_classes": ["{school}按成绩分设重点班、快慢班"],
    "school_choice": ["反映{school}存在托关系择校、暗箱操作现象"],
    "training_exams": ["{school}要求提供竞赛获奖证书、考级证书作为入学依据"],
    "disclosure": ["{school}未公示入学新生名单", "招生政策和划片范围未在网上公布"],
    "hotline": ["招生咨询电话一直打不通，没人接听"],
    "platform": ["网上报名系统无法上传居住证材料", "房产证明审核未通过，平台未说明原因"],
    "privacy": ["{school}要求家长通过多个小程序反复填报学生信息"],
    "fraud": ["有中介声称交钱可保证录取{school}，疑似诈骗"],
    "dropout": ["邻居家孩子初二辍学在家，希望劝返复学"],
    "migrant": ["进城务工人员随迁子女入学需要哪些材料，证明材料太多"],
    "disability": ["孩子轻度自闭症，希望在{school}随班就读被拒"],
    "vulnerable": ["孤儿入学需要办理哪些手续，生活困难能否减免费用"],
    "special_groups": ["现役军人子女入学优待政策如何办理"],
    "unified_policy": ["州直学校是否纳入属地统一招生"],
    "consultation": ["请问今年一年级网上报名什么时候开始", "小升初需要准备哪些材料"],
    "other": ["反映学校周边交通拥堵，接送孩子不安全"],
}
SURNAMES = "王李张刘陈杨赵黄周吴买热阿吐艾努"
GIVEN = ["建国", "丽", "军", "芳", "古丽", "江", "热娜", "明", "伟", "敏"]
OUTCOMES = ["support", "explain", "explain", "reject"]


def _people(session: Session, runtime: Runtime, password: str) -> dict[str, dict[str, list[User]]]:
    staff: dict[str, dict[str, list[User]]] = {}
    for unit in runtime.settings.units:
        code = unit.code.lower()
        roster = {"operator": [(f"{code}_op", "接线员")],
                  "handler": [(f"{code}_h{i}", n) for i, n in enumerate(["李承办", "王承办", "阿依承办"], 1)],
                  "supervisor": [(f"{code}_sup", "张科长")]}
        staff[unit.code] = {}
        for role, members in roster.items():
            staff[unit.code][role] = []
            for username, name in members:
                user = session.exec(select(User).where(User.username == username)).first() or add_user(
                    session=session, settings=runtime.settings, actor=None, username=username,
                    name=f"{name}（{unit.name[:3]}）", unit_code=unit.code, roles=[role], password=password,
                    phone=f"0908-76{random.randint(10000, 99999)}")
                staff[unit.code][role].append(user)
    return staff


def load_demo(*, session: Session, runtime: Runtime, items: int = 400, seed: int = 2026,
              password: str = "demo-pass-2026", now: datetime | None = None) -> str:
    """Create the demo people and `items` items in varied states; returns a one-line summary."""
    rng = random.Random(seed)
    random.seed(seed)
    now = now or utcnow()
    staff = _people(session, runtime, password)
    existing = session.exec(select(Complaint).where(Complaint.source == "demo")).first()
    if existing:
        return "演示数据已存在，未重复载入"
    created = 0
    for index in range(items):
        unit = rng.choice(runtime.settings.units).code
        category = rng.choice(list(SUMMARIES))
        received = now - timedelta(days=rng.uniform(0, 90), hours=rng.uniform(0, 8))
        try:
            _one(session, runtime, rng, staff[unit], unit, category, received, now, index)
            created += 1
        except DomainError:
            continue  # a random path the rules refuse (e.g. an extension cap): skip it
    return f"已载入演示数据：{created} 件诉求，{sum(len(r) for s in staff.values() for r in s.values())} 名人员"


def _one(session, runtime, rng, staff, unit, category, received, now, index) -> None:
    school = rng.choice(SCHOOLS.get(unit, ["某学校"]))
    summary = rng.choice(SUMMARIES[category]).format(school=school, estate=rng.choice(ESTATES))
    kind = "question" if category == "consultation" else rng.choice(["complaint", "complaint", "report", "help"])
    channel = rng.choice(["call"] * 6 + ["letter", "visit", "platform", "web"])
    anonymous = rng.random() < 0.1
    data = {"channel": channel, "kind": kind, "unit_code": unit, "category": category, "summary": summary,
            "details": f"{summary}。诉求人希望尽快核实处理并答复。", "school": school, "received_at": received,
            "complainant_name": None if anonymous else rng.choice(SURNAMES) + rng.choice(GIVEN),
            "complainant_phone": None if anonymous else f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            "anonymous": anonymous, "urgency": "urgent" if rng.random() < 0.05 else "normal",
            "source": "demo", "external_ref": f"demo-{index}"}
    operator, supervisor = staff["operator"][0], staff["supervisor"][0]
    at = received + timedelta(minutes=rng.randint(2, 30))
    item = service.register(session=session, runtime=runtime, actor=operator, data=data, now=min(at, now))
    if kind == "question" and rng.random() < 0.6:
        act(session=session, runtime=runtime, actor=operator, item=item, action="answer_now", now=min(at, now),
            payload={"text": "已按招生政策当场答复，诉求人表示清楚。"})
        return
    handler = rng.choice(staff["handler"])
    age_days = (now - received).days
    stages = _stages_for(rng, age_days)
    clock = at
    for stage in stages:
        clock = min(clock + timedelta(hours=rng.uniform(1, 40)), now)
        actor = supervisor if stage in ("dispatch", "supervise") else handler
        payload = _payload(stage, rng, handler, school)
        act(session=session, runtime=runtime, actor=actor, item=item, action=stage, payload=payload, now=clock)


def _stages_for(rng, age_days: int) -> list[str]:
    path = ["dispatch", "accept", "reply", "callback", "close"]
    if age_days < 3:
        return path[: rng.randint(0, 2)]
    if age_days < 15:
        roll = rng.random()
        if roll < 0.06:
            return ["dispatch", "accept", "request_extension"]  # waiting for a supervisor's decision
        if roll < 0.09:
            return ["dispatch", "accept", "send_back"]
        return path[: rng.randint(1, 5)]
    roll = rng.random()
    if roll < 0.12:
        return path[:2]  # left open: overdue
    if roll < 0.18:
        return ["dispatch"]  # never accepted: overdue
    if roll < 0.22:
        return ["dispatch", "accept", "supervise"]
    return path


def _payload(stage: str, rng, handler: User, school: str) -> dict:
    if stage == "dispatch":
        return {"handler_id": handler.id}
    if stage == "accept":
        return {"note": "已电话联系诉求人，了解具体情况"}
    if stage == "reply":
        return {"text": f"经核实，{school}相关情况已调查清楚，已按政策处理并电话告知诉求人。",
                "outcome": rng.choice(OUTCOMES), "handling_notes": f"已到{school}实地核查，约谈学校负责人",
                "result_text": "已责令学校整改，并向诉求人反馈"}
    if stage == "callback":
        return {"resolved": rng.random() < 0.85,
                "satisfaction": rng.choice(["satisfied"] * 6 + ["basically"] * 3 + ["dissatisfied"])}
    if stage == "supervise":
        return {"note": "请抓紧办理，按时答复"}
    if stage == "request_extension":
        return {"amount": "3 workdays", "note": "需要调取学校收费账目，并约谈相关负责人"}
    if stage == "send_back":
        return {"reason": "wrong_unit", "note": "所涉学校不属于本单位管辖，请改派"}
    return {}
