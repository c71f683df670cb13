"""Exactly once across a SIGKILL and across two processes, counted at a fake platform.

The bot runs as a real subprocess (`crash_bot.py`). The fake counts raw receipts and, like
Feishu's `uuid`, deduplicates on the outbox key the sender passes as idempotency id. A kill can
leave a send that reached the platform unrecorded in the outbox (at most one in flight per chat);
the restart re-sends it under the same key and the platform drops it. So: every notice is
delivered exactly once after platform dedup, and raw re-sends are bounded by the chats in flight.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.testkit import TestBot, demo_config, seed_open_tasks
from tests.fake_platform import FakePlatform
from storage.models import OutboxMessage

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 9, 30, 30, tzinfo=SH)  # Monday, just after the 09:30 notices fire
SCRIPT = Path(__file__).with_name("crash_bot.py")
NOTICES = 500
CHATS = 5  # the demo org's non-PMO departments: tasks are spread over them


async def seed(db_url: str) -> None:
    tb = await TestBot.create(demo_config(db_url), datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    try:
        await seed_open_tasks(tb.bot, NOTICES, [date(2026, 11, 23)], tb.clock.now())
    finally:
        await tb.close()


async def spawn(db_url: str, url: str, log: Path, digest_max: int) -> asyncio.subprocess.Process:
    env = dict(os.environ, PYTHONPATH=str(SCRIPT.parent.parent))  # the repo root: `tests` is a package
    return await asyncio.create_subprocess_exec(sys.executable, str(SCRIPT), db_url, url, START.isoformat(),
                                                str(digest_max), stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
                                                env=env)


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; bot log:\n{log.read_text(errors='replace')[-3000:]}")


async def notice_rows(db_url: str) -> list[OutboxMessage]:
    from storage.db import make_engine, make_sessionmaker
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("task:"))
                                               .order_by(OutboxMessage.id))).all())
    finally:
        await engine.dispose()


async def test_sigkill_mid_fan_out_then_restart_delivers_each_notice_once(db_url: str, tmp_path: Path) -> None:
    await seed(db_url)
    platform = FakePlatform(delay=0.004)
    url = await platform.start()
    log = tmp_path / "bot.log"
    procs = []
    try:
        procs.append(await spawn(db_url, url, log, digest_max=1))
        await wait_for(lambda: sum(1 for k in platform.received() if k.startswith("task:")) >= 150, 60,
                       "the fan-out to be under way", log)
        procs[0].send_signal(signal.SIGKILL)
        await procs[0].wait()
        at_kill = sum(1 for k in platform.received() if k.startswith("task:"))
        assert at_kill < NOTICES, "the kill came after the fan-out: nothing was tested"
        procs.append(await spawn(db_url, url, log, digest_max=1))

        def all_delivered() -> bool:
            return sum(1 for k in platform.delivered() if k.startswith("task:")) >= NOTICES
        await wait_for(all_delivered, 90, "every notice after the restart", log)
        await asyncio.sleep(0.5)  # anything still to come would be a duplicate
    finally:
        for proc in procs:
            await stop(proc)
        await platform.stop()
    rows = await notice_rows(db_url)
    assert len(rows) == NOTICES and all(r.status == "sent" and r.platform_message_id for r in rows)
    delivered, received = platform.delivered(), platform.received()
    keys = [r.key for r in rows]
    assert all(delivered[k] == 1 for k in keys)  # exactly once at the platform, after its dedup
    resent = sum(received[k] for k in keys) - NOTICES
    print(f"\ncrash test [{db_url.split(':')[0]}]: {at_kill} notices received before SIGKILL, "
          f"{sum(received[k] for k in keys)} raw receipts for {NOTICES} notices ({resent} re-sent, dropped by dedup)")
    assert 0 <= resent <= CHATS  # only sends in flight at the kill: one per chat at most


async def test_two_processes_on_one_postgresql_send_each_notice_once_in_order(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share PostgreSQL; SQLite is for one process")
    await seed(db_url)
    platform = FakePlatform(delay=0.002)
    url = await platform.start()
    log = tmp_path / "bots.log"
    procs = []
    try:
        procs = [await spawn(db_url, url, log, digest_max=10) for _ in range(2)]
        await wait_for(lambda: sum(1 for k in platform.delivered() if k.startswith("task:")) >= NOTICES, 90,
                       "every notice", log)
        await asyncio.sleep(1.0)
    finally:
        for proc in procs:
            await stop(proc)
        await platform.stop()
    rows = await notice_rows(db_url)
    keys = [r.key for r in rows]
    received = platform.received()
    assert len(rows) == NOTICES and all(received[k] == 1 for k in keys)  # once, without needing any dedup
    order = {r.key: r.id for r in rows}
    per_chat: dict[str, list[int]] = defaultdict(list)
    for body in platform.raw:
        per_chat[body["chat_id"]] += [order[k] for k in body["covers"] if k in order]
    assert all(ids == sorted(ids) for ids in per_chat.values())  # no chat's messages overtook each other
    sends = sum(1 for body in platform.raw if any(k in order for k in body["covers"]))
    print(f"\ntwo processes: {NOTICES} notices in {sends} digest sends, each received exactly once, in order per chat")
