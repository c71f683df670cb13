"""bot/dates.py: the date and time forms people type, relative to an explicit `today`."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dates import (
    DATE_FORMS,
    PERIOD_FORMS,
    TIME_FORMS,
    DateError,
    parse_date,
    parse_period,
    parse_time,
)

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize("text, expected", [
    ("2026-12-01", date(2026, 12, 1)),
    ("12-01", date(2026, 12, 1)),
    ("12月1日", date(2026, 12, 1)),
    ("明天", date(2026, 11, 24)),
    ("周五", date(2026, 11, 27)),
    ("下周五", date(2026, 12, 4)),
    ("3天后", date(2026, 11, 26)),
])
def test_every_documented_date_form(text: str, expected: date) -> None:
    assert parse_date(text, MONDAY) == expected


def test_the_documented_lists_are_the_tested_ones() -> None:
    """The forms an error message advertises must all parse (they are what users copy)."""
    for form in DATE_FORMS.split("、"):
        parse_date(form, MONDAY)
    for form in TIME_FORMS.split("、"):
        parse_time(form)


@pytest.mark.parametrize("text, expected", [
    ("2026/12/1", date(2026, 12, 1)), ("2026.12.01", date(2026, 12, 1)), ("2026年12月1日", date(2026, 12, 1)),
    (" 2026-12-01 ", date(2026, 12, 1)), ("12/1", date(2026, 12, 1)), ("12.1号", date(2026, 12, 1)),
    ("12月1号", date(2026, 12, 1)), ("今天", MONDAY), ("today", MONDAY), ("Tomorrow", date(2026, 11, 24)),
    ("后天", date(2026, 11, 25)), ("大后天", date(2026, 11, 26)), ("昨天", date(2026, 11, 22)),
    ("本周三", date(2026, 11, 25)), ("这周日", date(2026, 11, 29)), ("上周五", date(2026, 11, 20)),
    ("下下周一", date(2026, 12, 7)), ("下个星期二", date(2026, 12, 1)), ("礼拜天", date(2026, 11, 29)),
    ("周末", date(2026, 11, 28)), ("fri", date(2026, 11, 27)), ("Friday", date(2026, 11, 27)),
    ("wednesday", date(2026, 11, 25)), ("0天后", MONDAY), ("10 天后", date(2026, 12, 3)),
])
def test_other_accepted_date_forms(text: str, expected: date) -> None:
    assert parse_date(text, MONDAY) == expected


def test_bare_weekday_is_today_or_the_coming_one() -> None:
    friday = date(2026, 11, 27)
    assert parse_date("周五", friday) == friday
    assert parse_date("周四", friday) == date(2026, 12, 3)


@pytest.mark.parametrize("offset", range(7))
def test_next_friday_is_friday_of_next_calendar_week_on_every_weekday(offset: int) -> None:
    today = MONDAY + timedelta(days=offset)
    assert parse_date("下周五", today) == date(2026, 12, 4)
    assert parse_date("下周一", today) == date(2026, 11, 30)


@pytest.mark.parametrize("today, text, expected", [
    (date(2026, 12, 20), "01-05", date(2027, 1, 5)),
    (date(2026, 12, 20), "1月5日", date(2027, 1, 5)),
    (date(2026, 12, 20), "12-01", date(2026, 12, 1)),  # recently past: still this year
    (date(2026, 6, 1), "12-31", date(2026, 12, 31)),
    (date(2026, 7, 1), "01-01", date(2027, 1, 1)),  # 181 days past → next year
    (date(2026, 6, 30), "01-01", date(2026, 1, 1)),  # 180 days past → still this year
    (date(2028, 3, 1), "2月29日", date(2028, 2, 29)),
    (date(2027, 12, 1), "2月29日", date(2028, 2, 29)),  # only next year has that day
])
def test_month_day_without_year_rolls_over(today: date, text: str, expected: date) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize("text", ["2月30日", "2026-02-29", "02-30", "13-01", "2026-13-01", "2026-00-10", "4月31日"])
def test_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(DateError, match="日期不存在"):
        parse_date(text, MONDAY)


@pytest.mark.parametrize("text", ["", "soon", "尽快", "下月", "周八", "12-", "2026-12", "1000天后", "下周", "12月"])
def test_unknown_date_text_lists_the_forms(text: str) -> None:
    with pytest.raises(DateError) as err:
        parse_date(text, MONDAY)
    assert DATE_FORMS in str(err.value)


@pytest.mark.parametrize("text, expected", [
    ("09:30", time(9, 30)), ("9:05", time(9, 5)), ("9：05", time(9, 5)), ("14点", time(14)),
    ("下午3点半", time(15, 30)), ("下午3点", time(15)), ("晚上8点", time(20)), ("上午9点15分", time(9, 15)),
    ("早上7点", time(7)), ("中午12点", time(12)), ("下午12点", time(12)), ("下午15点", time(15)),
    ("23:59", time(23, 59)), ("0:00", time(0)),
])
def test_time_forms(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:60", "25点", "下午", "9", "9.30", "noon", "", "3点61分"])
def test_bad_times(text: str) -> None:
    with pytest.raises(DateError) as err:
        parse_time(text)
    assert TIME_FORMS in str(err.value)


_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(st.text(max_size=40), _days)
def test_parse_date_only_ever_raises_date_error(text: str, today: date) -> None:
    try:
        assert isinstance(parse_date(text, today), date)
    except DateError as err:
        assert str(err)


@given(st.text(max_size=40))
def test_parse_time_only_ever_raises_date_error(text: str) -> None:
    try:
        assert isinstance(parse_time(text), time)
    except DateError as err:
        assert str(err)


@given(st.dates(min_value=date(1000, 1, 1)), _days)
def test_iso_dates_round_trip(day: date, today: date) -> None:
    assert parse_date(day.isoformat(), today) == day


WEDNESDAY = date(2026, 12, 9)


@pytest.mark.parametrize("text, expected", [
    ("本周", (date(2026, 12, 7), date(2026, 12, 13))),
    ("上周", (date(2026, 11, 30), date(2026, 12, 6))),
    ("本月", (date(2026, 12, 1), date(2026, 12, 31))),
    ("上月", (date(2026, 11, 1), date(2026, 11, 30))),
    ("今年", (date(2026, 1, 1), date(2026, 12, 31))),
    ("近30天", (date(2026, 11, 10), date(2026, 12, 9))),
    ("2026-11", (date(2026, 11, 1), date(2026, 11, 30))),
    ("2026年2月", (date(2026, 2, 1), date(2026, 2, 28))),
    ("2026-11-01~2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
    ("11月1日至11月15日", (date(2026, 11, 1), date(2026, 11, 15))),
    ("上周一..周三", (date(2026, 11, 30), date(2026, 12, 9))),
])
def test_every_period_form(text: str, expected: tuple[date, date]) -> None:
    assert parse_period(text, WEDNESDAY) == expected


def test_the_documented_period_forms_parse() -> None:
    for form in PERIOD_FORMS.split("、"):
        parse_period(form, WEDNESDAY)


@pytest.mark.parametrize("text, says", [("明年春天", PERIOD_FORMS), ("12-10~12-01", "结束早于开始"),
                                        ("近0天", "至少"), ("2026-13", "不存在")])
def test_bad_periods(text: str, says: str) -> None:
    with pytest.raises(DateError, match=says):
        parse_period(text, WEDNESDAY)


@given(st.text(max_size=40), _days)
def test_parse_period_only_ever_raises_date_error(text: str, today: date) -> None:
    try:
        start, end = parse_period(text, today)
        assert start <= end
    except DateError as err:
        assert str(err)


@given(_days, _days, _days)
def test_a_range_of_iso_dates_is_those_days(a: date, b: date, today: date) -> None:
    start, end = sorted((a, b))
    assert parse_period(f"{start}~{end}", today) == (start, end)


@given(_days)
def test_weeks_and_months_hold_today_and_follow_each_other(today: date) -> None:
    week, last_week = parse_period("本周", today), parse_period("上周", today)
    month, last_month = parse_period("本月", today), parse_period("上月", today)
    assert week[0] <= today <= week[1] and week[0].weekday() == 0 and (week[1] - week[0]).days == 6
    assert last_week[1] + timedelta(days=1) == week[0]
    assert month[0] <= today <= month[1] and month[0].day == 1 and last_month[1] + timedelta(days=1) == month[0]
