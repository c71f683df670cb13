"""Decoded Feishu events → `Bot.accept`, the same for webhook and long connection; the answer
back in Feishu's terms.

A message the bot is meant to hear is acked once the pipeline has claimed it; a card callback
is answered with a toast, and with the card's new state when the pipeline answered it inline
(Feishu shows a callback's answer only within 3 s: `card_answer_seconds`); the bot joining or
leaving a group is a `ChatChanged` event (bot/pipeline.py).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, TypeVar

from bot.app import Bot
from bot.config import FeishuConfig
from bot.events import CardAction, Command, User
from bot.platforms.feishu import PLATFORM, translate
from bot.platforms.feishu.api import FeishuApi
from bot.router import Outcome, strip_bot_mentions
from cards.feishu import feishu_card

log = logging.getLogger(__name__)
E = TypeVar("E", Command, CardAction)
#: How long an event waits for its sender's name (message events carry only the open_id) before
#: it goes on without it: the name is a courtesy, the ack is not.
NAME_WAIT = 0.5


class FeishuInbound:
    def __init__(self, bot: Bot, api: FeishuApi, config: FeishuConfig) -> None:
        self.bot = bot
        self.api = api
        self.config = config
        self.bot_open_id = config.bot_open_id
        self._names: dict[str, str] = {}
        self._asking: dict[str, asyncio.Task[str]] = {}

    async def accept(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        """Take one event; returns the callback answer for card actions, else None.

        Raises `translate.BadEvent` for a malformed payload (nothing is stored then).
        """
        kind = translate.event_type(envelope)
        if kind == translate.MESSAGE:
            command = translate.command(envelope, self.bot_open_id)
            if command is not None and self._addressed(command):
                await self.bot.accept(await self._named(command))
        elif kind == translate.BOT_ADDED or kind in translate.CHAT_GONE:
            await self.bot.accept(translate.chat_changed(envelope))
        elif kind == translate.CARD_ACTION:
            try:
                action = translate.card_action(envelope)
            except translate.BadEvent as exc:  # the clicker gets a clear answer, nothing runs
                log.warning("card action refused: %s", exc)
                return {"toast": {"type": "error", "content": "无法识别的卡片操作"}}
            return self._answer(await self.bot.accept(await self._named(action), self.config.card_answer_seconds))
        return None

    def _addressed(self, command: Command) -> bool:
        """Group chatter is not for the bot: only @bot messages and slash commands are."""
        if not command.chat.is_group:
            return True
        return any(m.is_bot for m in command.mentions) or strip_bot_mentions(command).startswith(("/", "／"))

    async def _named(self, event: E) -> E:
        """The event with its sender's display name, when it is known or found quickly."""
        name = await self._name(event.sender.user_id)
        return replace(event, sender=User(PLATFORM, event.sender.user_id, name)) if name else event

    async def _name(self, open_id: str) -> str:
        """The sender's name from the contact API, asked once per person and process; an answer
        slower than NAME_WAIT is kept for the person's next event."""
        if open_id in self._names:
            return self._names[open_id]
        asking = self._asking.get(open_id)
        if asking is None:
            asking = self._asking[open_id] = asyncio.ensure_future(self._ask(open_id))
        try:
            async with asyncio.timeout(NAME_WAIT):  # not wait_for: see bot/aio.py
                return await asyncio.shield(asking)
        except TimeoutError:
            return ""

    async def _ask(self, open_id: str) -> str:
        try:
            name = await self.api.user_name(open_id)
        except Exception as exc:  # a name is nice to have; the open_id identifies the person
            log.info("no name for %s: %r", open_id, exc)
            name = ""  # not asked again: without the scope every call fails
        self._names[open_id] = name
        self._asking.pop(open_id, None)
        return name

    def _answer(self, outcome: Outcome | None) -> dict[str, Any]:
        """A card callback's answer: a toast, and the card's new state when it is answered inline."""
        if outcome is None:
            return {"toast": {"type": "info", "content": "处理中，结果稍后发到群里"}}
        if outcome.duplicate and not outcome.replies:  # still in flight elsewhere, or not a click we answered
            return {"toast": {"type": "info", "content": "已处理过"}}
        if not outcome.replies:
            return {"toast": {"type": "success", "content": "已完成"}}
        first = outcome.replies[0]
        said = (first.body.splitlines() or [""])[0] if outcome.error else first.title
        answer: dict[str, Any] = {"toast": {"type": "error" if outcome.error else "info" if outcome.toast else "success",
                                            "content": outcome.toast or said[:80] or "已完成"}}
        if outcome.answered_inline:  # else the card changes through the outbox, or not at all
            answer["card"] = {"type": "raw", "data": feishu_card(first, self.bot.registry.specs)}
        return answer

    async def close(self) -> None:
        """Stop asking for names."""
        for task in list(self._asking.values()):
            task.cancel()
        await asyncio.gather(*self._asking.values(), return_exceptions=True)
