"""Standard-reply versions: supervisors propose and approve; handlers start from the approved one."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from complaints.clock import to_local, utcnow
from complaints.errors import Forbidden, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import Complaint, ReplyTemplate, User
from complaints.presenters import channel_label
from complaints.replies import (
    OUTCOMES,
    SMS_MAX,
    TemplateMissing,
    TemplateProblem,
    available_locales,
    check_source,
    concluded,
    conclusions,
    prompts_in,
    render,
)
from complaints.replies.render import TEMPLATE_ROOT
from complaints.runtime import Runtime
from complaints.services.categories import check_category
from complaints.services.scope import roles_of
from workflows.vocab import LABELS, Outcome, Role

# how each channel reads after "您于…通过…反映的问题"
CHANNEL_PHRASES = {
    "call": "招生咨询热线",
    "letter": "来信",
    "visit": "来访",
    "platform": "12345政务服务便民热线平台",
    "referral": "上级交办",
    "web": "网上留言",
}
LOCALES = {"zh": "zh_Hans", "zh_Hans": "zh_Hans", "zh_Hans_CN": "zh_Hans", "ug": "ug", "ky_Arab": "ky_Arab"}


def channel_phrase(runtime: Runtime, channel: str, language: str) -> str:
    """How the channel reads in a reply in `language`: config's wording, else the Chinese phrase."""
    configured = runtime.settings.reply_channels.get(language, {}).get(channel)
    return configured or CHANNEL_PHRASES.get(channel) or channel_label(channel)


def needs_signoff(item: Complaint, settings) -> bool:
    """审签: a formal 信访 reply, or one of the categories the deployment lists, goes to a supervisor first."""
    return item.track == "xinfang" or item.category in settings.replies.signoff_categories


def template_locale(locale: str) -> str:
    folder = LOCALES.get(locale) or LOCALES.get(locale.split("_")[0])
    if folder is None:
        raise InvalidInput(gettext("不支持的答复语言：{locale}", locale=locale[:16]), field="locale")
    return folder


def _require_supervisor(actor: User) -> None:
    if Role.SUPERVISOR not in roles_of(actor) or not actor.active:
        raise Forbidden(gettext("只有督办人可以维护统一答复口径"))


def shipped_source(category: str, locale: str) -> str | None:
    """The template file shipped with the project (version 0), if there is one."""
    path = TEMPLATE_ROOT / template_locale(locale) / f"{category}.j2"
    return path.read_text(encoding="utf-8") if path.exists() else None


def approved(*, session: Session, category: str, locale: str) -> ReplyTemplate | None:
    return session.exec(
        select(ReplyTemplate)
        .where(
            col(ReplyTemplate.category) == category,
            col(ReplyTemplate.locale) == template_locale(locale),
            col(ReplyTemplate.status) == "approved",
        )
        .order_by(col(ReplyTemplate.version).desc())
    ).first()


def propose(
    *, session: Session, runtime: Runtime, actor: User, category: str, locale: str, source: str
) -> ReplyTemplate:
    """A new draft version; refused with the list of problems if it would not render."""
    _require_supervisor(actor)
    check_category(runtime.settings, category)
    folder = template_locale(locale)
    check_proposal(source=source, locale=folder)
    latest = (
        session.exec(
            select(func.max(ReplyTemplate.version)).where(
                col(ReplyTemplate.category) == category, col(ReplyTemplate.locale) == folder
            )
        ).one()
        or 0
    )
    version = ReplyTemplate(
        category=category, locale=folder, version=latest + 1, source=source, status="draft", created_by_id=actor.id
    )
    session.add(version)
    session.flush()
    return version


def check_proposal(*, source: str, locale: str) -> None:
    """Refuse a source that would not render (its problems listed, the render's bounds among them)."""
    problems = check_source(source, locale=template_locale(locale))
    if problems:
        raise InvalidInput(
            gettext("模板有问题：{problems}", problems="；".join(problems[:5])), field="source", problems=problems
        )


def approve(*, session: Session, actor: User, template_id: int) -> ReplyTemplate:
    """Approve a draft (by a supervisor other than its author); the previous approved one retires."""
    _require_supervisor(actor)
    version = session.get(ReplyTemplate, template_id)
    if version is None or version.status != "draft":
        raise NotFound(gettext("找不到待审核的模板版本：{id}", id=template_id), field="template")
    if version.created_by_id == actor.id:
        raise Forbidden(gettext("不能审核自己提交的版本，请由另一位督办人审核"), field="template")
    previous = approved(session=session, category=version.category, locale=version.locale)
    if previous is not None:
        previous.status = "retired"
        session.add(previous)
    version.status, version.approved_by_id, version.approved_at = "approved", actor.id, utcnow()
    session.add(version)
    session.flush()
    return version


def pending_versions(*, session: Session, runtime: Runtime, actor: User) -> list[ReplyTemplate]:
    _require_supervisor(actor)
    return list(
        session.exec(
            select(ReplyTemplate).where(col(ReplyTemplate.status) == "draft").order_by(col(ReplyTemplate.created_at))
        )
    )


def variables_for(
    item: Complaint, runtime: Runtime, handler: User | None, *, today: date | None = None, locale: str = "zh_Hans"
) -> dict:
    """What a reply template may use, filled from the item; the handler completes the facts.
    Names of the unit and the channel are in the reply's language (config's `names`)."""
    tz = runtime.settings.app.timezone
    unit = runtime.settings.unit_map[item.unit_code]
    language = template_locale(locale)
    name = item.complainant_name if not (item.anonymous or item.confidential) else None
    return {
        "salutation": name or "",
        "received_date": to_local(item.received_at, tz).date(),
        # the reply's own wording, not the interface language of whoever drafts it
        "channel": channel_phrase(runtime, item.channel, language),
        "tracking_no": item.tracking_no,
        "summary": item.summary,
        "school": item.school or "",
        "verified_facts": "",  # left to the handler: a fill-in prompt
        "outcome": item.outcome or "explain",
        "next_steps": "",
        "callback_note": "",
        "unit_name": unit.name_in(language),
        "unit_hotline": unit.hotline,
        "reply_date": today or to_local(utcnow(), tz).date(),
        "handler_name": handler.name if handler else "",
        "is_xinfang": item.track == "xinfang",
        "is_review": bool(item.review_round),
        "review_unit": _review_unit(item, runtime, language),
    }


def _review_unit(item: Complaint, runtime: Runtime, language: str = "zh_Hans") -> str:
    """Where the complainant may turn next: a county's 处理意见 goes up to the prefecture bureau; past
    that (a 复查 decided, or the prefecture's own item) the template names the next level in general."""
    settings = runtime.settings
    if item.review_round or settings.unit_map[item.unit_code].level == "prefecture":
        return ""
    return settings.unit_map[settings.app.prefecture_unit].name_in(language)


def draft_reply(
    *,
    session: Session,
    runtime: Runtime,
    actor: User,
    item: Complaint,
    locale: str = "zh_Hans",
    outcome: str | None = None,
) -> dict:
    """The approved standard reply of the item's category for the chosen outcome, rendered for the composer."""
    version = approved(session=session, category=item.category, locale=locale)
    variables = variables_for(item, runtime, actor, locale=locale)
    if outcome in OUTCOMES:
        variables["outcome"] = outcome
    if item.kind == "question":
        variables.update(instant=True)
    try:
        text = render(
            category=item.category,
            locale=template_locale(locale),
            variables=variables,
            source=version.source if version else None,
        )
    except (TemplateMissing, TemplateProblem) as exc:
        raise InvalidInput(gettext("统一答复口径无法生成：{error}", error=str(exc)[:200]), field="template") from exc
    return {
        "text": text,
        "template_id": version.id if version else None,
        "version": version.version if version else 0,
        "category_name": runtime.settings.category_map[item.category].name,
        "locale": locale,
        "outcome": variables["outcome"],
        "prompts": prompts_in(text),
    }


def check_reply(
    *, session: Session, runtime: Runtime, item: Complaint, text: str, outcome: str | None, instant: bool = False
) -> None:
    """Refuse a reply that still holds a fill-in prompt, or whose conclusion is not the chosen outcome."""
    prompts = prompts_in(text)
    if prompts:
        raise InvalidInput(
            gettext(
                "答复中还有 {n} 处待填写：{prompts}。请替换为实际情况后再发送",
                n=len(prompts),
                prompts="、".join(f"【{p[:40]}】" for p in prompts[:5]),
            ),
            field="text",
            prompts=prompts,
        )
    if instant or outcome is None:
        return
    stated = set()
    with session.no_autoflush:  # read only: the item's change is flushed once, with its event
        found = _conclusions(session, runtime, item)
    for sentences in found.values():
        stated |= concluded(text, sentences)
    others = sorted(stated - {outcome})
    if others:
        names = "、".join(gettext(LABELS[Outcome(o)]) for o in others)
        raise InvalidInput(
            gettext(
                "答复正文的结论是“{stated}”，与所选处理意见“{chosen}”不一致。请选择与正文一致的"
                "处理意见，或按所选处理意见重新载入答复口径",
                stated=names,
                chosen=gettext(LABELS[Outcome(outcome)]),
            ),
            field="outcome",
        )


def _conclusions(session: Session, runtime: Runtime, item: Complaint) -> dict[str, dict[str, str]]:
    """Per locale with a template for the category, the conclusion sentence of each outcome."""
    variables, found = variables_for(item, runtime, None), {}
    for locale in available_locales(item.category):
        version = approved(session=session, category=item.category, locale=locale)
        try:
            found[locale] = conclusions(
                category=item.category, locale=locale, variables=variables, source=version.source if version else None
            )
        except (TemplateMissing, TemplateProblem):
            continue  # a broken template is reported by `complaints replies check`, not here
    return found


def text_locale(text: str) -> str:
    """The template folder a reply was written from, told by its script: Arabic letters are Uyghur."""
    return "ug" if any("\u0600" <= ch <= "\u06ff" for ch in text or "") else "zh_Hans"


def sms_text(*, session: Session, runtime: Runtime, item: Complaint, locale: str = "zh_Hans") -> str | None:
    """The SMS short form telling the complainant the reply is ready: at most SMS_MAX characters, naming
    the public status page when configured and it fits, else the unit's hotline; None if it cannot fit."""
    variables = {**variables_for(item, runtime, None), "short": True, "status_url": runtime.settings.replies.status_url}
    with session.no_autoflush:
        version = approved(session=session, category=item.category, locale=locale)
    for attempt in (variables, {**variables, "status_url": ""}):
        try:
            text = render(
                category=item.category,
                locale=template_locale(locale),
                variables=attempt,
                source=version.source if version else None,
            )
        except (TemplateMissing, TemplateProblem):
            return None
        if len(text) <= SMS_MAX:
            return text
    return None
