"""Small asyncio helpers the runtime and the adapters share."""
from __future__ import annotations

import asyncio
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
