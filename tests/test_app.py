"""bot/app.py: the bot's start and its two-step stop."""
from __future__ import annotations

import asyncio

from bot.events import Chat, Command, User
from bot.platforms.memory import PLATFORM
from bot.testkit import TestBot, demo_config
from storage import outbox
from tests.conftest import MONDAY
from tests.lifetime import running


async def test_after_stop_sending_replies_stay_queued_for_the_next_start(db_url: str) -> None:
    """Shutdown stops delivery before the platform clients close; what is handled meanwhile
    (adapters drain their last events) waits in the outbox instead of racing the clients."""
    async with running(TestBot.create(demo_config(db_url), MONDAY)) as tb:
        await tb.bot.start()
        await tb.bot.stop_sending()
        event = Command(Chat(PLATFORM, "研发部", is_group=True, title="研发部"), User(PLATFORM, "李工", "李工"),
                        "late-1", "/help")
        outcome = await tb.bot.dispatch(event)
        assert not outcome.error
        await asyncio.sleep(0.2)
        assert tb.sender.sent_keys == []
        async with tb.bot.sessions() as session:
            assert await outbox.depth(session) == 1
