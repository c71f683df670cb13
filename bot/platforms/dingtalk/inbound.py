"""Stream callbacks → the bot: claim in the inbox, ack at once, work after the ack.

A bot message is claimed in the inbox (durable dedup on `msgId`) and acked; the command runs
right after in a task, so the ack never waits for the workflow (DingTalk redelivers after ~60 s,
platform notes §0.5). A card callback answers with the updated card, so it runs inline for up to
`card_answer_seconds`; a slower one is acked with "processing" and the card is updated through
`PUT /v1.0/card/instances` when the work is done. A failed claim (database down) is not acked,
so DingTalk delivers the frame again.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import dingtalk_stream
from dingtalk_stream.frames import AckMessage, CallbackMessage

from bot.app import Bot
from bot.config import DingTalkConfig
from bot.events import CardAction, Command
from bot.messages import Message
from bot.platforms.dingtalk import PLATFORM, translate
from bot.platforms.dingtalk.api import DingTalkApi
from bot.platforms.dingtalk.webhooks import SessionWebhooks
from bot.router import Outcome
from cards.dingtalk import markdown
from storage import outbox

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
        """Run a card action; returns the callback response that updates the card (None: no change)."""
        action = translate.card_action(data, frame_id)
        task = self._spawn(self.bot.router.handle(action))
        try:
            outcome: Outcome = await asyncio.wait_for(asyncio.shield(task), self.config.card_answer_seconds)
        except TimeoutError:
            task.add_done_callback(lambda t: self._spawn(self._update_later(action, t)))
            return {"cardUpdateOptions": UPDATE_OPTIONS,
                    "userPrivateData": {"cardParamMap": {"status": "处理中…", "statusText": "结果稍后更新到卡片"}}}
        if outcome.duplicate:
            return None
        self.bot.dispatcher.wake()
        return await self._answer(action, outcome)

    async def _answer(self, action: CardAction, outcome: Outcome) -> dict[str, Any] | None:
        """Show the first reply on the card: to everyone when it worked, to the clicker when refused."""
        if not outcome.replies:
            return None
        update = answer_params(outcome.replies[0])
        if outcome.error:
            return {"cardUpdateOptions": UPDATE_OPTIONS, "userPrivateData": {"cardParamMap": update}}
        await self._answered(action)
        return {"cardUpdateOptions": UPDATE_OPTIONS, "cardData": {"cardParamMap": update}}

    async def _update_later(self, action: CardAction, task: asyncio.Task[Outcome]) -> None:
        if task.cancelled() or task.exception() is not None or not action.card_message_id:
            return
        outcome = task.result()
        self.bot.dispatcher.wake()
        if outcome.replies and not outcome.error:
            await self.api.update_card(action.card_message_id, answer_params(outcome.replies[0]))
            await self._answered(action)

    async def _answered(self, action: CardAction) -> None:
        """The first reply is shown on the card itself: do not post it again as a message."""
        async with self.bot.sessions() as session, session.begin():
            await outbox.mark_answered(session, f"{PLATFORM}:{action.dedup_key}:", action.chat.chat_id,
                                       action.card_message_id, self.bot.clock.now())

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


def answer_params(message: Message) -> dict[str, str]:
    """Card variables that show a reply in place of the card's status line."""
    title, text = markdown(message)
    return {"status": title, "statusText": text}


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
