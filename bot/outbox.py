"""The outbox dispatcher: claims due rows and sends them through each platform's sender.

Senders raise `PermanentSendError` for failures that retrying cannot fix (bot removed from the
group); anything else is retried with exponential backoff.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.messages import Message
from bot.metrics import Metrics
from storage import outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundItem:
    key: str
    platform: str
    chat_id: str
    kind: str
    message: Message
    reply_to: str | None = None


class Sender(Protocol):
    async def send(self, item: OutboundItem) -> str:
        """Deliver one message; returns the platform's message id."""
        ...


class PermanentSendError(Exception):
    """A send that must not be retried."""


class Dispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], senders: dict[str, Sender], clock: Clock,
                 metrics: Metrics, batch: int = 50, max_attempts: int = 8, poll_seconds: float = 1.0) -> None:
        self.sessions = sessions
        self.senders = senders
        self.clock = clock
        self.metrics = metrics
        self.batch = batch
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Send now rather than at the next poll (a user is waiting for a reply)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and send one batch; returns how many rows were handled."""
        async with self.sessions() as session, session.begin():
            rows = await outbox.claim(session, self.clock.now(), self.batch)
            items = [(r.id, r.attempts, OutboundItem(r.key, r.platform, r.chat_id, r.kind,
                                                     Message.from_json(r.payload), r.reply_to)) for r in rows]
        for row_id, attempts, item in items:
            await self._deliver(row_id, attempts, item)
        return len(items)

    async def drain(self) -> int:
        """Send everything that is due now (tests and shutdown)."""
        total = 0
        while n := await self.run_once():
            total += n
        return total

    async def run_forever(self) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except Exception:
                log.exception("outbox dispatch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def _deliver(self, row_id: int, attempts: int, item: OutboundItem) -> None:
        sender = self.senders.get(item.platform)
        try:
            if sender is None:
                raise PermanentSendError(f"no sender for platform {item.platform!r}")
            message_id = await sender.send(item)
        except PermanentSendError as exc:
            await self._record(outbox.give_up, row_id, f"permanent: {exc}")
            self.metrics.sent.labels(item.platform, "failed").inc()
            log.warning("outbox %s gave up: %s", item.key, exc)
        except Exception as exc:  # transient: back off and retry
            if attempts >= self.max_attempts:
                await self._record(outbox.give_up, row_id, f"gave up after {attempts} attempts: {exc!r}")
                self.metrics.sent.labels(item.platform, "failed").inc()
            else:
                when = self.clock.now() + timedelta(seconds=min(2 ** attempts, 300))
                await self._record(outbox.retry_later, row_id, when, repr(exc))
                self.metrics.sent.labels(item.platform, "retry").inc()
        else:
            await self._record(outbox.mark_sent, row_id, self.clock.now(), message_id)
            self.metrics.sent.labels(item.platform, "sent").inc()

    async def _record(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        async with self.sessions() as session, session.begin():
            await fn(session, *args)
