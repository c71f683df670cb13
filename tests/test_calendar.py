"""scheduler/calendar.py: overrides over chinese_calendar over a weekends-only fallback."""
from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar import WorkCalendar

#: 2026 National Day: 10-01..10-07 off; Sunday 09-20 and Saturday 10-10 are 调休 make-up workdays.
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
MAKEUP_SATURDAY = date(2026, 10, 10)


def test_the_package_agrees_with_the_dates_used_here() -> None:
    """Guard: these tests rely on the State Council's 2026 schedule as chinese_calendar has it."""
    assert all(chinese_calendar.is_holiday(d) for d in NATIONAL_DAY)
    assert MAKEUP_SATURDAY.weekday() == 5 and chinese_calendar.is_workday(MAKEUP_SATURDAY)
    assert chinese_calendar.get_holiday_detail(MAKEUP_SATURDAY)[1] == "National Day"


def test_national_day_is_off_even_on_weekdays() -> None:
    cal = WorkCalendar()
    assert not any(cal.is_workday(d) for d in NATIONAL_DAY)
    assert cal.is_workday(date(2026, 9, 30)) and cal.is_workday(date(2026, 10, 8))


@pytest.mark.parametrize("day", [MAKEUP_SATURDAY, date(2026, 9, 20), date(2026, 2, 14), date(2026, 5, 9)])
def test_makeup_weekend_days_are_workdays(day: date) -> None:
    assert day.weekday() >= 5
    assert WorkCalendar().is_workday(day)


def test_ordinary_weekend_is_off() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(date(2026, 11, 28)) and not cal.is_workday(date(2026, 11, 29))
    assert cal.is_workday(date(2026, 11, 27))


@pytest.mark.parametrize("start, days, expected", [
    (date(2026, 9, 30), 1, date(2026, 10, 8)),  # straight over the holiday
    (date(2026, 9, 30), 3, MAKEUP_SATURDAY),  # 10-08, 10-09, then the make-up Saturday
    (date(2026, 9, 30), 4, date(2026, 10, 12)),
    (date(2026, 10, 8), -1, date(2026, 9, 30)),
    (date(2026, 10, 3), 0, date(2026, 10, 3)),
    (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday + 1 → Monday
])
def test_add_workdays_across_holidays(start: date, days: int, expected: date) -> None:
    assert WorkCalendar().add_workdays(start, days) == expected


def test_workdays_between() -> None:
    cal = WorkCalendar()
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4  # 10-08, 10-09, 10-10, 10-12
    assert cal.workdays_between(date(2026, 10, 12), date(2026, 9, 30)) == -4
    assert cal.workdays_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    assert cal.workdays_between(date(2026, 11, 23), date(2026, 11, 23)) == 0
    assert cal.workdays_between(date(2026, 11, 23), date(2026, 11, 30)) == 5


def test_add_and_between_agree() -> None:
    cal = WorkCalendar()
    start = date(2026, 9, 15)
    for n in range(0, 25):
        assert cal.workdays_between(start, cal.add_workdays(start, n)) == n


def _counted_one_by_one(cal: WorkCalendar, start: date, end: date) -> int:
    days = (end - start).days
    sign, first = (1, start) if days >= 0 else (-1, end)
    return sign * sum(cal.is_workday(first + timedelta(days=i)) for i in range(1, abs(days) + 1))


@settings(max_examples=200, deadline=None)
@given(start=st.dates(date(2025, 1, 1), date(2027, 12, 31)), days=st.integers(-800, 800))
def test_workdays_between_counts_every_day(start: date, days: int) -> None:
    """The running counts per year agree with looking at each day, across years and backwards."""
    cal = WorkCalendar()
    end = start + timedelta(days=days)
    assert cal.workdays_between(start, end) == _counted_one_by_one(cal, start, end)


def test_workdays_between_follows_new_stored_overrides() -> None:
    cal = WorkCalendar()
    start, end = date(2026, 9, 30), date(2026, 10, 12)
    assert cal.workdays_between(start, end) == 4
    cal.use_stored_overrides({date(2026, 10, 5): True})  # an admin's /calendar add
    assert cal.workdays_between(start, end) == 5
    cal.use_stored_overrides({})
    assert cal.workdays_between(start, end) == 4


def test_next_workday() -> None:
    cal = WorkCalendar()
    assert cal.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 9, 30)) == date(2026, 9, 30)


def test_uncovered_year_falls_back_to_weekdays_and_estimated_holidays_and_warns_once(
        caplog: pytest.LogCaptureFixture) -> None:
    years: list[int] = []
    cal = WorkCalendar(on_uncovered_year=years.append)
    assert cal.covers(2026) and not cal.covers(2027)
    with caplog.at_level(logging.WARNING, logger="scheduler.calendar"):
        week = [cal.is_workday(date(2027, 3, 1) + timedelta(days=i)) for i in range(7)]
        assert week == [True] * 5 + [False] * 2
        assert not cal.is_workday(date(2027, 10, 1)), "a Friday, but 国庆 by the estimate from the law"
        assert cal.is_workday(date(2027, 10, 8)), "调休 cannot be estimated: the week after is plain weekdays"
        assert cal.add_workdays(date(2027, 3, 5), 1) == date(2027, 3, 8)
        assert cal.workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 1  # (31 Dec, 4 Jan]: 元旦 is off
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2027" in warnings[0].getMessage()
    assert years == [2027]


def test_overrides_beat_the_package_and_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar({MAKEUP_SATURDAY: False, date(2026, 10, 5): True, date(2027, 3, 1): False})
    assert not cal.is_workday(MAKEUP_SATURDAY)
    assert cal.is_workday(date(2026, 10, 5))
    with caplog.at_level(logging.WARNING, logger="scheduler.calendar"):
        assert not cal.is_workday(date(2027, 3, 1))
    assert not caplog.records, "an overridden day needs no holiday data"
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 5)
