"""Group-committed inbox claims: one transaction for a batch, first delivery wins."""
from __future__ import annotations

import asyncio

from bot.claims import ClaimBatcher
from bot.events import Chat, Command, User
from bot.testkit import TestBot


def command(message_id: str) -> Command:
    return Command(Chat("feishu", "oc_1"), User("feishu", "ou_1"), message_id, "/help")


async def test_claim_many_marks_first_deliveries(tb: TestBot) -> None:
    router = tb.bot.router
    assert await router.claim_many([command("m1"), command("m1"), command("m2")]) == [True, False, True]
    assert await router.claim_many([command("m2"), command("m3")]) == [False, True]
    assert await router.claim_many([command("m3")]) == [False]


async def test_concurrent_claims_share_batches_and_dedup(tb: TestBot) -> None:
    batcher = ClaimBatcher(tb.bot.router, max_batch=7)
    events = [command(f"x{i % 20}") for i in range(60)]  # each message delivered three times
    results = await asyncio.gather(*(batcher.claim(e) for e in events))
    assert sum(results) == 20
    assert {e.message_id for e, first in zip(events, results) if first} == {f"x{i}" for i in range(20)}
