"""Dates and times as people type them in Chinese chats: 2026-12-01, 12-01, 12月1日, 下周五, 明天.

Pure functions over an explicit `today`, so the caller's clock and zone decide what "明天" means.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta

WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
RELATIVE = {"今天": 0, "今日": 0, "today": 0, "明天": 1, "明日": 1, "tomorrow": 1, "后天": 2,
            "大后天": 3, "昨天": -1, "yesterday": -1}
EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

DATE_FORMS = "2026-12-01、12-01、12月1日、明天、周五、下周五、3天后"
TIME_FORMS = "09:30、14点、下午3点半"

_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_SHORT = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_WEEK = re.compile(r"^(下下|下|本|这|上)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天末])$")
_IN_DAYS = re.compile(r"^(\d{1,3})\s*天[后後]$")
_TIME = re.compile(r"^(上午|早上|中午|下午|晚上)?\s*(\d{1,2})(?:[:：](\d{2})|点(半|(\d{1,2})分?)?)$")


class DateError(ValueError):
    """Text that is not a date or time we understand; the message says which forms work."""


def parse_date(text: str, today: date) -> date:
    """Parse one date; month-day without a year means the next such date within ~half a year."""
    s = text.strip().lower()
    if s in RELATIVE:
        return today + timedelta(days=RELATIVE[s])
    if m := _FULL.match(s):
        return _make(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _SHORT.match(s):
        return _month_day(today, int(m[1]), int(m[2]), text)
    if m := _WEEK.match(s):
        return _weekday(today, WEEKDAYS[m[2]], m[1] or "")
    if s[:3] in EN_WEEKDAYS and s in (s[:3], s[:3] + "day", s[:3] + "nesday", s[:3] + "sday", s[:3] + "rsday", s[:3] + "urday"):
        return _weekday(today, EN_WEEKDAYS[s[:3]], "")
    if m := _IN_DAYS.match(s):
        return today + timedelta(days=int(m[1]))
    raise DateError(f"无法识别的日期“{text}”，可写成 {DATE_FORMS}")


def parse_time(text: str) -> time:
    s = text.strip()
    m = _TIME.match(s)
    if not m:
        raise DateError(f"无法识别的时间“{text}”，可写成 {TIME_FORMS}")
    period, hour = m[1], int(m[2])
    minute = int(m[3] or m[5] or 0) + (30 if m[4] == "半" else 0)
    if period in ("下午", "晚上") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise DateError(f"时间超出范围“{text}”，可写成 {TIME_FORMS}")
    return time(hour, minute)


def _month_day(today: date, month: int, day: int, text: str) -> date:
    """This year's date, or next year's when this year's is over ~half a year past or missing (2月29日)."""
    this_year, next_year = _exists(today.year, month, day), _exists(today.year + 1, month, day)
    if this_year and ((today - this_year).days <= 180 or next_year is None):
        return this_year
    if next_year:
        return next_year
    raise DateError(f"日期不存在“{text}”")


def _exists(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"日期不存在“{text}”") from None


def _weekday(today: date, weekday: int, prefix: str) -> date:
    monday = today - timedelta(days=today.weekday())
    if prefix in ("本", "这"):
        return monday + timedelta(days=weekday)
    if prefix == "下":
        return monday + timedelta(days=7 + weekday)
    if prefix == "下下":
        return monday + timedelta(days=14 + weekday)
    if prefix == "上":
        return monday + timedelta(days=weekday - 7)
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead)


PERIOD_FORMS = "本周、上周、本月、上月、今年、近30天、2026-11、2026-11-01~2026-11-30"
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_LAST_DAYS = re.compile(r"^(?:近|最近|过去)\s*(\d{1,3})\s*天$")
_RANGE = re.compile(r"^(.+?)\s*(?:~|～|至|到|\.\.)\s*(.+)$")


def parse_period(text: str, today: date) -> tuple[date, date]:
    """A period as people name it, as (first day, last day): 本周 and 上周 (Monday to Sunday), 本月,
    上月, 今年, 近N天 (ending today), a month (2026-11), or two dates joined by ~ 至 到 or ..
    (each in any form `parse_date` takes)."""
    s = text.strip().lower()
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    if s in ("本周", "这周", "this week"):
        return monday, monday + timedelta(days=6)
    if s in ("上周", "last week"):
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if s in ("本月", "这个月", "this month"):
        return first_of_month, _month_end(first_of_month)
    if s in ("上月", "上个月", "last month"):
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    if s in ("今年", "本年", "this year"):
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if m := _LAST_DAYS.match(s):
        days = int(m[1])
        if days < 1:
            raise DateError(f"天数至少为 1“{text}”")
        return today - timedelta(days=days - 1), today
    if m := _MONTH.match(s):
        first = _make(int(m[1]), int(m[2]), 1, text)
        return first, _month_end(first)
    if m := _RANGE.match(s):
        try:
            start, end = parse_date(m[1], today), parse_date(m[2], today)
        except DateError:
            raise DateError(f"无法识别的时间段“{text}”，可写成 {PERIOD_FORMS}") from None
        if end < start:
            raise DateError(f"时间段的结束早于开始“{text}”")
        return start, end
    raise DateError(f"无法识别的时间段“{text}”，可写成 {PERIOD_FORMS}")


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
