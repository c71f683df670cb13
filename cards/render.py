"""The render worker: one process, started with forkserver (never fork beside the platform
threads), that draws the charts and writes the workbooks, so the event loop never waits on
matplotlib or XlsxWriter. It is warmed in the background after start-up and stopped with the
bot (docs/workflow.md, "Reports").

`made` turns a message's `Artifact` (what to make) into its attachment; the outbox dispatcher
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
from cards.workbook import workbook

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None
#: What a message's artifact may name (`bot.messages.Artifact.make`): nothing else is looked up by name.
MAKERS: dict[str, Callable[..., bytes]] = {**charts.DRAWINGS, "workbook": workbook}


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


async def made(message: Message) -> Message:
    """`message` with its artifact made into its attachment. A chart without a CJK font, or an
    artifact whose making fails, is left out and the message says why; a worker that died raises
    `BrokenProcessPool`, so the send is tried again."""
    artifact = message.artifact
    if artifact is None:
        return message
    make = MAKERS.get(artifact.make)
    if artifact.make in charts.DRAWINGS and charts.cjk_font() is None:
        return without_artifact(message, f"服务器未安装中文字体，{artifact.label}从略；请管理员安装 fonts-wqy-microhei")
    try:
        if make is None:
            raise LookupError(f"no maker named {artifact.make!r}")
        content = await render(make, *artifact.args)
    except BrokenProcessPool:
        raise
    except Exception:
        log.exception("making %s failed", artifact.name)
        return without_artifact(message, f"{artifact.label}生成失败，已记入日志")
    return replace(message, artifact=None, attachment=Attachment(artifact.name, content))


def without_artifact(message: Message, note: str) -> Message:
    return replace(message, artifact=None, body=f"{message.body}\n（{note}）" if message.body else f"（{note}）")


def working(message: Message) -> Message:
    """What is sent while a slow artifact is still being made: the message, saying it follows."""
    assert message.artifact is not None
    return without_artifact(message, f"⏳ {message.artifact.label}生成中，稍候发出…")


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
