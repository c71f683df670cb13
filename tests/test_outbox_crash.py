"""Exactly once across a SIGKILL and across two processes, counted at a fake platform.

The bot runs as a real subprocess (`crash_bot.py`). The fake counts raw receipts and, like
Feishu's `uuid`, deduplicates on the outbox key the sender passes as idempotency id. A kill can
leave a send that reached the platform unrecorded in the outbox (at most one in flight per chat);
the restart re-sends it under the same key and the platform drops it. So: every notice is
delivered exactly once after platform dedup, and raw re-sends are bounded by the chats in flight.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.testkit import TestBot, demo_config, seed_open_tasks
from storage.db import make_engine, make_sessionmaker
from storage.models import OutboxMessage
from tests.fake_platform import FakePlatform
from tests.lifetime import running

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 9, 30, 30, tzinfo=SH)  # Monday, just after the 09:30 notices fire
SCRIPT = Path(__file__).with_name("crash_bot.py")
NOTICES = 500
CHATS = 5  # the demo org's non-PMO departments: tasks are spread over them


async def seed(db_url: str) -> None:
    async with running(TestBot.create(demo_config(db_url), datetime(2026, 11, 23, 9, 0, tzinfo=SH))) as tb:
        await seed_open_tasks(tb.bot, NOTICES, [date(2026, 11, 23)], tb.clock.now())


class Fleet:
    """The fake platform and the bot processes of one test; the fixture stops them all."""

    def __init__(self, db_url: str, log: Path) -> None:
        self.db_url, self.log = db_url, log
        self.platform = FakePlatform(delay=0.003)
        self.procs: list[asyncio.subprocess.Process] = []

    async def spawn(self, digest_max: int) -> asyncio.subprocess.Process:
        env = dict(os.environ, PYTHONPATH=str(SCRIPT.parent.parent))  # the repo root: tests.* imports
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), self.db_url, self.platform.url, START.isoformat(), str(digest_max),
            stdout=self.log.open("ab"), stderr=asyncio.subprocess.STDOUT, env=env,
            start_new_session=True)  # its own process group: a signal reaches its render worker too
        self.procs.append(proc)
        return proc

    @staticmethod
    def signal(proc: asyncio.subprocess.Process, sig: int) -> None:
        """`sig` to a bot and what it started (the forkserver and render worker a chart starts), as a
        service manager stops a service: none of them outlives the test."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)

    def count(self, counter: Counter[str]) -> int:
        return sum(1 for k in counter if k.startswith("task:"))

    async def wait_for(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        for _ in range(int(seconds * 20)):
            if condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; bot log:\n{self.log.read_text(errors='replace')[-3000:]}")

    async def stop(self) -> None:
        for proc in self.procs:
            self.signal(proc, signal.SIGTERM)  # the bot's children too, even when it is gone already
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                self.signal(proc, signal.SIGKILL)
                await proc.wait()
        await self.platform.stop()


@pytest.fixture
async def fleet(db_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    await seed(db_url)
    fleet = Fleet(db_url, tmp_path / "bots.log")
    await fleet.platform.start()
    try:
        yield fleet
    finally:
        await fleet.stop()


async def notice_rows(db_url: str) -> list[OutboxMessage]:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("task:"))
                                               .order_by(OutboxMessage.id))).all())
    finally:
        await engine.dispose()


async def test_sigkill_mid_fan_out_then_restart_delivers_each_notice_once(fleet: Fleet, db_url: str) -> None:
    platform = fleet.platform
    first = await fleet.spawn(digest_max=1)
    await fleet.wait_for(lambda: fleet.count(platform.received()) >= 150, 60, "the fan-out to be under way")
    fleet.signal(first, signal.SIGKILL)
    await first.wait()
    at_kill = fleet.count(platform.received())
    assert at_kill < NOTICES, "the kill came after the fan-out: nothing was tested"
    await fleet.spawn(digest_max=1)
    await fleet.wait_for(lambda: fleet.count(platform.delivered()) >= NOTICES, 90, "every notice after the restart")
    await asyncio.sleep(0.5)  # anything still to come would be a duplicate
    await fleet.stop()
    rows = await notice_rows(db_url)
    assert len(rows) == NOTICES and all(r.status == "sent" and r.platform_message_id for r in rows)
    delivered, received = platform.delivered(), platform.received()
    keys = [r.key for r in rows]
    assert all(delivered[k] == 1 for k in keys)  # exactly once at the platform, after its dedup
    resent = sum(received[k] for k in keys) - NOTICES
    print(f"\ncrash test [{db_url.split(':')[0]}]: {at_kill} notices received before SIGKILL, "
          f"{sum(received[k] for k in keys)} raw receipts for {NOTICES} notices ({resent} re-sent, dropped by dedup)")
    assert 0 <= resent <= CHATS  # only sends in flight at the kill: one per chat at most


async def test_two_processes_on_one_postgresql_send_each_notice_once_in_order(fleet: Fleet, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share PostgreSQL; SQLite is for one process")
    platform = fleet.platform
    for _ in range(2):
        await fleet.spawn(digest_max=10)
    await fleet.wait_for(lambda: fleet.count(platform.delivered()) >= NOTICES, 90, "every notice")
    await asyncio.sleep(1.0)
    await fleet.stop()
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
