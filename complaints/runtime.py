"""What a request, a job or a CLI command needs besides its session: settings and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from complaints.models import CalendarEntry, CalendarYear
from complaints.settings import Settings
from workflows.calendar import CalendarData, WorkCalendar, YearSchedule, load_calendar_data
from workflows.deadlines import Limit
from workflows.office_hours import OfficeHours, Period, Season
from workflows.policy import Clock, Profile, ProfileRule, choose_profile

RULE_KEYS = ("track", "kind", "channel", "category", "urgency")


@dataclass
class Runtime:
    """Settings plus the working-day clock built from the overlay file and the database."""

    settings: Settings
    engine: Engine
    calendar_entries: list[tuple[date, str]] = field(default_factory=list)
    calendar_years: list[int] = field(default_factory=list)

    @classmethod
    def load(cls, settings: Settings, engine: Engine) -> Runtime:
        runtime = cls(settings=settings, engine=engine)
        runtime.reload_calendar()
        return runtime

    def reload_calendar(self) -> None:
        """Read the deployment's calendar days from the database (after an admin edits them)."""
        try:
            with Session(self.engine) as session:
                self.calendar_entries = [(e.day, e.kind) for e in session.exec(select(CalendarEntry))]
                self.calendar_years = [y.year for y in session.exec(select(CalendarYear))]
        except Exception:  # noqa: BLE001 - before the first migration there is no table yet
            self.calendar_entries, self.calendar_years = [], []
        self.__dict__.pop("clock", None)

    @cached_property
    def clock(self) -> Clock:
        calendar = WorkCalendar(self._calendar_data())
        tz = ZoneInfo(self.settings.app.timezone)
        return Clock(calendar, OfficeHours(self._seasons(), calendar, tz))

    def _calendar_data(self) -> CalendarData:
        data = load_calendar_data(self.settings.overlay_path())
        regional = set(data.regional_holidays)
        overrides = dict(data.overrides)
        extra = {year: (set(s.holidays), set(s.workdays)) for year, s in data.extra_years.items()}
        for year in self.calendar_years:
            extra.setdefault(year, (set(), set()))
        for day, kind in self.calendar_entries:
            if kind == "regional_holiday":
                regional.add(day)
            elif kind in ("holiday", "makeup_workday") and day.year in extra:
                extra[day.year][0 if kind == "holiday" else 1].add(day)
            else:
                overrides[day] = kind in ("workday", "makeup_workday")
        years = {year: YearSchedule(frozenset(h), frozenset(w)) for year, (h, w) in extra.items()}
        return CalendarData(extra_years=years, regional_holidays=frozenset(regional), overrides=overrides)

    def _seasons(self) -> tuple[Season, ...]:
        seasons = []
        for season in self.settings.office_hours.seasons:
            month, day = (int(x) for x in season.starts.split("-"))
            periods = tuple(_period(p) for p in season.periods)
            seasons.append(Season(starts=(month, day), periods=periods))
        return tuple(seasons) or OfficeHours.xinjiang_default(WorkCalendar()).seasons

    @cached_property
    def profiles(self) -> dict[str, Profile]:
        profiles = {}
        for name, p in self.settings.limits.profiles.items():
            profiles[name] = Profile(
                name=name, contact=Limit.parse(p.contact), reply=Limit.parse(p.reply),
                warn_lead=Limit.parse(p.warn_lead), extension_cap=Limit.parse(p.extension_cap),
                max_extensions=p.max_extensions,
                acknowledge=Limit.parse(p.acknowledge) if p.acknowledge else None)
        return profiles

    @cached_property
    def profile_rules(self) -> list[ProfileRule]:
        rules = []
        for rule in self.settings.limits.rules:
            conditions = tuple((key, getattr(rule, key)) for key in RULE_KEYS if getattr(rule, key))
            rules.append(ProfileRule(profile=rule.profile, conditions=conditions))
        return rules

    def profile_for(self, **attributes: str) -> Profile:
        return choose_profile(attributes, self.profile_rules, self.profiles, self.settings.limits.default)


def _period(text: str) -> Period:
    """'10:00-14:00' as a Period."""
    start, end = text.split("-")
    return Period(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
