"""Group commit for inbox claims: events arriving together are claimed in one transaction (bot/pipeline.py).

Every event must be stored durably before its ack, and one transaction per event caps a
webhook at a few hundred events per second. Claims that arrive while a batch is being written
wait for the next batch, so a quiet bot still claims each event at once and a busy one writes
many per commit.
"""
from __future__ import annotations

import asyncio

from bot.events import Event
from bot.router import Router

MAX_BATCH = 500


class ClaimBatcher:
    def __init__(self, router: Router, max_batch: int = MAX_BATCH) -> None:
        self.router = router
        self.max_batch = max_batch
        self._pending: list[tuple[Event, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def claim(self, event: Event) -> bool:
        """True when this delivery is the first of its event; False for a duplicate."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            try:
                results = await self.router.claim_many([event for event, _ in batch])
            except Exception as exc:  # nobody in this batch is acked; the platform delivers again
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), first in zip(batch, results):
                if not future.done():
                    future.set_result(first)
