"""Several bot processes share the platforms' app-wide send limits (docs/reliability.md,
"Several processes"): each live process, counted by its heartbeat, paces to its share, and a
process that stops, or dies, hands its share back."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import Bot
from bot.clock import FixedClock
from bot.messages import CardKind, Message
from bot.platforms.feishu.adapter import FeishuAdapter
from storage import outbox
from tests.conftest import MONDAY
from tests.fakes.feishu import FakeFeishu
from tests.feishu_rig import feishu_config

CHATS = [f"oc_share{i}" for i in range(30)]


async def _processes(db_url: str, fake: FakeFeishu, n: int) -> list[tuple[Bot, FeishuAdapter]]:
    """`n` bots on one database and one Feishu app, as `n` `serve` processes would be."""
    out = []
    for _ in range(n):
        bot = Bot(feishu_config(db_url, fake.url, "webhook"), clock=FixedClock(MONDAY))
        await bot.prepare_database()
        out.append((bot, FeishuAdapter(bot)))
    return out


async def _stop(procs: list[tuple[Bot, FeishuAdapter]]) -> None:
    for bot, adapter in procs:
        await adapter.stop()
        await bot.stop()


async def _queue(bot: Bot, per_chat: int, tag: str) -> int:
    rows = [{"key": f"share:{tag}:{chat}:{i}", "platform": "feishu", "chat_id": chat, "kind": "notice",
             "payload": Message(f"通知 {i}", template=CardKind.NOTICE).to_json(), "due_at": bot.clock.now(),
             "created_at": bot.clock.now()} for chat in CHATS for i in range(per_chat)]
    async with bot.sessions() as session, session.begin():
        return await outbox.enqueue(session, rows)


async def _send_all(procs: list[tuple[Bot, FeishuAdapter]]) -> None:
    """Both dispatchers at once until the outbox is empty: one's drain ends when the other holds
    every chat left, as its poll would then find nothing until that chat is free again."""
    for _ in range(20):
        await asyncio.gather(*(bot.dispatcher.drain() for bot, _ in procs))
        async with procs[0][0].sessions() as session:
            if not await outbox.depth(session):
                return
    raise AssertionError("the outbox did not empty")


async def test_live_processes_split_the_app_limit_and_a_dead_ones_share_returns(db_url: str, feishu_fake: FakeFeishu
                                                                                ) -> None:
    procs = await _processes(db_url, feishu_fake, 2)
    (a, adapter_a), (b, adapter_b) = procs
    try:
        assert await a.beat() == 1 and adapter_a.api.app_limit.limit == 50
        assert await b.beat() == 2 and await a.beat() == 2
        assert adapter_a.api.app_limit.limit == adapter_b.api.app_limit.limit == 25
        for bot in (a, b):
            assert isinstance(bot.clock, FixedClock)
            bot.clock.advance(timedelta(seconds=3 * a.config.scheduler.heartbeat_seconds + 1))
        assert await a.beat() == 1, "b stopped beating: its row lapsed"
        assert adapter_a.api.app_limit.limit == 50
        assert await b.beat() == 2  # b is back
        await b.stop()  # a clean stop signs off at once
        assert await a.beat() == 1
    finally:
        await _stop(procs)


async def test_two_processes_sending_at_once_stay_within_the_app_limit(db_url: str, feishu_fake: FakeFeishu) -> None:
    """150 notices to 30 chats, sent by two processes at once: with their shares (25/s each) Feishu
    refuses nothing; each pacing to the full 50/s, together they draw 429s (retried, so nothing is
    lost either way)."""
    fake = feishu_fake
    procs = await _processes(db_url, fake, 2)
    try:
        results = {}
        for shared in (False, True):
            if shared:
                for bot, _ in procs * 2:  # each sees the other on its next beat
                    await bot.beat()
                await asyncio.sleep(1.1)  # the fake's window of the first round is over
            fake.rejected_429 = 0
            queued = await _queue(procs[0][0], 5, f"shared={shared}")
            sent_before = len(fake.sent_order)
            await _send_all(procs)
            results[shared] = (fake.rejected_429, len(fake.sent_order) - sent_before, queued)
        assert results[True] == (0, 150, 150), results
        assert results[False][0] > 0, f"without sharing the two processes exceed 50/s together: {results}"
    finally:
        await _stop(procs)
