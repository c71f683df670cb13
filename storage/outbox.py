"""The outbox: replies and notices queued in the action's transaction, sent by the dispatcher.

A row's `key` is unique, so queueing the same notice twice is a no-op. A claimed row gets
status `sending` and a lease (its `due_at` moves to the lease's end): if the process dies
mid-send, the lease runs out and another claim picks the row up again.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.upsert import insert_ignore

LEASE = timedelta(seconds=60)


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Queue rows (key, platform, chat_id, kind, payload, due_at, created_at, ...); duplicates skipped."""
    for row in rows:
        row.setdefault("status", "pending")
        row.setdefault("attempts", 0)
        row.setdefault("error", "")
    return await insert_ignore(session, OutboxMessage, rows, ["key"])


async def claim(session: AsyncSession, now: datetime, limit: int) -> Sequence[OutboxMessage]:
    """Take up to `limit` due rows for sending; other processes skip rows locked here."""
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = (await session.scalars(stmt)).all()
    for row in rows:
        row.status = "sending"
        row.due_at = now + LEASE
        row.attempts += 1
    await session.flush()
    return rows


async def mark_sent(session: AsyncSession, row_id: int, now: datetime, platform_message_id: str) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                          .values(status="sent", sent_at=now, platform_message_id=platform_message_id, error=""))


async def retry_later(session: AsyncSession, row_id: int, when: datetime, error: str) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                          .values(status="pending", due_at=when, error=error[:2000]))


async def give_up(session: AsyncSession, row_id: int, error: str) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                          .values(status="failed", error=error[:2000]))


async def withdraw(session: AsyncSession, key_prefix: str) -> int:
    """Cancel pending rows whose key starts with `key_prefix` (a plan change made them moot)."""
    result = await session.execute(update(OutboxMessage)
                                   .where(OutboxMessage.key.startswith(key_prefix, autoescape=True),
                                          OutboxMessage.status == "pending")
                                   .values(status="withdrawn"))
    return result.rowcount or 0


async def depth(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(or_(OutboxMessage.status == "pending",
                                                OutboxMessage.status == "sending"))) or 0)


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.min(OutboxMessage.due_at))
                                .where(OutboxMessage.status.in_(("pending", "sending"))))


async def mark_answered(session: AsyncSession, key_prefix: str, chat_id: str, message_id: str, now: datetime) -> bool:
    """Mark the first pending reply under `key_prefix` as sent: it was shown inline (a card callback's answer)."""
    row = await session.scalar(select(OutboxMessage)
                               .where(OutboxMessage.key.startswith(key_prefix, autoescape=True),
                                      OutboxMessage.kind == "reply", OutboxMessage.chat_id == chat_id,
                                      OutboxMessage.status == "pending")
                               .order_by(OutboxMessage.id).limit(1))
    if row is None:
        return False
    row.status, row.sent_at, row.platform_message_id = "sent", now, message_id
    return True
