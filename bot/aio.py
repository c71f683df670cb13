"""Small asyncio helpers the runtime and the adapters share.

Bound a wait with `async with asyncio.timeout(...)`, never `asyncio.wait_for`, in code that gets
cancelled: on Python 3.11 `wait_for` returns the awaited result when a cancel lands in the same
loop turn as that result, and the cancel is lost. A loop stopped that way runs on and its stop
hangs (the dispatcher's wake, the DingTalk watchdog's pong: tests/test_outbox_dispatcher.py,
tests/test_dingtalk_stream.py).
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel tasks and wait until they have finished, letting the caller's own cancellation through.

    The common `with suppress(CancelledError): await task` also swallows a cancel aimed at the
    caller while it waits: a reconnect loop stopped that way carries on reconnecting forever, and
    the event loop never closes.
    """
    live = [t for t in tasks if t is not None]
    for task in live:
        task.cancel()
    if live:
        await asyncio.wait(live)
    for task in live:
        if not task.cancelled():
            task.exception()  # retrieved: a task that failed while stopping is not reported twice


async def woken(wake: asyncio.Event, seconds: float) -> None:
    """Wait until `wake` is set or `seconds` pass, then clear it: the idle step of a loop that
    works when woken and also polls (the outbox dispatcher, the indexer)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
    wake.clear()
