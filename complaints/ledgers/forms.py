"""The three annex forms of the 2024 sunshine-enrolment plan (附件1–3), as data.

Every label, title, heading and 附件1 item below is copied verbatim from the seed plan
(自治州2024年推进义务教育阳光招生专项行动的实施方案), including its wording quirks
(row 17 "自动对比审核", row 26 "公安、民政等部分"): the counties' forms must match the
annex that was sent out, not a corrected version of it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANNEX1_CLOSED_HEADING",
    "ANNEX1_COUNTS_SHEET",
    "ANNEX1_COUNTS_TITLE",
    "ANNEX1_GROUPS",
    "ANNEX1_RECEIVED_HEADING",
    "ANNEX1_ROWS",
    "ANNEX1_TOTAL_LABEL",
    "FORMS",
    "HEADER_TEMPLATE",
    "ChecklistItem",
    "Column",
    "Form",
    "get_form",
    "header_line",
]

#: The line under each title. The seed leaves blanks for the county to fill in by hand.
HEADER_TEMPLATE = "县（市）教育局（签章）：{unit}    填报人：{filler}    联系电话：{phone}"


def header_line(unit: str = "", filler: str = "", phone: str = "") -> str:
    return HEADER_TEMPLATE.format(unit=unit or "", filler=filler or "", phone=phone or "")


@dataclass(frozen=True)
class Column:
    heading: str
    width: float  # Excel character units (one CJK character ≈ 2 units)
    centred: bool = False  # short values (序号, counts) are centred; text is left/top aligned


@dataclass(frozen=True)
class Form:
    annex: int
    label: str
    title: str
    columns: tuple[Column, ...]

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(c.heading for c in self.columns)

    @property
    def widths(self) -> tuple[float, ...]:
        return tuple(c.width for c in self.columns)

    def header_line(self, unit: str = "", filler: str = "", phone: str = "") -> str:
        return header_line(unit, filler, phone)


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    group: str  # 重点任务
    item: str  # 重点任务排查项目


#: 附件1, the five 重点任务 groups and their 排查项目, in the seed's order and wording.
ANNEX1_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "优化招生入学政策措施",
        (
            "学校划片招生范围是否科学合理",
            "新建学校招生范围和新建小区对口学校划分工作机制是否完善",
            "州、县（市）级教育行政部门举办的义务教育学校是否全面纳入属地招生管理、实行统一招生政策",
            "高层次人才等特殊群体子女教育优待政策是否有明确的实施依据、范围、要求和程序",
        ),
    ),
    (
        "严格规范招生行为",
        (
            "是否将社会培训机构自行组织的各类考试结果、培训证书作为招生参考或依据",
            "是否将学科竞赛成绩、考级证明（证书）等作为招生参考或依据",
            "是否收取或变相收取与入学挂钩、关联的“捐资助学款”“共建费”",
            "是否以高额物质奖励、虚假宣传、口头承诺或签订录取承诺书等方式招揽生源",
            "是否自行组织或与社会培训机构联合组织以选拔生源为目的的各类测试面试",
            "是否设立或变相设立重点班、快慢班",
        ),
    ),
    (
        "强化招生信息公开",
        (
            "是否通过互联网等多种方式公布辖区内每所义务教育学校当年度招生政策、划片范围、报名条件、"
            "招生程序、入学新生名单等",
            "是否建立响应机制，指导区域内热点中小学校及时回应社会和家长关心关注的问题，面向公众公开声明",
            "是否设立并公布专门的招生入学热线，畅通政策咨询、举报申诉等渠道",
        ),
    ),
    (
        "优化招生入学流程",
        (
            "是否使用统一的招生入学服务平台或招生系统",
            "是否实现报名、材料审核和录取一网通办",
            "是否实现区域内户籍、房产、居住证、出生证明、疫苗接种等入学相关信息互通共享",
            "是否利用信息化手段自动对比审核入学证明材料",
            "是否严格按照学籍信息采集表内容采集学生及家长信息",
            "是否明确禁止利用各类APP、小程序随意反复采集学生相关信息",
        ),
    ),
    (
        "保障特殊群体入学",
        (
            "是否能够及时更新全国基础教育管理服务平台控辍保学台账中疑似辍学和辍学学生信息",
            "是否采取行动加强辍学学生的劝返复学工作",
            "是否全面落实随迁子女就学政策，精简入学证明材料",
            "是否巩固并稳步提升进城务工人员子女在公办学校就读比例",
            "是否依法保障能够接受普通教育的适龄残疾儿童少年就近就便随班就读",
            "是否建立本地农村留守儿童、事实无人抚养儿童、孤儿、家庭经济困难学生等群体入学工作台账",
            "是否建立与公安、民政等部分信息共享比对机制",
        ),
    ),
)


def _number_items() -> tuple[ChecklistItem, ...]:
    items: list[ChecklistItem] = []
    for group, texts in ANNEX1_GROUPS:
        for text in texts:
            items.append(ChecklistItem(len(items) + 1, group, text))
    return tuple(items)


#: The 26 rows of 附件1 (number, group, item).
ANNEX1_ROWS: tuple[ChecklistItem, ...] = _number_items()

#: 附件1 is the seed's five columns and nothing else. The complaint system's evidence, the number of
#: items received and closed in the period in the categories mapped to each row (config.toml
#: `annex1_rows`), goes on a second sheet with these headings; its total counts each item once.
ANNEX1_COUNTS_SHEET = "件数统计"
ANNEX1_COUNTS_TITLE = "附件1 各排查项目涉及的诉求件数（接诉即办系统统计）"
ANNEX1_RECEIVED_HEADING = "本期受理件数"
ANNEX1_CLOSED_HEADING = "本期办结件数"
ANNEX1_TOTAL_LABEL = "合计（涉及多个排查项目的诉求件只计一次）"

FORMS: dict[int, Form] = {
    1: Form(
        1,
        "附件1",
        "义务教育阳光招生专项行动对照检查表",
        (
            Column("序号", 6, centred=True),
            Column("重点任务", 14, centred=True),
            Column("重点任务排查项目", 50),
            Column("落实举措（简要填写印发文件或政策执行情况）", 56),
            Column("检查结论", 30),
        ),
    ),
    2: Form(
        2,
        "附件2",
        "义务教育招生入学工作问题线索管理台账",
        (
            Column("序号", 7, centred=True),
            Column("问题线索来源（含群众来信来电、上访、平台举报等）", 22),
            Column("问题线索摘要", 46),
            Column("办理情况", 42),
            Column("处理结果", 30),
            Column("备注", 16),
        ),
    ),
    3: Form(
        3,
        "附件3",
        "义务教育阳光招生专项行动违规招生行为查处登记表",
        (
            Column("序号", 7, centred=True),
            Column("违规主体", 26),
            Column("违规行为", 52),
            Column("查处和追责情况", 52),
        ),
    ),
}


def get_form(annex: int) -> Form:
    try:
        return FORMS[int(annex)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"unknown annex {annex!r}: expected 1, 2 or 3") from None
