"""The sliding-window limiter shared by platform adapters."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot.platforms.ratelimit import KeyedWindows, SlidingWindow


async def test_window_admits_limit_then_waits() -> None:
    window = SlidingWindow(5, 0.2)
    started = time.monotonic()
    for _ in range(5):
        await window.acquire()
    assert time.monotonic() - started < 0.1
    await window.acquire()
    assert time.monotonic() - started >= 0.19


async def test_no_span_ever_holds_more_than_the_limit() -> None:
    window = SlidingWindow(4, 0.1)
    stamps: list[float] = []

    async def take() -> None:
        await window.acquire()
        stamps.append(time.monotonic())

    await asyncio.gather(*(take() for _ in range(13)))
    stamps.sort()
    assert all(later - earlier >= 0.099 for earlier, later in zip(stamps, stamps[4:]))


async def test_keys_are_independent_and_idle_keys_are_dropped() -> None:
    keyed = KeyedWindows(1, 0.05, max_keys=2)
    started = time.monotonic()
    await asyncio.gather(keyed.acquire("a"), keyed.acquire("b"))
    assert time.monotonic() - started < 0.04
    await asyncio.sleep(0.06)
    await keyed.acquire("c")
    assert set(keyed._windows) == {"c"}


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0)
