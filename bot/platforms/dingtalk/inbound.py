"""Stream callbacks → the bot: claim in the inbox, ack at once, work after the ack.

A bot message is claimed in the inbox (durable dedup on `msgId`) and acked; the command runs
right after in a task, so the ack never waits for the workflow (DingTalk redelivers after ~60 s,
platform notes §0.5). A card callback answers with the updated card, so it runs inline for up to
`card_answer_seconds`. A failed claim (database down) is not acked, so DingTalk delivers the
frame again.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import dingtalk_stream
from dingtalk_stream.frames import AckMessage, CallbackMessage

from bot.app import Bot
from bot.config import DingTalkConfig
from bot.events import Command
from bot.messages import Message
from bot.platforms.dingtalk import translate
from bot.platforms.dingtalk.api import DingTalkApi
from bot.platforms.dingtalk.sender import card_params
from bot.platforms.dingtalk.webhooks import SessionWebhooks
from bot.router import Outcome

log = logging.getLogger(__name__)

BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK
DRAIN_SECONDS = 10.0
UPDATE_OPTIONS = {"updateCardDataByKey": True, "updatePrivateDataByKey": True}


class DingTalkInbound:
    def __init__(self, bot: Bot, api: DingTalkApi, webhooks: SessionWebhooks, config: DingTalkConfig) -> None:
        self.bot = bot
        self.api = api
        self.webhooks = webhooks
        self.config = config
        self._tasks: set[asyncio.Task[Any]] = set()

    async def message(self, data: dict[str, Any]) -> None:
        command, hook = translate.message(data)
        if hook is not None:
            self.webhooks.remember(command.message_id, command.chat.chat_id, hook)
        if await self.bot.router.claim(command):
            self._spawn(self._process(command))

    async def _process(self, command: Command) -> None:
        await self.bot.router.process(command)
        self.bot.dispatcher.wake()

    async def card(self, data: dict[str, Any], frame_id: str) -> dict[str, Any] | None:
        """Run a card action; returns the callback response that updates the card (None: no change).

        A workflow action's answer becomes the card's new state for everyone (the outbox's
        `update` row repeats it with `PUT /v1.0/card/instances`, which also covers an answer that
        took longer than `card_answer_seconds`); a refusal is shown to the clicker only; other
        replies (a form to fill) are posted as new messages by the outbox.
        """
        action = translate.card_action(data, frame_id, self.bot.registry.specs)
        task = self._spawn(self.bot.router.handle(action))
        try:
            async with asyncio.timeout(self.config.card_answer_seconds):  # not wait_for: see bot/aio.py
                outcome: Outcome = await asyncio.shield(task)
        except TimeoutError:
            task.add_done_callback(lambda _: self.bot.dispatcher.wake())
            return None
        if not outcome.replies:  # a duplicate answers with the first delivery's kept outcome
            return None
        self.bot.dispatcher.wake()
        first = outcome.replies[0]
        if outcome.error:
            return {"cardUpdateOptions": UPDATE_OPTIONS, "userPrivateData": {"cardParamMap": {"error": error_line(first)}}}
        if outcome.replaces_card:
            return {"cardUpdateOptions": UPDATE_OPTIONS, "cardData": {"cardParamMap": card_params(first, self.bot.registry.specs)},
                    "userPrivateData": {"cardParamMap": {"error": outcome.toast}}}
        if outcome.toast:  # the clicker's line on the card: its current state is posted below it
            return {"cardUpdateOptions": UPDATE_OPTIONS, "userPrivateData": {"cardParamMap": {"error": outcome.toast}}}
        return None

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Let claimed work finish; what does not finish stays pending in the inbox for the next start."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=DRAIN_SECONDS)
        for task in list(self._tasks):
            task.cancel()


def error_line(message: Message) -> str:
    """A refusal as one line for the card's error slot."""
    return f"{message.title}：{(message.body.splitlines() or [''])[0]}"[:200]


class BotMessages(dingtalk_stream.CallbackHandler):
    """SDK handler for bot messages: hand over and ack."""

    def __init__(self, inbound: DingTalkInbound) -> None:
        super().__init__()
        self.inbound = inbound

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        try:
            await self.inbound.message(callback.data)
        except translate.BadPayload as exc:  # acked so it is not redelivered; nothing ran
            log.warning("dingtalk message refused: %s", exc)
        return AckMessage.STATUS_OK, "OK"


class CardCallbacks(dingtalk_stream.CallbackHandler):
    """SDK handler for card callbacks: run the action, answer with the card update."""

    def __init__(self, inbound: DingTalkInbound) -> None:
        super().__init__()
        self.inbound = inbound

    async def process(self, callback: CallbackMessage) -> tuple[int, Any]:
        try:
            response = await self.inbound.card(callback.data, callback.headers.message_id)
        except translate.BadPayload as exc:
            log.warning("dingtalk card callback refused: %s", exc)
            response = None
        return AckMessage.STATUS_OK, response
