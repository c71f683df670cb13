"""Working days in China: admin overrides over `chinese_calendar` over estimated statutory holidays
over weekends.

`chinese_calendar` only knows years the State Council has announced and raises for later ones;
such a year uses the statutory holidays estimated from the law (scheduler/holidays.py) on top of
Monday–Friday, with one loud warning per year, never an exception, because a reminder must not
crash on a date in 2027. Make-up working days (调休) of such a year cannot be estimated.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

from scheduler.holidays import statutory_holidays

log = logging.getLogger(__name__)


class WorkCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 on_uncovered_year: Callable[[int], None] | None = None) -> None:
        self._configured: dict[date, bool] = dict(overrides or {})
        self.overrides: dict[date, bool] = dict(self._configured)
        self._warned: set[int] = set()
        self._on_uncovered_year = on_uncovered_year
        self._known: dict[date, bool] = {}  # the package's answers: its lookup scans all its dates
        self._covered: dict[int, bool] = {}
        self._counts: dict[int, list[int]] = {}  # year → working days from 1 Jan through each day

    def use_stored_overrides(self, stored: Mapping[date, bool]) -> None:
        """Layer the database's overrides (`/calendar add`) over the configured ones."""
        overrides = self._configured | dict(stored)
        if overrides != self.overrides:
            self.overrides, self._counts = overrides, {}

    @property
    def uncovered_years(self) -> frozenset[int]:
        """Years met so far that fell back to Monday–Friday (for the admins' notice)."""
        return frozenset(self._warned)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = self._known.get(day)
        if known is None:
            try:
                known = chinese_calendar.is_workday(day)
            except NotImplementedError:
                self._warn(day.year)
                known = day.weekday() < 5 and day not in statutory_holidays(day.year)
            self._known[day] = known
        return known

    def estimated(self, start: date, end: date) -> bool:
        """Whether counting working days over [start, end] relies on estimated holidays: a day in a
        year the holiday data does not cover, and not fixed by an admin override."""
        years = range(min(start, end).year, max(start, end).year + 1)
        return any(not self.covers(y) for y in years)

    def covers(self, year: int) -> bool:
        if year not in self._covered:
            try:
                chinese_calendar.is_workday(date(year, 6, 1))
                self._covered[year] = True
            except NotImplementedError:
                self._covered[year] = False
        return self._covered[year]

    def add_workdays(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        step = 1 if days >= 0 else -1
        day, left = start, abs(days)
        while left:
            day += timedelta(days=step)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.workdays_between(end, start)
        return (self._through(end) - self._through(start)
                + sum(self._year_counts(y)[-1] for y in range(start.year, end.year)))

    def _through(self, day: date) -> int:
        """Working days from 1 January of `day`'s year through `day`."""
        return self._year_counts(day.year)[day.timetuple().tm_yday - 1]

    def _year_counts(self, year: int) -> list[int]:
        """Running count of working days over the year, built once per year (reports and the
        portfolio count working days late for every task of every collaboration)."""
        if year not in self._counts:
            first, total, counts = date(year, 1, 1), 0, []
            for i in range((date(year + 1, 1, 1) - first).days):
                total += self.is_workday(first + timedelta(days=i))
                counts.append(total)
            self._counts[year] = counts
        return self._counts[year]

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def previous_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the last one before it."""
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def at(self, day: date, when: time, zone: ZoneInfo) -> datetime:
        """`day` at the wall-clock time `when` in `zone`, as aware UTC."""
        return datetime.combine(day, when, tzinfo=zone).astimezone(timezone.utc)

    def next_workday_at(self, instant: datetime, when: time, zone: ZoneInfo) -> datetime:
        """The first working day's `when` (e.g. 09:30) in `zone` at or after `instant`."""
        day = self.next_workday(instant.astimezone(zone).date())
        while self.at(day, when, zone) < instant:
            day = self.next_workday(day + timedelta(days=1))
        return self.at(day, when, zone)

    def fire_day(self, anchor: date, offset: int) -> date:
        """The working day a notice about `anchor` fires: `offset` working days after (before when
        negative) it, or for offset 0 the anchor itself, moved back to a working day."""
        return self.add_workdays(anchor, offset) if offset else self.previous_workday(anchor)

    def anchors_firing_on(self, day: date, offset: int) -> tuple[date, date] | None:
        """All anchors whose `fire_day(anchor, offset)` is `day`, as an inclusive date range.

        The planner turns "what fires today" into a range query on an indexed date column.
        """
        if not self.is_workday(day):
            return None
        if offset > 0:
            return self.add_workdays(day, -offset), self.add_workdays(day, 1 - offset) - timedelta(days=1)
        if offset < 0:
            return self.add_workdays(day, -offset - 1) + timedelta(days=1), self.add_workdays(day, -offset)
        return day, self.next_workday(day + timedelta(days=1)) - timedelta(days=1)

    def _warn(self, year: int) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        log.warning("chinese_calendar has no holiday data for %s: using Monday–Friday and the statutory "
                    "holidays estimated from the law (no 调休 make-up days); correct them with /calendar or "
                    "[calendar] in config once the State Council announces %s", year, year)
        if self._on_uncovered_year:
            self._on_uncovered_year(year)
