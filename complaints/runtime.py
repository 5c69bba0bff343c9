"""What a request, a job or a CLI command needs besides its session: settings and the clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from datetime import time as clock_time
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from complaints.models import CalendarEntry, CalendarYear, CategoryEdit
from complaints.settings import Settings
from workflows.calendar import CalendarData, WorkCalendar, YearSchedule, load_calendar_data
from workflows.deadlines import Limit
from workflows.office_hours import OfficeHours, Period, Season
from workflows.policy import Clock, Profile, ProfileRule, choose_profile

RULE_KEYS = ("track", "kind", "channel", "category", "urgency")
CALENDAR_CHECK_SECONDS = 60  # how stale another process's calendar edit may be in this one


@dataclass
class Runtime:
    """Settings plus the working-day clock built from the overlay file and the database."""

    settings: Settings
    engine: Engine
    calendar_entries: list[tuple[date, str]] = field(default_factory=list)
    calendar_years: list[int] = field(default_factory=list)
    _stamp: tuple | None = None  # what the calendar was built from; compared at most once a minute
    _checked_at: float = 0.0
    _clock: Clock | None = None

    @classmethod
    def load(cls, settings: Settings, engine: Engine) -> Runtime:
        runtime = cls(settings=settings, engine=engine)
        runtime.reload_calendar()
        return runtime

    def reload_calendar(self) -> None:
        """Read what admins change at run time (calendar days, categories) from the database."""
        try:
            with Session(self.engine) as session:
                self.calendar_entries = [(e.day, e.kind) for e in session.exec(select(CalendarEntry))]
                self.calendar_years = [y.year for y in session.exec(select(CalendarYear))]
                self.apply_category_edits(session.exec(select(CategoryEdit)).all())
                self._stamp = _calendar_stamp(session)
        except Exception:  # noqa: BLE001 - before the first migration there is no table yet
            self.calendar_entries, self.calendar_years = [], []
        self._clock = None
        self._checked_at = time.monotonic()

    def apply_category_edits(self, edits) -> None:
        """Admins' edits over the configured categories (the settings object is shared by the app)."""
        by_code = {edit.code: edit for edit in edits}
        for category in self.settings.categories:
            edit = by_code.get(category.code)
            if edit is not None:
                category.name, category.keywords, category.annex1_rows = edit.name, edit.keywords, edit.annex1_rows
        self.settings.__dict__.pop("category_map", None)

    @property
    def clock(self) -> Clock:
        """The working-day clock; rebuilt when another process changed the calendar days."""
        if self._clock is not None and time.monotonic() - self._checked_at > CALENDAR_CHECK_SECONDS:
            self._checked_at = time.monotonic()
            try:
                with Session(self.engine) as session:
                    changed = _calendar_stamp(session) != self._stamp
            except Exception:  # noqa: BLE001 - keep the clock we have if the database is briefly away
                changed = False
            if changed:
                self.reload_calendar()
        if self._clock is None:
            calendar = WorkCalendar(self._calendar_data())
            tz = ZoneInfo(self.settings.app.timezone)
            self._clock = Clock(calendar, OfficeHours(self._seasons(), calendar, tz))
        return self._clock

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
    return Period(clock_time.fromisoformat(start.strip()), clock_time.fromisoformat(end.strip()))


def _calendar_stamp(session: Session) -> tuple:
    """Changes whenever a calendar day or year, or a category, is added, edited or removed."""
    entries = session.exec(select(func.count(), func.max(CalendarEntry.created_at)).select_from(CalendarEntry)).one()
    years = session.exec(select(func.count(), func.max(CalendarYear.year)).select_from(CalendarYear)).one()
    categories = session.exec(select(func.count(), func.max(CategoryEdit.updated_at)).select_from(CategoryEdit)).one()
    return (*entries, *years, *categories)
