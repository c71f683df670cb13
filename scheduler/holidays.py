"""China's statutory holidays estimated from the rules, for years `chinese_calendar` does not cover.

《全国年节及纪念日放假办法》 as amended in 2024 (in force from 2025): 元旦 1 day (1 Jan); 春节 4 days
(除夕 and 正月初一 to 初三); 清明 1 day (the solar term's day); 劳动节 2 days (1–2 May); 端午 1 day
(五月初五); 中秋 1 day (八月十五); 国庆 3 days (1–3 Oct). `lunar-python` knows both the lunar calendar
and the solar terms (清明 is a solar term, not a lunar date).

This is what the law fixes, not the State Council's yearly notice: the notice also moves days
around the holidays (调休) to make longer breaks, and those make-up working days cannot be
estimated. Callers mark dates that rest on these estimates (docs/scheduler.md, "Working days").
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar, Solar


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of `year` by the rules above."""
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2), date(year, 10, 1), date(year, 10, 2),
            date(year, 10, 3)}
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
    days |= {new_year + timedelta(days=i) for i in range(-1, 3)}  # 除夕 to 初三
    days.add(_solar(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]))
    days.add(_solar(Lunar.fromYmd(year, 5, 5).getSolar()))
    days.add(_solar(Lunar.fromYmd(year, 8, 15).getSolar()))
    return frozenset(d for d in days if d.year == year)


def _solar(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())
