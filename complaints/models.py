"""The tables. Datetimes are aware UTC (see complaints.clock)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, Relationship, SQLModel

from complaints.clock import utcnow

SUMMARY_MAX = 200
DETAILS_MAX = 10_000
NOTE_MAX = 4_000
REPLY_MAX = 20_000


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=64)
    unit_code: str = Field(max_length=8, index=True)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=128)
    roles: str = Field(default="", max_length=128)  # comma-separated Role values
    active: bool = True
    out_of_office: bool = False
    delegate_id: int | None = Field(default=None, foreign_key="user.id")
    password_hash: str | None = Field(default=None, max_length=256)
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class Complaint(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_ref", name="uq_complaint_source_ref"),
        Index("ix_complaint_unit_open_due", "unit_code", "is_open", "next_due_at"),
        Index("ix_complaint_handler_open_due", "handler_id", "is_open", "next_due_at"),
        # the due-soon list, and today's part of the board's counts read from the index alone (openwork._changed_today)
        Index("ix_complaint_open_warn", "is_open", "warn_at", "next_due_at", "unit_code", "handler_id", "category"),
        Index("ix_complaint_unit_received", "unit_code", "received_at"),
        # the prefecture's overdue and due-soon lists in deadline order; today's part of the kept counts
        Index(
            "ix_complaint_open_due", "is_open", "next_due_at", "id", "warn_at", "unit_code", "handler_id", "category"
        ),
        Index("ix_complaint_open_reply_due", "is_open", "reply_due_at"),
        Index("ix_complaint_uncontacted_due", "accepted_at", "contact_due_at"),
        Index("ix_complaint_received", "received_at", "id"),
        # the prefecture's 复查 list, newest first: the few items under review, not a walk of every item
        Index(
            "ix_complaint_reviews_received",
            "received_at",
            "id",
            sqlite_where=text("reviewed_unit_code IS NOT NULL"),
            postgresql_where=text("reviewed_unit_code IS NOT NULL"),
        ),
        # room on each page for in-place (HOT) updates: the SLA sweep rewrites a row without an index write
        {"postgresql_with": {"fillfactor": 85}},
    )

    id: int | None = Field(default=None, primary_key=True)
    tracking_no: str = Field(max_length=32, unique=True)
    unit_code: str = Field(max_length=8)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    track: str = Field(max_length=16)
    urgency: str = Field(default="normal", max_length=16)
    category: str = Field(max_length=32, index=True)
    school: str | None = Field(default=None, max_length=100)
    received_at: datetime
    registered_at: datetime = Field(default_factory=utcnow)
    registered_by_id: int | None = Field(default=None, foreign_key="user.id")
    registered_unit_code: str = Field(default="", max_length=8, index=True)  # who took the call

    complainant_name: str | None = Field(default=None, max_length=64)
    complainant_phone: str | None = Field(default=None, max_length=32, index=True)
    identity_erased_at: datetime | None = None  # name and phone erased at the end of their keeping period
    confidential: bool = False
    anonymous: bool = False
    summary: str = Field(max_length=SUMMARY_MAX)
    details: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

    status: str = Field(max_length=24, index=True)
    is_open: bool = True
    handler_id: int | None = Field(default=None, foreign_key="user.id")
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None

    ack_due_at: datetime | None = None  # 受理告知 (formal 信访)
    contact_due_at: datetime | None = None
    reply_due_at: datetime | None = None
    supervise_due_at: datetime | None = None
    next_due_at: datetime | None = None  # the deadline the current stage runs against
    warn_at: datetime | None = None  # when the item becomes "due soon"
    due_provisional: bool = False  # a deadline fell in a year not every calendar layer has declared
    reply_period_end: date | None = None  # a calendar-day reply period's last day before Art 203's roll-forward
    acknowledged_at: datetime | None = None  # 受理告知 issued (formal 信访): the 60 日 run from here
    extension_count: int = 0
    review_round: int = 0  # 1 once a 信访 复查 was requested (the item then moved up to the prefecture)
    reviewed_unit_code: str | None = Field(default=None, max_length=8, index=True)  # whose handling is reviewed
    pending_extension: str | None = Field(default=None, max_length=32)  # e.g. "3 workdays"
    suspended_at: datetime | None = None
    warned_due_at: datetime | None = None  # the next_due_at a due-soon warning was sent for
    overdue_due_at: datetime | None = None  # the next_due_at an overdue notice was sent for
    escalated_due_at: datetime | None = None  # the supervise_due_at whose lapse was reported upward

    handling_notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 办理情况
    result_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 处理结果
    remarks: str = Field(default="", max_length=500)  # 备注
    reply_text: str | None = Field(default=None, sa_column=Column(Text))
    reply_template_id: int | None = Field(default=None, foreign_key="replytemplate.id")
    outcome: str | None = Field(default=None, max_length=16)
    reply_draft: str | None = Field(default=None, sa_column=Column(Text))  # awaiting 审签, or returned with comments
    reply_approved_by_id: int | None = Field(default=None, foreign_key="user.id")  # who signed the sent reply off
    reply_approved_at: datetime | None = None
    callback_resolved: bool | None = None
    satisfaction: str | None = Field(default=None, max_length=16)
    callback_note: str | None = Field(default=None, max_length=500)
    duplicate_of_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    sendback_reason: str | None = Field(default=None, max_length=32)
    reopen_count: int = 0  # 重新办理 and 退回重办 so far (limited by [limits] max_reopens)
    decision_escalated_at: datetime | None = None  # a county asked the prefecture to decide (提请州局决定)
    decisions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # for 附件2

    source: str | None = Field(default=None, max_length=32)
    external_ref: str | None = Field(default=None, max_length=100)
    sms_consent: bool | None = None  # texts to the complainant: None not asked (a confidential reporter: no)
    co_units: str | None = Field(default=None, max_length=200)  # 协办 bureaus, ",AKT,WQ," (scope reads it)
    co_identity_units: str | None = Field(default=None, max_length=200)  # those of them granted the identity

    referred_at: datetime | None = None  # 移交纪检 (附件3)
    violator: str | None = Field(default=None, max_length=200)  # 违规主体
    violation: str | None = Field(default=None, max_length=2000)  # 违规行为
    discipline_action: str | None = Field(default=None, max_length=2000)  # 查处和追责情况

    # search keys (complaints.searchkeys), indexed by FTS5 on SQLite and a GIN index on PostgreSQL
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    search_who: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))

    version: int = 1  # optimistic locking: a stale write raises StaleDataError -> Conflict
    updated_at: datetime = Field(default_factory=utcnow)

    @declared_attr
    def __mapper_args__(cls):  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


class ComplaintLink(SQLModel, table=True):
    """A symmetric 'related to' link, or a 'repeat of' link found by the repeat check."""

    __table_args__ = (UniqueConstraint("complaint_id", "other_id", "kind", name="uq_link"),)
    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    other_id: int = Field(foreign_key="complaint.id", index=True)
    kind: str = Field(max_length=16)  # related | repeat
    created_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """One line of an item's history. Appended, never updated or deleted."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    note: str | None = Field(default=None, sa_column=Column(Text))
    changes: dict | None = Field(default=None, sa_column=Column(JSON))
    # lets a new item and its first event be flushed together, in one batch
    complaint: Complaint | None = Relationship()


class CallbackRound(SQLModel, table=True):
    """One callback (回访) to the complainant. Kept whatever happens to the item afterwards: the 三率
    are counted from these rows, so reopening an item never removes a result."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    round: int  # 1 for the item's first callback
    at: datetime = Field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    reached: bool  # False: the complainant could not be reached
    resolved: bool | None = None
    satisfaction: str = Field(max_length=16)
    comment: str | None = Field(default=None, max_length=500)


class StatCount(SQLModel, table=True):
    """Items counted per local day, unit and measure, kept by complaints.statcounts (see there); a row's
    grain says which of the other columns it is counted by. Its key is the table's order (SQLite: without
    rowid), so a period's rows are read together."""

    __table_args__ = {"sqlite_with_rowid": False}  # no other index: each query reads ranges of the key
    # u: unit; f: unit, handler, registering unit; c: unit, category; open items o / h / k / p (statcounts)
    grain: str = Field(primary_key=True, max_length=1)
    measure: str = Field(primary_key=True, max_length=16)
    day: date = Field(primary_key=True)
    until: date = Field(primary_key=True)
    unit_code: str = Field(default="", primary_key=True, max_length=8)
    handler_id: int = Field(default=0, primary_key=True, sa_column_kwargs={"autoincrement": False})  # 0: none
    reg_unit: str = Field(default="", primary_key=True, max_length=8)
    category: str = Field(default="", primary_key=True, max_length=32)
    n: int = 0


class StatState(SQLModel, table=True):
    """That the kept counts were built, and in which time zone their days are counted."""

    id: int = Field(default=1, primary_key=True)
    timezone: str = Field(max_length=64)
    built_at: datetime = Field(default_factory=utcnow)


class TrackingCounter(SQLModel, table=True):
    unit_code: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    value: int = 0


class LetterCounter(SQLModel, table=True):
    """Each unit's yearly sequence of letter numbers (文号 阿教信〔2026〕12号)."""

    unit_code: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    value: int = 0


class Letter(SQLModel, table=True):
    """An official letter issued for an item: its 文号, and the text it was made from (kept unchanged)."""

    __table_args__ = (
        UniqueConstraint("complaint_id", "kind", "source_event_id", name="uq_letter_source"),
        UniqueConstraint("unit_code", "year", "seq", name="uq_letter_number"),
    )
    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    kind: str = Field(max_length=16)  # acceptance | decision | review | hotline
    source_event_id: int = Field(foreign_key="event.id")  # the event that recorded the text (受理, the sent reply)
    unit_code: str = Field(max_length=8)
    year: int
    seq: int
    doc_no: str = Field(max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")


class CalendarDeclaration(SQLModel, table=True):
    """One version of a calendar layer's declared year (the whole schedule from its notice); only the
    active version counts. A correction supersedes it with a new version, a withdrawal ends it."""

    __table_args__ = (UniqueConstraint("layer", "year", "version", name="uq_calendar_declaration"),)
    id: int | None = Field(default=None, primary_key=True)
    layer: str = Field(max_length=32)  # "national" or a regional layer's name (config [[calendar.layers]])
    year: int
    version: int = 1
    status: str = Field(default="active", max_length=12)  # active | superseded | withdrawn
    title: str = Field(max_length=200)  # the notice's title
    number: str = Field(default="", max_length=100)  # its 文号
    published_on: date | None = None
    days: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [[iso, working, name]]
    note: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    ended_by_id: int | None = Field(default=None, foreign_key="user.id")
    ended_at: datetime | None = None
    end_reason: str = Field(default="", max_length=200)


class CalendarOverride(SQLModel, table=True):
    """A day set by hand, for one unit or ('') for all: applied over every layer."""

    unit_code: str = Field(default="", primary_key=True, max_length=8)
    day: date = Field(primary_key=True)
    working: bool
    reason: str = Field(default="", max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class CategoryEdit(SQLModel, table=True):
    """An admin's change to a configured category (name, routing keywords, 附件1 rows)."""

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64)
    keywords: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    annex1_rows: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class ReplyTemplate(SQLModel, table=True):
    """A version of a category's standard reply; handlers use only approved versions."""

    __table_args__ = (UniqueConstraint("category", "locale", "version", name="uq_template_version"),)
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=32, index=True)
    locale: str = Field(max_length=16)
    version: int
    source: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="draft", max_length=16)  # draft | approved | retired
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = None


class LedgerEntry(SQLModel, table=True):
    """A 附件2 row, written when an item closes; a supervisor may edit it before export."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", unique=True)
    unit_code: str = Field(max_length=8, index=True)
    closed_at: datetime = Field(index=True)
    source: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    handling: str = Field(sa_column=Column(Text, nullable=False))
    result: str = Field(sa_column=Column(Text, nullable=False))
    remarks: str = Field(default="", max_length=500)
    edited_by_id: int | None = Field(default=None, foreign_key="user.id")
    edited_at: datetime | None = None


class ChecklistEntry(SQLModel, table=True):
    """A county's 落实举措 and 检查结论 for one 附件1 row and reporting period. Appended, never updated:
    the latest version per (unit, period, row) is exported, the earlier ones are its history."""

    __table_args__ = (Index("ix_checklist_unit_period", "unit_code", "period_start", "period_end", "row"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(max_length=8)
    period_start: date
    period_end: date
    row: int  # 1–26
    measures: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    conclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    written_by_id: int | None = Field(default=None, foreign_key="user.id")
    written_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Who did something that concerns no single item's history (an export with identities, a login)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=32)
    detail: dict | None = Field(default=None, sa_column=Column(JSON))


class RateCounter(SQLModel, table=True):
    """Hits of one key in one time slot of one limit, shared by every process on the database (the public
    lookup per address and per tracking number; failed logins for names that are no account)."""

    scope: str = Field(primary_key=True, max_length=24)
    key: str = Field(primary_key=True, max_length=128)
    # seconds since the epoch // the slot's width; 0 for a running count
    slot: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hits: int = 0
    last_at: datetime = Field(default_factory=utcnow, index=True)


class AuthSession(SQLModel, table=True):
    """A browser session or an API bearer token (only the hash is kept)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(default="browser", max_length=16)  # browser | api
    name: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_used_at: datetime | None = None


class RoutingRule(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("unit_code", "category", name="uq_routing"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(max_length=8)
    category: str = Field(max_length=32)
    handler_id: int = Field(foreign_key="user.id")


class Notification(SQLModel, table=True):
    """The outbox: what a person is told; adapters (e-mail, SMS) send from here."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id")
    kind: str = Field(max_length=32)  # due_soon | overdue | supervise | repeat | digest | calendar
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None
    channel: str = Field(default="web", max_length=16)
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    # handed to the person's other channels (企业微信, 钉钉) by the delivery job
    routed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class JobRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=64, index=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=16)  # running | ok | failed | skipped
    counts: dict | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(Text))


class ImportedFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64, unique=True)
    rows: int = 0
    created: int = 0
    imported_at: datetime = Field(default_factory=utcnow)


class Digest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    day: date
    html: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class JobLock(SQLModel, table=True):
    """Who runs a job right now, on SQLite (PostgreSQL uses an advisory lock); expires if its holder died."""

    job_id: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    locked_until: datetime


class JobSlot(SQLModel, table=True):
    """One scheduled run of a job (its id and the time it was due), claimed by the first scheduler process
    that starts it; the others, sharing the job store, find the slot taken and skip it."""

    job_id: str = Field(primary_key=True, max_length=64)
    slot_at: datetime = Field(primary_key=True)
    holder: str = Field(max_length=128)
    claimed_at: datetime = Field(default_factory=utcnow, index=True)


class NoticePreference(SQLModel, table=True):
    """The channels a person chose for one kind of notice, besides the app (which always has it)."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=32)
    channels: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ChatHandle(SQLModel, table=True):
    """A person's user id in 企业微信 or 钉钉, for app messages addressed to them."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    channel: str = Field(primary_key=True, max_length=16)  # wecom | dingtalk
    handle: str = Field(max_length=64)


class NoticeTemplate(SQLModel, table=True):
    """An admin's wording of one kind of notice (Jinja2, sandboxed); the built-in wording otherwise."""

    kind: str = Field(primary_key=True, max_length=32)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """One message for an outside channel (企业微信, 钉钉, SMS, a webhook), written in the transaction of what
    caused it and sent by a job. `key` is ours and goes to the provider where it takes one; a message whose
    provider receipt is recorded is never sent again."""

    __table_args__ = (Index("ix_outboxmessage_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    channel: str = Field(max_length=24)  # wecom_robot | wecom_app | dingtalk_robot | dingtalk_app | sms | webhook
    purpose: str = Field(max_length=32)  # the notice kind, the SMS occasion, the webhook event
    notification_id: int | None = Field(default=None, foreign_key="notification.id", index=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    subscriber_id: int | None = Field(default=None, foreign_key="webhooksubscriber.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    recipient: str = Field(default="", max_length=500)  # phone, chat user id, or the subscriber's URL
    subject: str = Field(default="", max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed | uncertain | cancelled
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    provider_ref: str | None = Field(default=None, max_length=128)  # the provider's id for what it accepted


class DeliveryAttempt(SQLModel, table=True):
    """Every try at sending, with what the provider answered (its receipt)."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: int | None = Field(default=None, foreign_key="outboxmessage.id", index=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id", index=True)
    channel: str = Field(max_length=24)
    at: datetime = Field(default_factory=utcnow, index=True)
    outcome: str = Field(max_length=16)  # sent | retry | timeout | rate_limited | rejected | uncertain
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    receipt: dict | None = Field(default=None, sa_column=Column(JSON))


class WebhookSubscriber(SQLModel, table=True):
    """A system told of every status and deadline change (12345, the 信访 system), by signed POSTs."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=128)
    events: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    units: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # empty: every unit
    paused: bool = False
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class PlatformClient(SQLModel, table=True):
    """A platform that pushes items in and pulls their progress, with a token limited to its unit(s)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    source: str = Field(max_length=32)  # one of the configured [[sources]]
    units: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    token_hash: str = Field(max_length=128, unique=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class OutsideBody(SQLModel, table=True):
    """A body outside the bureaus (公安, 民政, 住建, a school) that cooperates on items: contact only, no logins."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    contact: str = Field(default="", max_length=64)
    phone: str = Field(default="", max_length=32)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class CoTask(SQLModel, table=True):
    """协办: a cooperating unit's part of an item, with its own deadline and written input. The lead unit
    (主办, the item's own unit) compiles the single reply."""

    __table_args__ = (Index("ix_cotask_open_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    unit_code: str | None = Field(default=None, max_length=8, index=True)  # a configured bureau
    body_id: int | None = Field(default=None, foreign_key="outsidebody.id")  # or an outside body
    task: str = Field(sa_column=Column(Text, nullable=False))
    due_at: datetime
    grant_identity: bool = False
    status: str = Field(default="open", max_length=16)  # open | answered | withdrawn
    input_text: str | None = Field(default=None, sa_column=Column(Text))
    answered_at: datetime | None = None
    answered_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    warned_at: datetime | None = None
    overdue_at: datetime | None = None  # when the overdue notice went out


class Attachment(SQLModel, table=True):
    """A scanned letter, photo or call recording of an item; the file itself is in storage under its key."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    storage_key: str = Field(max_length=64, unique=True)  # random: says nothing about the file or the item
    filename: str = Field(max_length=255)  # as uploaded, shown to people only
    kind: str = Field(max_length=8)  # decided from the content: pdf | jpg | png | tif | mp3 | wav | m4a | amr
    media_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None  # by a supervisor, with a reason (also in the item's history)
    removed_by_id: int | None = Field(default=None, foreign_key="user.id")
    removed_reason: str | None = Field(default=None, max_length=500)
    erased_at: datetime | None = None  # the file deleted with the complainant's identity ([privacy])


class SavedView(SQLModel, table=True):
    """A person's own saved list: a name and the list's filters and sorting (a query string)."""

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_savedview_name"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=64)
    query: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class StatusWriteRefused(RuntimeError):
    """An item's status written outside the lifecycle (`services.transitions.act`, or registration)."""


_lifecycle_writing: ContextVar[bool] = ContextVar("lifecycle_writing", default=False)


@contextmanager
def lifecycle_write() -> Iterator[None]:
    """Inside it an item's status may be written: only `act` and registration open it, with the status that
    `lifecycle.fire` gave them."""
    token = _lifecycle_writing.set(True)
    try:
        yield
    finally:
        _lifecycle_writing.reset(token)


@event.listens_for(Complaint.status, "set")
def _status_only_by_the_lifecycle(target: Complaint, value, oldvalue, initiator) -> None:
    if not _lifecycle_writing.get():
        raise StatusWriteRefused(
            f"the status of an item changes only through services.transitions.act (tried {oldvalue!r} -> {value!r})"
        )
