"""The render worker: one process, started with forkserver (never fork beside the platform
threads), that draws the charts, so the event loop never waits on matplotlib. It is warmed in
the background after start-up and stopped with the bot (docs/workflow.md, "Reports")."""
from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_pool: ProcessPoolExecutor | None = None


def _pool_now() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
    return _pool


async def render(fn: Callable[..., bytes], *args: Any) -> bytes:
    """`fn(*args)` (a module-level function: it is pickled) in the worker; its bytes."""
    return await asyncio.get_running_loop().run_in_executor(_pool_now(), fn, *args)


def _import_matplotlib() -> bytes:
    import matplotlib.figure  # noqa: F401 - the import is the warm-up

    return b""


async def warm() -> None:
    """Start the worker and import matplotlib in it, so the first report does not pay for it."""
    await render(_import_matplotlib)


def shutdown() -> None:
    """Stop the worker (the bot's stop, tests): no process outlives its owner."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
