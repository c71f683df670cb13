"""Waiting in tests for something another task or process does."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def wait_until(predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0,
                     what: str = "condition") -> None:
    """Poll `predicate` until it holds; fail the test with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def stops_if_cancelled_as_woken(task: asyncio.Task[Any], wake: Callable[[], object]) -> bool:
    """Whether `task` ends when it is cancelled in the loop turn in which `wake()` hands it what it
    waits for (where Python 3.11's `asyncio.wait_for` loses the cancel). The task is stopped either way."""
    try:
        wake()
        task.cancel()
        await asyncio.wait({task}, timeout=1)
        return task.cancelled()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
