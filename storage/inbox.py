"""Inbound dedup: claim an event's key before acking it; a duplicate finds the key taken."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import changed
from storage.models import InboxEvent
from storage.upsert import insert_ignore, insert_new


async def claim(session: AsyncSession, platform: str, key: str, payload: dict[str, Any], now: datetime,
                done: bool = False) -> bool:
    """True when this call stored the event first; False for a duplicate delivery.

    `done` records it as finished at once, for a claim made inside the transaction doing the work.
    """
    added = await insert_ignore(session, InboxEvent, [{
        "platform": platform, "event_key": key, "status": "done" if done else "pending", "payload": payload,
        "received_at": now, "done_at": now if done else None,
    }], ["platform", "event_key"])
    return added == 1


async def claim_many(session: AsyncSession, platform: str, items: list[tuple[str, dict[str, Any]]],
                     now: datetime) -> set[str]:
    """Claim several (key, payload) at once; returns the keys this call stored (the rest were seen)."""
    rows = list({key: {"platform": platform, "event_key": key, "status": "pending", "payload": payload,
                       "received_at": now} for key, payload in items}.values())
    return {row.event_key for row in await insert_new(session, InboxEvent, rows, ["platform", "event_key"])}


async def mark_done(session: AsyncSession, platform: str, key: str, now: datetime) -> None:
    await session.execute(update(InboxEvent).where(InboxEvent.platform == platform, InboxEvent.event_key == key)
                          .values(status="done", done_at=now))


async def keep_outcome(session: AsyncSession, platform: str, key: str, payload: dict[str, Any]) -> None:
    """Store the event's payload with its outcome, so a redelivery is answered as the first was."""
    await session.execute(update(InboxEvent).where(InboxEvent.platform == platform, InboxEvent.event_key == key)
                          .values(payload=payload))


async def outcome(session: AsyncSession, platform: str, key: str) -> dict[str, Any] | None:
    """The outcome kept with an event by `keep_outcome`, if any."""
    payload = await session.scalar(select(InboxEvent.payload).where(InboxEvent.platform == platform,
                                                                    InboxEvent.event_key == key))
    found = (payload or {}).get("outcome")
    return found if isinstance(found, dict) else None


async def mark_failed(session: AsyncSession, platform: str, key: str, error: str, max_attempts: int) -> int:
    """Record a failed try of an acked event; it is never deleted: retried later (`retryable`),
    and "dead" after `max_attempts`. Returns the number of tries so far."""
    row = await session.scalar(select(InboxEvent).where(InboxEvent.platform == platform, InboxEvent.event_key == key))
    if row is None:
        return 0
    attempts = int(row.payload.get("attempts", 0)) + 1
    row.payload = row.payload | {"attempts": attempts, "error": error[:500]}
    row.status = "dead" if attempts >= max_attempts else "failed"
    return attempts


async def unfinished(session: AsyncSession, limit: int = 1000, statuses: tuple[str, ...] = ("pending",)
                     ) -> Sequence[InboxEvent]:
    """Events acked but not finished: `pending` (the process died; resumed at start-up) or `failed`
    (their work failed; retried later)."""
    return (await session.scalars(select(InboxEvent).where(InboxEvent.status.in_(statuses))
                                  .order_by(InboxEvent.id).limit(limit))).all()


async def purge(session: AsyncSession, older_than: datetime) -> int:
    """Drop finished rows past the retention window (kept ≥ 24 h for platform retries)."""
    result = await session.execute(delete(InboxEvent).where(InboxEvent.status == "done",
                                                            InboxEvent.received_at < older_than))
    return changed(result)


RETENTION = timedelta(hours=48)
