"""Retrying transient platform failures."""
from __future__ import annotations

import time

import pytest

from bot.platforms.http import Retryable, with_retries


async def test_retries_until_success_and_honours_the_hint() -> None:
    calls: list[float] = []

    async def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise Retryable("busy", after=0.05 if len(calls) == 2 else None)
        return "ok"

    assert await with_retries(flaky, attempts=3, base=0.01) == "ok"
    assert calls[2] - calls[1] >= 0.05


async def test_gives_up_after_the_attempts_and_never_retries_other_errors() -> None:
    calls = 0

    async def always_busy() -> None:
        nonlocal calls
        calls += 1
        raise Retryable("busy")

    with pytest.raises(Retryable):
        await with_retries(always_busy, attempts=3, base=0.001)
    assert calls == 3

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("x")

    with pytest.raises(KeyError):
        await with_retries(broken, attempts=3, base=0.001)
    assert calls == 4
