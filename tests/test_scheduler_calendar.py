"""Working days: 2026 National Day and its 调休 Saturday, the 2027 estimate, overrides, and the
inverse "which anchors fire on this day" that the planner's range queries rely on."""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def test_national_day_2026_and_make_up_saturday() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(date(2026, 10, 1)) and not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))  # 调休: a working Saturday
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4  # 8, 9, 10 (Sat), 12
    assert cal.previous_workday(date(2026, 10, 5)) == date(2026, 9, 30)


def test_next_workday_at_in_the_departments_zone() -> None:
    cal = WorkCalendar()
    at = time(9, 30)
    # Wednesday 30 Sep, 10:00 in Shanghai: 09:30 has passed, the next working day is 8 Oct.
    got = cal.next_workday_at(datetime(2026, 9, 30, 10, 0, tzinfo=SH), at, SH)
    assert got == datetime(2026, 10, 8, 9, 30, tzinfo=SH)
    assert got.tzinfo == timezone.utc
    # Before 09:30 on a working day: the same day.
    assert cal.next_workday_at(datetime(2026, 10, 10, 8, 0, tzinfo=SH), at, SH) == datetime(2026, 10, 10, 9, 30,
                                                                                            tzinfo=SH)
    # A department in London sees its own 09:30.
    london = ZoneInfo("Europe/London")
    assert cal.next_workday_at(datetime(2026, 11, 23, 10, 0, tzinfo=SH), at, london) == datetime(
        2026, 11, 23, 9, 30, tzinfo=london)


def test_uncovered_year_falls_back_and_warns_once(caplog) -> None:  # type: ignore[no-untyped-def]
    told: list[int] = []
    cal = WorkCalendar(on_uncovered_year=told.append)
    with caplog.at_level(logging.WARNING):
        assert not cal.is_workday(date(2027, 1, 1))  # a Friday, but 元旦 by the estimate from the law
        assert not cal.is_workday(date(2027, 1, 2)) and cal.is_workday(date(2027, 1, 8))
        assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert told == [2027]
    assert sum("2027" in r.message for r in caplog.records) == 1
    assert cal.uncovered_years == {2027}
    assert not cal.covers(2027) and cal.covers(2026)


def test_stored_overrides_layer_over_configured_ones() -> None:
    cal = WorkCalendar({date(2027, 1, 1): False, date(2027, 2, 20): True})
    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_workday(date(2027, 2, 20))
    cal.use_stored_overrides({date(2027, 1, 1): True, date(2027, 1, 4): False})
    assert cal.is_workday(date(2027, 1, 1)) and not cal.is_workday(date(2027, 1, 4))
    assert cal.is_workday(date(2027, 2, 20))  # the configured override survives a reload
    cal.use_stored_overrides({})
    assert not cal.is_workday(date(2027, 1, 1))


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2026, 9, 1), date(2027, 3, 1)), st.integers(-5, 5))
def test_anchors_firing_on_is_the_exact_inverse_of_fire_day(day: date, offset: int) -> None:
    cal = WorkCalendar({date(2027, 1, 1): False})
    found = cal.anchors_firing_on(day, offset)
    brute = [day + timedelta(days=k) for k in range(-30, 31) if cal.fire_day(day + timedelta(days=k), offset) == day]
    if found is None:
        assert brute == []
    else:
        lo, hi = found
        assert brute == [lo + timedelta(days=k) for k in range((hi - lo).days + 1)]
