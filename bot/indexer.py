"""The knowledge base's indexer: turns the texts actions queued (`kb_pending`) into searchable
documents right after their commit (docs/knowledge.md, "Indexing").

The pipeline wakes it after every event, as it wakes the outbox dispatcher; it also looks every
`poll_seconds` (texts queued by another process, the backfill of an upgrade). Indexing runs in its
own short transactions, so an action's transaction pays only for its `kb_pending` row.
"""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.aio import woken
from storage import kb

log = logging.getLogger(__name__)


class Indexer:
    """A batch of 100 texts takes about 20 ms on SQLite (docs/performance.md, "Knowledge base"):
    short enough that an upgrade's backfill never holds the event loop for long."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], batch: int = 100, poll_seconds: float = 5.0) -> None:
        self.sessions = sessions
        self.batch = batch
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._running = asyncio.Lock()  # one indexer per process: SQLite has a single writer

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Index one batch of pending texts; returns how many pending rows it took."""
        async with self._running, self.sessions() as session, session.begin():
            return await kb.index_pending(session, self.batch)

    async def catch_up(self) -> int:
        """Index everything pending now (tests, and the start of `serve` after an upgrade)."""
        total = 0
        while n := await self.run_once():
            total += n
            await asyncio.sleep(0)  # SQLite runs on the loop's thread: acks go between batches
        return total

    async def run_forever(self) -> None:
        while True:
            try:
                await self.catch_up()
            except Exception:
                log.exception("indexing the knowledge base failed")
            await woken(self._wake, self.poll_seconds)
