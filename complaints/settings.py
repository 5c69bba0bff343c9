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


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///./complaints.db"
    echo: bool = False


class CalendarSettings(BaseModel):
    overlay_file: str = "workflows/calendar_overlay.toml"
    horizon_warning_days: int = 60


class Season(BaseModel):
    name: str
    starts: str  # "MM-DD"
    periods: list[str]  # "HH:MM-HH:MM"


class OfficeHoursSettings(BaseModel):
    seasons: list[Season] = []


class Unit(BaseModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$")
    name: str
    level: Literal["prefecture", "county"] = "county"
    hotline: str = ""
    report_line: str = ""


class Category(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str
    annex1_rows: list[int] = []
    keywords: list[str] = []


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


class Settings(BaseSettings):
    """Everything a deployment can configure; passed in, never read at import time."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", env_nested_delimiter="__", extra="ignore")

    app: AppSettings = AppSettings()
    database: DatabaseSettings = DatabaseSettings()
    calendar: CalendarSettings = CalendarSettings()
    office_hours: OfficeHoursSettings = OfficeHoursSettings()
    units: list[Unit] = []
    categories: list[Category] = []
    limits: LimitsSettings = LimitsSettings(profiles={"hotline": LimitProfile(contact="1 workdays",
                                                                             reply="5 workdays")})
    repeats: RepeatSettings = RepeatSettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
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

    def overlay_path(self) -> Path:
        path = Path(self.calendar.overlay_file)
        return path if path.is_absolute() else PROJECT_ROOT / path


def load_settings(**overrides) -> Settings:
    """Read config.toml (or $COMPLAINTS_CONFIG) and the environment."""
    return Settings(**overrides)
