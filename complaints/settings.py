"""One typed settings object, read from config.toml with COMPLAINTS_* environment overrides."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSECURE_SECRET = "dev-insecure-change-me"


class AppSettings(BaseModel):
    name: str = "阳光招生接诉即办"
    environment: Literal["development", "test", "production"] = "development"
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_Hans_CN"
    locales: list[str] = ["zh_Hans_CN", "en", "ug"]
    secret_key: str = INSECURE_SECRET
    prefecture_unit: str = "KZ"
    https: bool = False
    run_scheduler_in_process: bool = True
    names: dict[str, str] = {}  # the application's name in another language: {ug = "…"}


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///./complaints.db"
    # a read replica (PostgreSQL streaming replication, or any copy kept current): the lists, dashboards,
    # exports and searches read there; everything else, and every write, goes to `url`
    replica_url: str | None = None
    echo: bool = False
    # API writes one process runs at once on PostgreSQL; more wait their turn in arrival order (SQLite: 1)
    concurrent_writes: int = Field(default=4, ge=1, le=64)


class CalendarLayerSettings(BaseModel):
    """A regional layer of the overlay file and the units it applies to ("*": every unit)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    units: list[str] = ["*"]


class CalendarSettings(BaseModel):
    overlay_file: str = "workflows/calendar_overlay.toml"
    horizon_warning_days: int = 60
    layers: list[CalendarLayerSettings] = []

    def layers_for(self, unit: str) -> list[str]:
        """Names of the layers that apply to unit."""
        return [layer.name for layer in self.layers if "*" in layer.units or unit in layer.units]


class Season(BaseModel):
    name: str
    starts: str  # "MM-DD"
    periods: list[str]  # "HH:MM-HH:MM"


class UnitHours(BaseModel):
    """A unit's own office hours for one year (its notice), with that year's season switch dates."""

    unit: str
    year: int = Field(ge=2000, le=2100)
    source: str = ""
    seasons: list[Season]


class OfficeHoursSettings(BaseModel):
    seasons: list[Season] = []
    units: list[UnitHours] = []  # the prefecture's seasons apply to every unit and year not listed


class Unit(BaseModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$")
    name: str
    level: Literal["prefecture", "county"] = "county"
    hotline: str = ""
    report_line: str = ""
    doc_prefix: str = Field(default="", max_length=12)  # 发文机关代字 of its letters' 文号, e.g. 阿教信
    names: dict[str, str] = {}  # the name in another language, by language code: {ug = "…"}

    def name_in(self, language: str) -> str:
        """The name in `language` (ug, ky_Arab, …) when config gives one, else the Chinese name."""
        return self.names.get(language, self.name)


class Category(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str
    annex1_rows: list[int] = []
    keywords: list[str] = []
    names: dict[str, str] = {}  # the name in another language, by language code: {ug = "…"}

    def name_in(self, language: str) -> str:
        return self.names.get(language, self.name)


class LimitProfile(BaseModel):
    contact: str
    reply: str
    acknowledge: str | None = None
    warn_lead: str = "1 workdays"
    extension_cap: str = "5 workdays"
    max_extensions: int = 1


class LimitRule(BaseModel):
    profile: str
    track: str | None = None
    kind: str | None = None
    channel: str | None = None
    category: str | None = None
    urgency: str | None = None


class LimitsSettings(BaseModel):
    default: str = "hotline"
    supervise_default: str = "2 workdays"
    review_request: str = "30 days"  # 信访 复查: asked within this period after the reply (Art 35)
    review_answer: str = "30 days"  # and answered within this period of the request
    max_reopens: int = Field(default=2, ge=0, le=20)  # 重新办理 + 退回重办 a county may order; then the prefecture
    profiles: dict[str, LimitProfile] = {}
    rules: list[LimitRule] = []

    @model_validator(mode="after")
    def _profiles_exist(self) -> LimitsSettings:
        names = {self.default, *(r.profile for r in self.rules)}
        missing = names - set(self.profiles)
        if missing:
            raise ValueError(f"limits refer to unknown profiles: {sorted(missing)}")
        return self


class RepeatSettings(BaseModel):
    window_days: int = 30
    summary_similarity: float = 0.8


class CollectionSettings(BaseModel):
    """每天收集: the drop folder that platforms' exports are copied into, and when it is read."""

    drop_folder: str = "var/drop"
    processed_folder: str = "processed"  # under drop_folder unless absolute
    rejected_folder: str = "rejected"
    time: str = Field(default="08:30", pattern=r"^\d{2}:\d{2}$")  # local time, on working days
    max_file_mb: int = Field(default=100, ge=1)
    max_rows: int = Field(default=200_000, ge=1)
    max_errors_reported: int = Field(default=200, ge=1)
    # a hostile file is refused within these bounds: cells counted with the blank ones, the zip directory
    # checked before anything is unpacked, the XLSX read in a worker process held to the time and memory
    max_cells: int = Field(default=5_000_000, ge=1)
    max_uncompressed_mb: int = Field(default=500, ge=1)
    max_compression_ratio: int = Field(default=100, ge=2)
    max_parse_seconds: int = Field(default=120, ge=1)
    max_parse_memory_mb: int = Field(default=1024, ge=64)
    settle_seconds: int = Field(default=60, ge=0)  # a file changed more recently may still be being copied


class SourceSettings(BaseModel):
    """One kind of export: which file names it owns and which header holds each field."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    label: str
    patterns: list[str] = ["*.csv", "*.xlsx"]  # file names in the drop folder (glob)
    channel: str = "platform"
    kind: str = "complaint"
    track: str | None = None  # "xinfang": every item of this export is formal 信访
    unit_code: str | None = None  # when the export has no unit column
    header_row: int | None = None  # 1-based; found automatically when None
    columns: dict[str, list[str]]  # ComplaintIn field -> header names accepted
    unit_names: dict[str, str] = {}  # a unit's name in the export -> unit code
    kind_names: dict[str, str] = {}  # e.g. "投诉" -> "complaint"
    date_formats: list[str] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y年%m月%d日 %H:%M",
        "%Y年%m月%d日",
        "%Y%m%d",
    ]


_UNIT_NAMES = {
    "克州教育局": "KZ",
    "阿图什市教育局": "ATS",
    "阿克陶县教育局": "AKT",
    "乌恰县教育局": "WQ",
    "阿合奇县教科局": "AHQ",
}
_KIND_NAMES = {"咨询": "question", "求助": "help", "投诉": "complaint", "举报": "report", "建议": "suggestion"}


def default_sources() -> list[SourceSettings]:
    """The three exports the bureau receives: 12345, the 信访 system and the message boards."""
    common = {"unit_names": _UNIT_NAMES, "kind_names": _KIND_NAMES}
    return [
        SourceSettings(
            name="hotline12345",
            label="12345政务服务便民热线",
            patterns=["12345*"],
            channel="platform",
            columns={
                "external_ref": ["工单编号", "工单号"],
                "received_at": ["来电时间", "受理时间"],
                "complainant_name": ["来电人", "姓名"],
                "complainant_phone": ["来电号码", "联系电话"],
                "kind": ["诉求类型", "工单类型"],
                "unit_code": ["承办单位", "派发单位"],
                "summary": ["诉求标题", "标题"],
                "details": ["诉求内容", "内容"],
            },
            **common,
        ),
        SourceSettings(
            name="xinfang",
            label="信访信息系统",
            patterns=["xinfang*", "信访*"],
            channel="letter",
            track="xinfang",
            columns={
                "external_ref": ["信访件编号", "登记编号"],
                "received_at": ["登记日期", "信访日期"],
                "complainant_name": ["信访人"],
                "complainant_phone": ["联系电话"],
                "unit_code": ["责任单位"],
                "summary": ["内容摘要"],
                "details": ["信访内容"],
            },
            **common,
        ),
        SourceSettings(
            name="message_board",
            label="网上留言板",
            patterns=["liuyan*", "留言*"],
            channel="web",
            columns={
                "external_ref": ["留言编号"],
                "received_at": ["留言时间"],
                "complainant_name": ["网民昵称", "留言人"],
                "complainant_phone": ["联系方式"],
                "unit_code": ["回复单位"],
                "summary": ["留言标题"],
                "details": ["留言内容"],
            },
            **common,
        ),
    ]


class ReplySettings(BaseModel):
    """Replies: which need a supervisor's 审签 besides formal 信访, and where complainants read them."""

    signoff_categories: list[str] = []  # category codes whose replies a supervisor signs off
    status_url: str = Field(default="", max_length=40)  # the public /status page as the SMS names it


class RoutingSettings(BaseModel):
    auto_dispatch: bool = True
    grace_minutes: int = Field(default=10, ge=0)  # leave the operator time to answer a question at once
    system_username: str = "system"


class SmtpSettings(BaseModel):
    enabled: bool = False
    host: str = "localhost"
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "noreply@localhost"
    timeout_seconds: int = 20


class WecomSettings(BaseModel):
    """企业微信: a group robot (webhook key; the person is @-mentioned by mobile) and, when corp_id is set,
    app messages to the person's 企业微信 user id."""

    enabled: bool = False
    base_url: str = "https://qyapi.weixin.qq.com"
    robot_key: str = ""
    corp_id: str = ""
    corp_secret: str = ""
    agent_id: int = 0
    per_minute: int = Field(default=20, ge=1)  # the robot's documented limit


class DingtalkSettings(BaseModel):
    """钉钉: a custom robot (access token, 加签 secret) and, when app_key is set, work notices (工作通知)."""

    enabled: bool = False
    base_url: str = "https://oapi.dingtalk.com"
    robot_token: str = ""
    robot_secret: str = ""
    app_key: str = ""
    app_secret: str = ""
    agent_id: int = 0
    per_minute: int = Field(default=20, ge=1)


class NotifySettings(BaseModel):
    smtp: SmtpSettings = SmtpSettings()
    wecom: WecomSettings = WecomSettings()
    dingtalk: DingtalkSettings = DingtalkSettings()
    default_channels: list[Literal["email", "wecom", "dingtalk"]] = ["email"]  # a kind the person left alone
    dedupe_minutes: int = Field(default=10, ge=0)  # the same notice about the same item to the same person
    per_person_hour: int = Field(default=30, ge=1)  # chat messages to one person an hour; the rest wait
    timeout_seconds: int = Field(default=10, ge=1)
    max_attempts: int = Field(default=6, ge=1)
    backoff_minutes: int = Field(default=2, ge=1)  # 2, 4, 8, ... minutes between attempts
    batch_size: int = Field(default=500, ge=1)


class AliyunSmsSettings(BaseModel):
    endpoint: str = "https://dysmsapi.aliyuncs.com"
    region: str = "cn-hangzhou"
    access_key_id: str = ""
    access_key_secret: str = ""  # COMPLAINTS_SMS__ALIYUN__ACCESS_KEY_SECRET


class TencentSmsSettings(BaseModel):
    endpoint: str = "https://sms.tencentcloudapi.com"
    region: str = "ap-guangzhou"
    secret_id: str = ""
    secret_key: str = ""  # COMPLAINTS_SMS__TENCENT__SECRET_KEY
    sdk_app_id: str = ""


class SmsSettings(BaseModel):
    """Texts to complainants: on registration, when the reply is ready, inviting the callback. The wording
    is the provider's approved template; ours fills its parameters."""

    enabled: bool = False
    provider: Literal["aliyun", "tencent"] = "aliyun"
    sign_name: str = ""
    templates: dict[Literal["registered", "replied", "callback"], str] = {}  # occasion -> template code
    lookup_url: str = ""  # where a complainant follows the item with the tracking number
    aliyun: AliyunSmsSettings = AliyunSmsSettings()
    tencent: TencentSmsSettings = TencentSmsSettings()
    max_attempts: int = Field(default=4, ge=1)
    backoff_minutes: int = Field(default=2, ge=1)
    timeout_seconds: int = Field(default=10, ge=1)


class WebhookSettings(BaseModel):
    enabled: bool = False
    max_attempts: int = Field(default=8, ge=1)
    backoff_minutes: int = Field(default=1, ge=1)  # 1, 2, 4 … minutes
    timeout_seconds: int = Field(default=10, ge=1)


class PlatformSettings(BaseModel):
    enabled: bool = False  # the inbound push/pull API for 12345 and the 信访 system


class JobsSettings(BaseModel):
    sla_sweep_minutes: int = Field(default=5, ge=1)
    dispatch_minutes: int = Field(default=5, ge=1)
    outbox_minutes: int = Field(default=1, ge=1)
    digest_time: str = Field(default="18:00", pattern=r"^\d{2}:\d{2}$")
    calendar_check_time: str = Field(default="09:00", pattern=r"^\d{2}:\d{2}$")
    misfire_grace_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    # SQLite job locks are held on a lease the running job renews; a killed run's row is free when it ends
    # (at once when the killed process ran on this machine)
    lock_lease_seconds: int = Field(default=300, ge=5)


class AttachmentSettings(BaseModel):
    """Scanned letters, photos and call recordings attached to items: stored outside the database."""

    max_mb: int = Field(default=20, ge=1, le=1024)  # each file
    max_files: int = Field(default=10, ge=1, le=100)  # per upload
    storage: str = "var/attachments"  # a folder (relative: under the project root)
    # the nightly sweep deletes stored files that no attachment holds (a failed request, a killed process) once
    # they are this old, and those of removed or erased attachments
    sweep_time: str = Field(default="03:30", pattern=r"^\d{2}:\d{2}$")
    orphan_grace_hours: int = Field(default=24, ge=1, le=24 * 365)

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024


class CallbackSettings(BaseModel):
    """The callback (回访) is independent of the handler: who may make it, and which one the 三率 count."""

    roles: list[Literal["operator", "handler", "supervisor"]] = ["operator", "supervisor"]
    unit: Literal["registering", "handling"] = "registering"  # of the unit that registered the item, or handles it
    counted: Literal["first", "last"] = "first"  # the item's first callback, or its last one up to the period's end


class PrivacySettings(BaseModel):
    """How long a closed item keeps its complainant's name and phone (个人信息保护法 Art 19), per track;
    0 keeps them (formal 信访 material is archived under the archive rules). Summary, details and the
    handling record stay."""

    hotline_identity_days: int = Field(default=1095, ge=0, le=36500)
    xinfang_identity_days: int = Field(default=0, ge=0, le=36500)
    # what an erased item's attachments lose: "erase" removes the files (letters and recordings carry the
    # complainant's name, voice and number), "keep" leaves them with the archive
    attachments: Literal["erase", "keep"] = "erase"
    erase_time: str = Field(default="02:30", pattern=r"^\d{2}:\d{2}$")

    @model_validator(mode="after")
    def _long_enough(self) -> PrivacySettings:
        for name in ("hotline_identity_days", "xinfang_identity_days"):
            if 0 < getattr(self, name) < 60:
                raise ValueError(
                    f"{name}: 0 (keep) or at least 60 days, so that a 复查 or a reopened item "
                    "can still reach the complainant"
                )
        return self

    def days_for(self, track: str) -> int:
        return self.xinfang_identity_days if track == "xinfang" else self.hotline_identity_days


class Settings(BaseSettings):
    """Everything a deployment can configure; passed in, never read at import time."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", env_nested_delimiter="__", extra="ignore")

    app: AppSettings = AppSettings()
    database: DatabaseSettings = DatabaseSettings()
    calendar: CalendarSettings = CalendarSettings()
    office_hours: OfficeHoursSettings = OfficeHoursSettings()
    units: list[Unit] = []
    categories: list[Category] = []
    limits: LimitsSettings = LimitsSettings(
        profiles={"hotline": LimitProfile(contact="1 workdays", reply="5 workdays")}
    )
    repeats: RepeatSettings = RepeatSettings()
    collection: CollectionSettings = CollectionSettings()
    sources: list[SourceSettings] = Field(default_factory=default_sources)
    routing: RoutingSettings = RoutingSettings()
    notify: NotifySettings = NotifySettings()
    jobs: JobsSettings = JobsSettings()
    privacy: PrivacySettings = PrivacySettings()
    sms: SmsSettings = SmsSettings()
    webhooks: WebhookSettings = WebhookSettings()
    platform: PlatformSettings = PlatformSettings()
    attachments: AttachmentSettings = AttachmentSettings()
    callbacks: CallbackSettings = CallbackSettings()
    replies: ReplySettings = ReplySettings()
    # how each channel reads inside a reply in a language other than Chinese: {ug = {call = "…"}}
    reply_channels: dict[str, dict[str, str]] = {}

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("COMPLAINTS_CONFIG", str(PROJECT_ROOT / "config.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @field_validator("units")
    @classmethod
    def _units_unique(cls, units: list[Unit]) -> list[Unit]:
        codes = [u.code for u in units]
        if len(codes) != len(set(codes)):
            raise ValueError("unit codes must be unique")
        return units

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.app.environment == "production" and self.app.secret_key == INSECURE_SECRET:
            raise ValueError("app.secret_key must be set (COMPLAINTS_APP__SECRET_KEY) in production")
        return self

    @cached_property
    def unit_map(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def category_map(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    @cached_property
    def source_map(self) -> dict[str, SourceSettings]:
        return {s.name: s for s in self.sources}

    def collection_path(self, folder: str | None = None) -> Path:
        """The drop folder, or one of its subfolders (relative paths are under the project root)."""
        drop = Path(self.collection.drop_folder)
        drop = drop if drop.is_absolute() else PROJECT_ROOT / drop
        return drop if folder is None else (Path(folder) if Path(folder).is_absolute() else drop / folder)

    def attachments_path(self) -> Path:
        path = Path(self.attachments.storage)
        return path if path.is_absolute() else PROJECT_ROOT / path

    def overlay_path(self) -> Path:
        path = Path(self.calendar.overlay_file)
        return path if path.is_absolute() else PROJECT_ROOT / path


def load_settings(**overrides) -> Settings:
    """Read config.toml (or $COMPLAINTS_CONFIG) and the environment."""
    return Settings(**overrides)
