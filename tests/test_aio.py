"""cancel_and_wait: stopping a reconnect loop must work even when the stop lands during its cleanup."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.aio import cancel_and_wait


async def _slow_to_stop() -> None:
    """Like a websocket ping in flight: finishing after a cancel takes a moment."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await asyncio.sleep(0.05)
        raise


async def _reconnect_loop_rounds(stop_child: Callable[[asyncio.Task[None]], Awaitable[None]]) -> tuple[bool, int]:
    rounds = 0
    in_cleanup = asyncio.Event()

    async def serve() -> None:
        watchdog = asyncio.create_task(_slow_to_stop())
        try:
            await asyncio.sleep(0)  # the socket closes by itself
        finally:
            in_cleanup.set()
            await stop_child(watchdog)

    async def run() -> None:
        nonlocal rounds
        while True:  # reconnect after every close, until cancelled
            rounds += 1
            await serve()
            await asyncio.sleep(0.01)

    task = asyncio.create_task(run())
    await in_cleanup.wait()
    task.cancel()  # the stop lands while the loop waits for its watchdog
    await asyncio.wait({task}, timeout=0.5)
    stopped = task.done()
    task.cancel()
    await asyncio.wait({task}, timeout=0.5)
    return stopped, rounds


async def test_a_stop_during_cleanup_ends_the_loop() -> None:
    # With `with suppress(CancelledError): await watchdog` in place of cancel_and_wait, this loop
    # swallows the cancel, reconnects forever, and even the event loop's close hangs on it.
    stopped, rounds = await _reconnect_loop_rounds(cancel_and_wait)
    assert stopped and rounds == 1


async def test_a_child_that_failed_is_waited_for_quietly() -> None:
    async def boom() -> None:
        raise RuntimeError("failed while running")

    task = asyncio.create_task(boom())
    await asyncio.sleep(0)
    await cancel_and_wait(task, None)
    assert task.done() and isinstance(task.exception(), RuntimeError)
