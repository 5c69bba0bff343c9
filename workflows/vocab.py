"""The words of the domain: channels, kinds, statuses, roles, outcomes (pure, no I/O)."""

from __future__ import annotations

from enum import StrEnum


def N_(text: str) -> str:
    """Mark a string for translation without translating it here (Babel extracts it)."""
    return text


class Channel(StrEnum):
    CALL = "call"
    LETTER = "letter"
    VISIT = "visit"
    PLATFORM = "platform"
    REFERRAL = "referral"
    WEB = "web"


class Kind(StrEnum):
    QUESTION = "question"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"


class Track(StrEnum):
    HOTLINE = "hotline"
    XINFANG = "xinfang"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Status(StrEnum):
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    SUSPENDED = "suspended"
    EXTENSION_REQUESTED = "extension_requested"
    SENDBACK_REQUESTED = "sendback_requested"
    REPLY_PENDING_APPROVAL = "reply_pending_approval"  # 审签: the reply waits for a supervisor
    REPLIED = "replied"
    VISITED = "visited"
    CLOSED = "closed"
    DUPLICATE = "duplicate"
    NOT_ACCEPTED = "not_accepted"


OPEN_STATUSES = frozenset(Status) - {Status.CLOSED, Status.DUPLICATE, Status.NOT_ACCEPTED}


class Role(StrEnum):
    OPERATOR = "operator"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Outcome(StrEnum):
    SUPPORT = "support"
    EXPLAIN = "explain"
    REJECT = "reject"


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY = "basically"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"


class CloseReason(StrEnum):
    """Why a supervisor closes an item the complainant was not satisfied with (说明理由办结)."""

    BEYOND_POLICY = "beyond_policy"
    EXPLAINED = "explained"
    HANDLED_ELSEWHERE = "handled_elsewhere"
    OTHER = "other"


class SendBackReason(StrEnum):
    OUTSIDE_REMIT = "outside_remit"
    WRONG_UNIT = "wrong_unit"
    INSUFFICIENT_INFO = "insufficient_info"
    OTHER = "other"


LABELS: dict[StrEnum, str] = {
    Channel.CALL: N_("来电"),
    Channel.LETTER: N_("来信"),
    Channel.VISIT: N_("来访"),
    Channel.PLATFORM: N_("平台举报"),
    Channel.REFERRAL: N_("上级交办"),
    Channel.WEB: N_("网上"),
    Kind.QUESTION: N_("咨询"),
    Kind.HELP: N_("求助"),
    Kind.COMPLAINT: N_("投诉"),
    Kind.REPORT: N_("举报"),
    Kind.SUGGESTION: N_("建议"),
    Track.HOTLINE: N_("热线诉求"),
    Track.XINFANG: N_("信访事项"),
    Urgency.NORMAL: N_("一般"),
    Urgency.URGENT: N_("紧急"),
    Status.REGISTERED: N_("已登记"),
    Status.DISPATCHED: N_("已派单"),
    Status.ACCEPTED: N_("办理中"),
    Status.SUSPENDED: N_("已挂起"),
    Status.EXTENSION_REQUESTED: N_("延期待批"),
    Status.SENDBACK_REQUESTED: N_("退单待批"),
    Status.REPLIED: N_("已答复"),
    Status.VISITED: N_("已回访"),
    Status.REPLY_PENDING_APPROVAL: N_("答复待审签"),
    Status.CLOSED: N_("已办结"),
    Status.DUPLICATE: N_("已并单"),
    Status.NOT_ACCEPTED: N_("不予受理"),
    Role.OPERATOR: N_("接线员"),
    Role.HANDLER: N_("承办人"),
    Role.SUPERVISOR: N_("督办人"),
    Role.ADMIN: N_("管理员"),
    Outcome.SUPPORT: N_("支持"),
    Outcome.EXPLAIN: N_("解释说明"),
    Outcome.REJECT: N_("不予支持"),
    Satisfaction.SATISFIED: N_("满意"),
    Satisfaction.BASICALLY: N_("基本满意"),
    Satisfaction.DISSATISFIED: N_("不满意"),
    Satisfaction.UNREACHABLE: N_("联系不上"),
    SendBackReason.OUTSIDE_REMIT: N_("不属于本单位职责"),
    SendBackReason.WRONG_UNIT: N_("派错单位"),
    SendBackReason.INSUFFICIENT_INFO: N_("诉求信息不全"),
    SendBackReason.OTHER: N_("其他"),
    CloseReason.BEYOND_POLICY: N_("诉求超出政策规定"),
    CloseReason.EXPLAINED: N_("已解释说明，诉求人仍不认可"),
    CloseReason.HANDLED_ELSEWHERE: N_("已通过其他途径处理"),
    CloseReason.OTHER: N_("其他原因"),
}


def label(value: StrEnum) -> str:
    """The untranslated (Chinese) label of a vocabulary value."""
    return LABELS[value]
