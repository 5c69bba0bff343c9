"""What a request, a job or a CLI command needs besides its session: settings and the clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date
from datetime import time as clock_time
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from complaints.models import CalendarDeclaration, CalendarOverride, CategoryEdit
from complaints.settings import Settings
from workflows.calendar import CalendarData, Source, WorkCalendar, YearSchedule
from workflows.calendar_declare import NATIONAL
from workflows.calendar_file import load_calendar_data
from workflows.deadlines import Limit
from workflows.office_hours import OfficeHours, Period, Season
from workflows.policy import Clock, Profile, ProfileRule, choose_profile

RULE_KEYS = ("track", "kind", "channel", "category", "urgency")
CALENDAR_CHECK_SECONDS = 60  # how stale another process's calendar edit may be in this one


@dataclass(frozen=True)
class Declared:
    """An active declaration as the clock needs it: which layer, which year, its schedule."""

    layer: str
    year: int
    schedule: YearSchedule


@dataclass
class Runtime:
    """Settings plus the working-day clocks (one per unit) built from the overlay file and the database."""

    settings: Settings
    engine: Engine
    declarations: list[Declared] = field(default_factory=list)
    overrides: list[tuple[str, date, bool]] = field(default_factory=list)  # (unit or "", day, working)
    _stamp: tuple | None = None  # what the calendar was built from; compared at most once a minute
    _checked_at: float = 0.0
    _frozen: bool = False  # a variant built for a preview: never reloads from the database
    _clocks: dict[str, Clock] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings, engine: Engine) -> Runtime:
        runtime = cls(settings=settings, engine=engine)
        runtime.reload_calendar()
        return runtime

    def reload_calendar(self) -> None:
        """Read what admins change at run time (declared years, overrides, categories) from the database."""
        try:
            with Session(self.engine) as session:
                rows = session.exec(select(CalendarDeclaration).where(CalendarDeclaration.status == "active"))
                self.declarations = [declared_of(row) for row in rows]
                self.overrides = [(o.unit_code, o.day, o.working) for o in session.exec(select(CalendarOverride))]
                self.apply_category_edits(session.exec(select(CategoryEdit)).all())
                self._stamp = _calendar_stamp(session)
        except Exception:  # noqa: BLE001 - before the first migration there is no table yet
            self.declarations, self.overrides = [], []
        self._clocks = {}
        self._checked_at = time.monotonic()

    def with_declarations(self, declarations: list[Declared]) -> Runtime:
        """This runtime as it would be with other active declarations (for a preview or a recompute)."""
        return replace(self, declarations=list(declarations), _frozen=True, _clocks={})

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
        """The prefecture bureau's clock (units with their own layers or hours: clock_for)."""
        return self.clock_for(self.settings.app.prefecture_unit)

    def clock_for(self, unit: str | None) -> Clock:
        """The working-day clock of a unit; rebuilt when another process changed the calendar."""
        self._notice_changes()
        unit = unit or self.settings.app.prefecture_unit
        if unit not in self._clocks:
            calendar = WorkCalendar(self.calendar_data().for_unit(unit, self.settings.calendar.layers_for(unit)))
            self._clocks[unit] = Clock(calendar, self._office_hours(unit, calendar))
        return self._clocks[unit]

    def _notice_changes(self) -> None:
        if self._frozen or not self._clocks or time.monotonic() - self._checked_at <= CALENDAR_CHECK_SECONDS:
            return
        self._checked_at = time.monotonic()
        try:
            with Session(self.engine) as session:
                changed = _calendar_stamp(session) != self._stamp
        except Exception:  # noqa: BLE001 - keep the clock we have if the database is briefly away
            changed = False
        if changed:
            self.reload_calendar()

    def calendar_data(self) -> CalendarData:
        """The overlay file with the declared years and overrides of the database over it."""
        data = _overlay(self.settings.overlay_path())
        national = dict(data.extra_years)
        layers = {layer.name: dict(layer.years) for layer in data.layers}
        for declared in self.declarations:
            if declared.layer == NATIONAL:
                national[declared.year] = declared.schedule
            elif declared.layer in layers:
                layers[declared.layer][declared.year] = declared.schedule
        overrides, per_unit = dict(data.overrides), {u: dict(d) for u, d in data.unit_overrides.items()}
        for unit, day, working in self.overrides:
            (per_unit.setdefault(unit, {}) if unit else overrides)[day] = working
        return replace(
            data,
            extra_years=national,
            overrides=overrides,
            unit_overrides=per_unit,
            layers=tuple(replace(layer, years=layers[layer.name]) for layer in data.layers),
        )

    def _office_hours(self, unit: str, calendar: WorkCalendar) -> OfficeHours:
        tz = ZoneInfo(self.settings.app.timezone)
        years = {own.year: _seasons(own.seasons) for own in self.settings.office_hours.units if own.unit == unit}
        seasons = _seasons(self.settings.office_hours.seasons) or OfficeHours.xinjiang_default(calendar).seasons
        return OfficeHours(seasons, calendar, tz, years)

    @cached_property
    def profiles(self) -> dict[str, Profile]:
        profiles = {}
        for name, p in self.settings.limits.profiles.items():
            profiles[name] = Profile(
                name=name,
                contact=Limit.parse(p.contact),
                reply=Limit.parse(p.reply),
                warn_lead=Limit.parse(p.warn_lead),
                extension_cap=Limit.parse(p.extension_cap),
                max_extensions=p.max_extensions,
                acknowledge=Limit.parse(p.acknowledge) if p.acknowledge else None,
            )
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


def _seasons(configured) -> tuple[Season, ...]:
    seasons = []
    for season in configured:
        month, day = (int(x) for x in season.starts.split("-"))
        seasons.append(Season(starts=(month, day), periods=tuple(_period(p) for p in season.periods)))
    return tuple(seasons)


@cache
def _overlay(path: Path) -> CalendarData:
    """The overlay file, read once per process."""
    return load_calendar_data(path)


def declared_of(row: CalendarDeclaration) -> Declared:
    """A declaration row as the clock needs it."""
    days = [(date.fromisoformat(day), bool(working), name) for day, working, name in row.days]
    schedule = YearSchedule(
        holidays=frozenset(d for d, w, _ in days if not w),
        workdays=frozenset(d for d, w, _ in days if w),
        names={d: n for d, _, n in days if n},
        source=Source(row.title, row.number, row.published_on),
    )
    return Declared(layer=row.layer, year=row.year, schedule=schedule)


def _period(text: str) -> Period:
    """'10:00-14:00' as a Period."""
    start, end = text.split("-")
    return Period(clock_time.fromisoformat(start.strip()), clock_time.fromisoformat(end.strip()))


def _calendar_stamp(session: Session) -> tuple:
    """Changes whenever a declaration, an override or a category is added, edited, ended or removed."""
    entries = session.exec(
        select(func.count(), func.max(CalendarOverride.created_at)).select_from(CalendarOverride)
    ).one()
    years = session.exec(
        select(func.count(), func.max(CalendarDeclaration.id), func.max(CalendarDeclaration.ended_at)).select_from(
            CalendarDeclaration
        )
    ).one()
    categories = session.exec(select(func.count(), func.max(CategoryEdit.updated_at)).select_from(CategoryEdit)).one()
    return (*entries, *years, *categories)
