"""Statutory holidays estimated from the law, for years chinese_calendar does not cover, checked
against the years it does; and a deadline that rests on them says so."""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from bot.testkit import TestBot
from scheduler.calendar import WorkCalendar
from scheduler.holidays import statutory_holidays
from tests.scenario import CODE, to_executing


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_estimate_matches_the_announced_holidays(year: int) -> None:
    """Under the 2024 amendment every statutory day is a day off in the State Council's notice
    (which adds more around them, with make-up working days the estimate cannot know)."""
    estimated = statutory_holidays(year)
    assert len(estimated) == 13
    assert all(chinese_calendar.is_holiday(d) for d in estimated), sorted(d for d in estimated
                                                                        if not chinese_calendar.is_holiday(d))


def test_2024_differs_only_by_the_amendment() -> None:
    """Before 2025 除夕 was no statutory holiday (2024-02-09 was a working Friday); every other day was off."""
    off = {d for d in statutory_holidays(2024) if chinese_calendar.is_holiday(d)}
    assert statutory_holidays(2024) - off == {date(2024, 2, 9)}


def test_2027_as_the_law_gives_it() -> None:
    days = statutory_holidays(2027)
    assert {date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8),
            date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2), date(2027, 6, 9), date(2027, 9, 15),
            date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)} == days


def test_a_rework_deadline_over_new_year_2027_skips_the_holiday() -> None:
    """A fail on 2026-12-30 with 3 working days: 31 Dec, (1 Jan is 元旦), 4 Jan, 5 Jan."""
    cal = WorkCalendar()
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert cal.estimated(date(2026, 12, 30), date(2027, 1, 5)) and not cal.estimated(date(2026, 12, 1),
                                                                                     date(2026, 12, 31))
    assert cal.is_workday(date(2027, 2, 9)) and not cal.is_workday(date(2027, 2, 8))  # 初三 is the last day


async def test_a_reply_whose_deadline_rests_on_estimates_says_so(tb: TestBot) -> None:
    await to_executing(tb)
    tb.clock.advance(date(2026, 12, 30) - date(2026, 11, 23) + timedelta(hours=1))
    await tb.say("小张", "市场部", f"/deliver {CODE}/T1 https://docs.example.com/v1")
    [reply] = await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 不通过 40 缺少数据")
    assert "2027-01-05" in reply.as_text()
    assert "估算" in reply.as_text() and "调休" in reply.as_text()
