"""Decoded Feishu events → the bot, the same for webhook and long connection.

Messages are claimed in the inbox (durable dedup on message_id) before the ack and processed
right after it; card callbacks run inline because Feishu shows their answer (toast and updated
card) only if it comes within 3 s; the bot joining a group is greeted with how to /bind it.
"""
from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Bot
from bot.config import FeishuConfig
from bot.events import CardAction, Command, User
from bot.messages import CardKind, Field, Message
from bot.outbox import tell_lost
from bot.platforms.claims import ClaimBatcher
from bot.platforms.feishu import PLATFORM, translate
from bot.platforms.feishu.api import FeishuApi
from bot.router import Outcome, strip_bot_mentions
from cards.feishu import feishu_card
from storage import inbox, org, outbox

log = logging.getLogger(__name__)
E = TypeVar("E", Command, CardAction)

WORKER = "feishu-worker"
QUIET = 0.005
MAX_YIELD = 0.1

#: Bold comes from the card's field labels: message text is always shown literally (docs/cards.md).
GREETING = Message("协作机器人已加入本群", "大家好！我负责跨部门协作的发起、评估、任务、进度、交付和复盘。",
                   (Field("第一步", "部门负责人在本群 @机器人 发送 /bind 部门名（如 /bind 研发部），把本群绑定为部门群"),
                    Field("查看全部命令", "@机器人 发送 /help")), template=CardKind.HELP, color="blue")


class FeishuInbound:
    def __init__(self, bot: Bot, api: FeishuApi, config: FeishuConfig) -> None:
        self.bot = bot
        self.api = api
        self.config = config
        self.bot_open_id = config.bot_open_id
        self._names: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._queues: list[asyncio.Queue[Command]] = []
        self.claims = ClaimBatcher(bot.router)
        self._acking = 0  # events being accepted right now: they go first
        self._last_ack = 0.0

    async def accept(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        """Take one event; returns the callback answer for card actions, else None.

        Raises `translate.BadEvent` for a malformed payload (nothing is stored then).
        """
        self._acking += 1
        try:
            return await self._accept(envelope)
        finally:
            self._acking -= 1
            self._last_ack = asyncio.get_running_loop().time()

    async def _accept(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        kind = translate.event_type(envelope)
        if kind == translate.MESSAGE:
            command = translate.command(envelope, self.bot_open_id)
            if command is not None and self._addressed(command) and await self.claims.claim(command):
                self._enqueue(command)
        elif kind == translate.BOT_ADDED:
            await self._greet(envelope)
        elif kind in translate.CHAT_GONE:
            await self._lose(envelope)
        elif kind == translate.CARD_ACTION:
            try:
                action = translate.card_action(envelope)
            except translate.BadEvent as exc:  # the clicker gets a clear answer, nothing runs
                log.warning("card action refused: %s", exc)
                return {"toast": {"type": "error", "content": "无法识别的卡片操作"}}
            return await self._card(action)
        return None

    def _addressed(self, command: Command) -> bool:
        """Group chatter is not for the bot: only @bot messages and slash commands are."""
        if not command.chat.is_group:
            return True
        return any(m.is_bot for m in command.mentions) or strip_bot_mentions(command).startswith(("/", "／"))

    def _enqueue(self, command: Command) -> None:
        """Claimed messages wait for a worker: one per shard of chats, so a chat's messages run in
        order and a burst cannot take every database connection away from the claims."""
        if not self._queues:
            self._queues = [asyncio.Queue() for _ in range(max(1, self.config.workers))]
            for queue in self._queues:
                self._spawn(self._work(queue), WORKER)
        shard = zlib.crc32(command.chat.chat_id.encode()) % len(self._queues)
        self._queues[shard].put_nowait(command)

    async def _work(self, queue: asyncio.Queue[Command]) -> None:
        while True:
            command = await queue.get()
            await self._quiet()
            try:
                await self._process(command)
            except Exception:  # the inbox row stays pending: resumed at the next start
                log.exception("processing %s failed", command.dedup_key)
            finally:
                queue.task_done()

    async def _quiet(self) -> None:
        """Acks first: Feishu waits for them, and the work is already claimed. Start the next event
        once no ack is running or arrived within QUIET s, or after MAX_YIELD s at the latest (so a
        long burst still makes progress; its replies are paced at 50/s anyway)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_YIELD
        while loop.time() < deadline:
            if not self._acking and loop.time() - self._last_ack >= QUIET:
                return
            await asyncio.sleep(QUIET)

    async def _process(self, command: Command) -> None:
        await self.bot.router.process(await self._named(command))
        self.bot.dispatcher.wake()

    async def _named(self, event: E) -> E:
        """The event with its sender's display name (Feishu events carry only the open_id)."""
        name = await self._name(event.sender.user_id)
        return replace(event, sender=User(PLATFORM, event.sender.user_id, name)) if name else event

    async def _name(self, open_id: str) -> str:
        """The sender's display name (message events carry only the open_id); cached per process."""
        if open_id not in self._names:
            try:
                self._names[open_id] = await self.api.user_name(open_id)
            except Exception as exc:  # a name is nice to have; the open_id identifies the person
                log.info("no name for %s: %r", open_id, exc)
                self._names[open_id] = ""  # not asked again: without the scope every call fails
        return self._names[open_id]

    async def _card(self, action: CardAction) -> dict[str, Any]:
        """Answer a card callback inline; if that takes too long, the reply goes via the outbox."""
        task = self._spawn(self.bot.router.handle(await self._named(action)))
        try:
            async with asyncio.timeout(self.config.card_answer_seconds):  # not wait_for: see bot/aio.py
                outcome: Outcome = await asyncio.shield(task)
        except TimeoutError:
            self.bot.dispatcher.wake()
            return {"toast": {"type": "info", "content": "处理中，结果稍后发到群里"}}
        if outcome.duplicate and not outcome.replies:  # still in flight elsewhere, or not a click we answered
            return {"toast": {"type": "info", "content": "已处理过"}}
        self.bot.dispatcher.wake()
        if not outcome.replies:
            return {"toast": {"type": "success", "content": "已完成"}}
        first = outcome.replies[0]
        said = (first.body.splitlines() or [""])[0] if outcome.error else first.title
        answer: dict[str, Any] = {"toast": {"type": "error" if outcome.error else "info" if outcome.toast else "success",
                                            "content": outcome.toast or said[:80] or "已完成"}}
        if outcome.replaces_card and action.card_message_id:  # else the replies are posted under the card
            answer["card"] = {"type": "raw", "data": feishu_card(first, self.bot.registry.specs)}
        return answer

    async def _greet(self, envelope: dict[str, Any]) -> None:
        chat_id, _ = translate.bot_added(envelope)

        async def greet(session: AsyncSession, key: str, now: datetime) -> None:
            await outbox.enqueue(session, [{"key": f"{PLATFORM}:{key}:greeting", "platform": PLATFORM,
                                            "chat_id": chat_id, "kind": "notice", "payload": GREETING.to_json(),
                                            "due_at": now, "created_at": now}])
        await self._chat_event(envelope, "bot_added", chat_id, greet)

    async def _lose(self, envelope: dict[str, Any]) -> None:
        """The bot was removed from a group, or the group dissolved: a bound department's group is
        marked lost and the PMO told at once, before any notice fails on it."""
        chat_id, why = translate.chat_gone(envelope)

        async def lose(session: AsyncSession, key: str, now: datetime) -> None:
            lost = await org.mark_lost(session, PLATFORM, chat_id, why, now)
            if lost is not None:
                await tell_lost(session, lost, why, now)
        await self._chat_event(envelope, "chat_gone", chat_id, lose)

    async def _chat_event(self, envelope: dict[str, Any], kind: str, chat_id: str,
                          work: Callable[[AsyncSession, str, datetime], Awaitable[None]]) -> None:
        """Run `work` for a chat event once (the inbox claim drops redeliveries), in one transaction."""
        key = f"event:{translate.event_id(envelope)}"
        now = self.bot.clock.now()
        async with self.bot.sessions() as session, session.begin():
            if not await inbox.claim(session, PLATFORM, key, {"type": kind, "chat": chat_id}, now):
                return
            await work(session, key, now)
            await inbox.mark_done(session, PLATFORM, key, now)
        self.bot.dispatcher.wake()

    def _spawn(self, coro: Any, name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("feishu event failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for events already acked to finish (tests and shutdown)."""
        for queue in self._queues:
            await queue.join()
        busy = [t for t in self._tasks if t.get_name() != WORKER]
        await asyncio.gather(*busy, return_exceptions=True)

    async def close(self) -> None:
        """Finish acked events, then stop the workers."""
        await self.drain()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._queues = []
