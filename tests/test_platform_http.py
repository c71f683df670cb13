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


@pytest.mark.parametrize(("error", "calls"), [(Retryable("busy"), 3), (KeyError("x"), 1)])
async def test_gives_up_after_the_attempts_and_never_retries_other_errors(error: Exception, calls: int) -> None:
    made = 0

    async def failing() -> None:
        nonlocal made
        made += 1
        raise error

    with pytest.raises(type(error)):
        await with_retries(failing, attempts=3, base=0.001)
    assert made == calls
