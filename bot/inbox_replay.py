"""Rebuild neutral events from inbox rows, to finish work a crashed process had acked."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import Event, event_from_json
from storage import inbox


async def unfinished_events(sessions: async_sessionmaker[AsyncSession], statuses: tuple[str, ...] = ("pending",)
                            ) -> list[Event]:
    async with sessions() as session:
        rows = await inbox.unfinished(session, statuses=statuses)
    return [event_from_json(row.platform, row.event_key, row.payload) for row in rows]
