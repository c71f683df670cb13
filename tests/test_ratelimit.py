"""The sliding-window limiter shared by platform adapters."""
from __future__ import annotations

import asyncio
import random
import time

import pytest

from bot.platforms.ratelimit import KeyedWindows, SlidingWindow


async def call(window: SlidingWindow | KeyedWindows, seconds: float = 0.0,
               key: str | None = None) -> tuple[float, float]:
    """One paced call taking `seconds`: when it started and when it ended."""
    async with window.slot(key) if isinstance(window, KeyedWindows) else window.slot():
        started = time.monotonic()
        await asyncio.sleep(seconds)
        return started, time.monotonic()


async def test_window_admits_limit_then_waits() -> None:
    window = SlidingWindow(5, 0.2)
    started = time.monotonic()
    for _ in range(5):
        await call(window)
    assert time.monotonic() - started < 0.1
    await call(window)
    assert time.monotonic() - started >= 0.19


async def test_the_window_counts_from_the_end_of_a_call() -> None:
    """The platform counts a request on arrival, which may be as late as its answer: a slow call
    (a token fetch first, a busy network) must not let the next one in sooner."""
    window = SlidingWindow(1, 0.1)
    _, first_ended = await call(window, 0.2)
    second_started, _ = await call(window)
    assert second_started - first_ended >= 0.099


async def test_a_full_window_of_running_calls_makes_the_next_wait_for_one_to_end() -> None:
    window = SlidingWindow(2, 0.05)
    slow = [asyncio.create_task(call(window, 0.2)) for _ in range(2)]
    await asyncio.sleep(0.01)  # both are running
    started, _ = await call(window)
    assert started >= min(end for _, end in await asyncio.gather(*slow)) + 0.049


async def test_calls_limit_apart_never_overlap_a_window() -> None:
    """Whatever each call takes, the call `limit` places later starts a whole window after it ended."""
    rng = random.Random(7)
    window = SlidingWindow(4, 0.05)
    spans = await asyncio.gather(*(call(window, rng.choice([0, 0, 0.01, 0.04])) for _ in range(20)))
    starts = sorted(start for start, _ in spans)
    ends = sorted(end for _, end in spans)
    # Any window-long span [t, t + 0.05) that holds 5 arrivals would need the 5th start before the
    # window after the 1st end: arrivals lie between a call's start and its end.
    assert all(later - earlier >= 0.049 for earlier, later in zip(ends, starts[4:]))


async def test_a_failed_call_still_counts() -> None:
    window = SlidingWindow(1, 0.1)
    with pytest.raises(RuntimeError):
        async with window.slot():
            raise RuntimeError("the request may have reached the platform")
    failed_at = time.monotonic()
    started, _ = await call(window)
    assert started - failed_at >= 0.09


async def test_keys_are_independent_and_idle_keys_are_dropped() -> None:
    keyed = KeyedWindows(1, 0.05, max_keys=2)
    started = time.monotonic()
    await asyncio.gather(call(keyed, key="a"), call(keyed, key="b"))
    assert time.monotonic() - started < 0.04
    await asyncio.sleep(0.06)
    await call(keyed, key="c")
    assert set(keyed._windows) == {"c"}


async def test_no_key_means_no_per_key_limit() -> None:
    keyed = KeyedWindows(1, 10.0)
    started = time.monotonic()
    await asyncio.gather(*(call(keyed) for _ in range(5)))
    assert time.monotonic() - started < 0.5 and not keyed._windows


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0)
