"""The render worker: one process, started with forkserver (never fork beside the platform
threads), that draws the charts, so the event loop never waits on matplotlib. It is warmed in
the background after start-up and stopped with the bot (docs/workflow.md, "Reports").

`drawn` turns a message's `Chart` (what to draw) into its PNG attachment; the outbox dispatcher
calls it just before the message is sent."""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from bot.messages import Attachment, Message
from cards import charts

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None


def _pool_now() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
    return _pool


async def render(fn: Callable[..., bytes], *args: Any) -> bytes:
    """`fn(*args)` (a module-level function: it is pickled) in the worker; its bytes. A worker that
    died is replaced at the next call; this call raises `BrokenProcessPool`."""
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool_now(), fn, *args)
    except BrokenProcessPool:
        shutdown()
        raise


async def drawn(message: Message) -> Message:
    """`message` with its chart drawn as its attachment. Without a CJK font, or when the drawing
    itself fails, the message goes without it and says why; a worker that died raises
    `BrokenProcessPool`, so the send is tried again."""
    chart = message.chart
    if chart is None:
        return message
    draw = charts.DRAWINGS.get(chart.draw)
    if charts.cjk_font() is None:
        return without_chart(message, f"服务器未安装中文字体，{chart.label}从略；请管理员安装 fonts-wqy-microhei")
    try:
        if draw is None:
            raise LookupError(f"no chart named {chart.draw!r}")
        content = await render(draw, *chart.args)
    except BrokenProcessPool:
        raise
    except Exception:
        log.exception("drawing %s failed", chart.name)
        return without_chart(message, f"{chart.label}生成失败，已记入日志")
    return replace(message, chart=None, attachment=Attachment(chart.name, content))


def without_chart(message: Message, note: str) -> Message:
    return replace(message, chart=None, body=f"{message.body}\n（{note}）" if message.body else f"（{note}）")


def working(message: Message) -> Message:
    """What is sent while a slow chart is still being drawn: the message, saying the chart follows."""
    assert message.chart is not None
    return without_chart(message, f"⏳ {message.chart.label}生成中，稍候发出…")


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
