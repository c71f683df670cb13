"""Rebuild neutral events from inbox rows, to finish work a crashed process had acked."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import CardAction, Chat, Command, Event, Mention, User
from storage import inbox


async def unfinished_events(sessions: async_sessionmaker[AsyncSession], statuses: tuple[str, ...] = ("pending",)
                            ) -> list[Event]:
    async with sessions() as session:
        rows = await inbox.unfinished(session, statuses=statuses)
    events: list[Event] = []
    for row in rows:
        p = row.payload
        chat = Chat(row.platform, p["chat"], p.get("group", True))
        user = User(row.platform, p["user"], p.get("name", ""))
        if p.get("type") == "card":
            events.append(CardAction(chat, user, row.event_key.removeprefix("card:"), p["command"], p["values"],
                                     p.get("card_message_id", ""), bool(p.get("form"))))
        else:
            mentions = tuple(Mention(*m) for m in p.get("mentions", []))
            events.append(Command(chat, user, p["message_id"], p["text"], mentions))
    return events
