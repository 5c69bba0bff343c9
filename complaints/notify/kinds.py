"""The kinds of notice a person can receive, their built-in wording, and the wording an admin edited.

Templates are Jinja2 in a sandbox; they see only the plain values below, never the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlmodel import Session

from complaints.clock import utcnow
from complaints.errors import InvalidInput
from complaints.i18n import gettext
from complaints.models import NoticeTemplate, User
from workflows.vocab import N_

CHANNELS = ("email", "wecom", "dingtalk")
CHANNEL_LABELS = {"email": N_("电子邮件"), "wecom": N_("企业微信"), "dingtalk": N_("钉钉")}


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    subject: str  # built-in wording, Chinese, translated when rendered
    body: str
    templated: bool = True  # the SLA sweep writes its own rows in SQL: no template


KINDS: tuple[Kind, ...] = (
    Kind(
        "assigned",
        N_("派单或改派给我"),
        N_("新派诉求件：{{ tracking_no }}"),
        N_("{{ actor }}将诉求件 {{ tracking_no }}（{{ summary }}）交由您办理，本阶段期限 {{ due }}。{{ note }}"),
    ),
    Kind(
        "supervised",
        N_("督办"),
        N_("督办：{{ tracking_no }}"),
        N_("{{ actor }}对诉求件 {{ tracking_no }}（{{ summary }}）督办，督办期限 {{ supervise_due }}。{{ note }}"),
    ),
    Kind(
        "extension_decision",
        N_("延期申请的决定"),
        N_("延期申请{{ decision }}：{{ tracking_no }}"),
        N_("您对诉求件 {{ tracking_no }} 的延期申请已{{ decision }}（{{ actor }}），本阶段期限 {{ due }}。{{ note }}"),
    ),
    Kind(
        "sendback_decision",
        N_("退单申请的决定"),
        N_("退单申请{{ decision }}：{{ tracking_no }}"),
        N_("您对诉求件 {{ tracking_no }} 的退单申请已{{ decision }}（{{ actor }}）。{{ note }}"),
    ),
    Kind(
        "sign_off_request",
        N_("审签请求"),
        N_("请审签：{{ tracking_no }}"),
        N_("{{ actor }}请您审签诉求件 {{ tracking_no }}（{{ summary }}）的答复。{{ note }}"),
    ),
    Kind(
        "sign_off_decision",
        N_("审签结果"),
        N_("审签{{ decision }}：{{ tracking_no }}"),
        N_("诉求件 {{ tracking_no }} 的答复审签{{ decision }}（{{ actor }}）。{{ note }}"),
    ),
    Kind(
        "dissatisfied",
        N_("回访不满意"),
        N_("回访不满意：{{ tracking_no }}"),
        N_("诉求件 {{ tracking_no }}（{{ summary }}）回访结果为不满意。{{ note }}"),
    ),
    Kind(
        "cooperation",
        N_("请本单位协办"),
        N_("请协办：{{ tracking_no }}"),
        N_("{{ actor }}请贵单位协办诉求件 {{ tracking_no }}（{{ summary }}）：{{ note }}"),
    ),
    Kind(
        "cooperation_answered",
        N_("协办单位已答复"),
        N_("协办意见已提交：{{ tracking_no }}"),
        N_("{{ actor }}提交了诉求件 {{ tracking_no }} 的协办意见：{{ note }}"),
    ),
    Kind(
        "cooperation_overdue",
        N_("协办逾期"),
        N_("协办逾期：{{ tracking_no }}"),
        N_("诉求件 {{ tracking_no }} 的协办任务（{{ note }}）已超过期限。"),
    ),
    Kind("due_soon", N_("即将到期"), "", "", templated=False),
    Kind("overdue", N_("已超期"), "", "", templated=False),
    Kind("supervision_lapsed", N_("督办逾期"), "", "", templated=False),
    Kind("digest", N_("每日待办汇总"), "", "", templated=False),
)
KIND_MAP = {kind.code: kind for kind in KINDS}
TEMPLATED = tuple(kind for kind in KINDS if kind.templated)

_ENV = SandboxedEnvironment(autoescape=False, trim_blocks=True)
SAMPLE = {
    "tracking_no": "ATS-2026-000123",
    "summary": "反映学校收取共建费",
    "due": "2026-06-05 18:00",
    "supervise_due": "2026-06-04 18:00",
    "unit": "阿图什市教育局",
    "actor": "李明",
    "note": "",
    "decision": "批准",
    "name": "王芳",
}


def wording(session: Session, kind: str) -> tuple[str, str]:
    """(subject, body) templates: the admin's, else the built-in one in the deployment's language."""
    edited = session.get(NoticeTemplate, kind)
    if edited is not None:
        return edited.subject, edited.body
    built_in = KIND_MAP[kind]
    return gettext(built_in.subject), gettext(built_in.body)


def render(source: str, values: dict) -> str:
    return _ENV.from_string(source).render(**values).strip()


def compose(session: Session, kind: str, values: dict) -> tuple[str, str]:
    """The subject and body of one notice."""
    subject, body = wording(session, kind)
    try:
        return render(subject, values)[:200], render(body, values)
    except TemplateError:  # an edited template that cannot render must not lose the notice
        built_in = KIND_MAP[kind]
        return render(gettext(built_in.subject), values)[:200], render(gettext(built_in.body), values)


def save_template(
    *, session: Session, actor: User, kind: str, subject: str, body: str, now: datetime | None = None
) -> NoticeTemplate:
    """An admin's wording for a kind, checked by rendering it with sample values first."""
    if kind not in KIND_MAP or not KIND_MAP[kind].templated:
        raise InvalidInput(gettext("未知提醒类型：{kind}", kind=kind[:32]), field="kind")
    subject, body = subject.strip(), body.strip()
    if not subject or len(subject) > 200 or not body or len(body) > 4000:
        raise InvalidInput(gettext("标题（不超过200字）和正文（不超过4000字）都不能为空"), field="body")
    for field, source in (("subject", subject), ("body", body)):
        try:
            render(source, SAMPLE)
        except TemplateError as exc:
            raise InvalidInput(gettext("模板无法使用：{error}", error=str(exc)[:200]), field=field) from exc
    row = session.get(NoticeTemplate, kind) or NoticeTemplate(kind=kind, subject=subject, body=body)
    row.subject, row.body, row.updated_by_id, row.updated_at = subject, body, actor.id, now or utcnow()
    session.add(row)
    session.flush()
    return row


def reset_template(*, session: Session, kind: str) -> None:
    row = session.get(NoticeTemplate, kind)
    if row is not None:
        session.delete(row)
        session.flush()
