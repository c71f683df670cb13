"""Delivery into the emulator: store the bot's message in the chat history, then push it live."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from html import escape
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.messages import PRIVATE_PREFIX, Message
from bot.outbox import OutboundItem
from cards.html import Directory, render_html
from cards.model import Specs
from storage import local_chat
from storage.models import LocalMessage

log = logging.getLogger(__name__)
BOT_NAME = "协作机器人"
#: The emulator replaces any message it stored; a bound keeps the column a plain datetime.
EMULATOR_EDIT_WINDOW = timedelta(days=3650)


class Hub:
    """The open emulator pages; every stored or updated message is pushed to all of them."""

    def __init__(self) -> None:
        self.sockets: set[web.WebSocketResponse] = set()

    async def broadcast(self, event: dict[str, Any]) -> None:
        for ws in list(self.sockets):
            try:
                await ws.send_json(event)
            except (ConnectionError, RuntimeError):
                self.sockets.discard(ws)

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in list(self.sockets)), return_exceptions=True)
        self.sockets.clear()


async def directory(session: AsyncSession) -> Directory:
    people = await local_chat.people(session)
    return Directory(tuple((p.name, dept) for p, dept in people), tuple(await local_chat.department_names(session)))


def preview(row: LocalMessage) -> str:
    """One line for the chat list: the text typed, or the card's title."""
    return (row.text or str((row.payload or {}).get("title", "")))[:80]


def view(row: LocalMessage, where: Directory, specs: Specs) -> dict[str, Any]:
    """A history row as the page shows it; the bot's cards come as rendered HTML, a file it
    carries as a download link under its card (served by `bot.platforms.local.web.download`)."""
    message = Message.from_json(row.payload) if row.payload else None
    html = render_html(message, specs, where) if message else ""
    if message is not None and message.attachment is not None:
        name = escape(message.attachment.name)
        shown = f'<img class="chart" src="/files/{row.id}" alt="{name}">' if message.attachment.is_image else ""
        html = (f'<div class="with-file">{html}{shown}<a class="file" href="/files/{row.id}" download="{name}">下载 {name}'
                f'（{len(message.attachment.content) // 1024 + 1} KB）</a></div>')  # one element: the page shows one
    return {"id": row.id, "chat": row.chat_id, "author_id": row.author_id, "author_name": row.author_name,
            "text": row.text, "html": html, "preview": preview(row), "at": row.created_at.isoformat(),
            "edited": row.updated_at is not None}


class LocalSender:
    """The outbox's sender for platform "local"; an `update` item replaces the clicked card."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], hub: Hub, clock: Clock, specs: Specs) -> None:
        self.sessions = sessions
        self.specs = specs
        self.hub = hub
        self.clock = clock

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        return EMULATOR_EDIT_WINDOW

    async def send(self, item: OutboundItem) -> str:
        now = self.clock.now()
        chat_id = "p2p:" + item.chat_id.removeprefix(PRIVATE_PREFIX) if item.chat_id.startswith(PRIVATE_PREFIX) \
            else item.chat_id
        async with self.sessions() as session, session.begin():
            row = None
            if item.kind == "update" and item.reply_to and item.reply_to.isdigit():
                row = await local_chat.replace_payload(session, chat_id, int(item.reply_to),
                                                       item.message.to_json(), now)
            kind = "update" if row is not None else "message"
            if row is None:
                row = await local_chat.add(session, chat_id, "", BOT_NAME, now, payload=item.message.to_json())
            shown = view(row, await directory(session), self.specs)
        await self.hub.broadcast({"type": kind, "message": shown})
        return str(shown["id"])
