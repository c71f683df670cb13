"""Heartbeats of the running bot processes: how many share the platforms' app-wide limits.

Each process writes its row every few seconds; a row not refreshed for `stale` belongs to a
process that died, and is removed by the next live process's beat, which then counts one less.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessBeat
from storage.upsert import insert_ignore


async def beat(session: AsyncSession, process_id: str, now: datetime, stale: timedelta) -> int:
    """Record that `process_id` is alive; returns how many processes are (itself included)."""
    await session.execute(delete(ProcessBeat).where(ProcessBeat.seen_at < now - stale, ProcessBeat.id != process_id))
    seen = await session.execute(update(ProcessBeat).where(ProcessBeat.id == process_id).values(seen_at=now))
    if not seen.rowcount:  # type: ignore[attr-defined]
        await insert_ignore(session, ProcessBeat, [{"id": process_id, "started_at": now, "seen_at": now}], ["id"])
    return int(await session.scalar(select(func.count()).select_from(ProcessBeat)) or 1)


async def leave(session: AsyncSession, process_id: str) -> None:
    """A process stopping cleanly hands its share back at once."""
    await session.execute(delete(ProcessBeat).where(ProcessBeat.id == process_id))
