"""Stream callbacks → `Bot.accept`; the answer back in DingTalk's terms.

A bot message is acked once the pipeline has claimed it (durable dedup on `msgId`); the command
runs after the ack, so the ack never waits for the workflow (DingTalk redelivers after ~60 s:
docs/dingtalk.md). A card callback answers with the updated card when the pipeline answered it
inline within `card_answer_seconds`. A failed claim (database down) is not acked, so DingTalk
delivers the frame again.
"""
from __future__ import annotations

import logging
from typing import Any

import dingtalk_stream
from dingtalk_stream.frames import AckMessage, CallbackMessage

from bot.app import Bot
from bot.config import DingTalkConfig
from bot.messages import Message
from bot.platforms.dingtalk import translate
from bot.platforms.dingtalk.api import DingTalkApi
from bot.platforms.dingtalk.sender import card_params
from bot.platforms.dingtalk.webhooks import SessionWebhooks

log = logging.getLogger(__name__)

BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK
UPDATE_OPTIONS = {"updateCardDataByKey": True, "updatePrivateDataByKey": True}


class DingTalkInbound:
    def __init__(self, bot: Bot, api: DingTalkApi, webhooks: SessionWebhooks, config: DingTalkConfig) -> None:
        self.bot = bot
        self.api = api
        self.webhooks = webhooks
        self.config = config

    async def message(self, data: dict[str, Any]) -> None:
        """Returns once the message is claimed: the SDK handler then acks it."""
        command, hook = translate.message(data)
        if hook is not None:
            self.webhooks.remember(command.message_id, command.chat.chat_id, hook)
        await self.bot.accept(command)

    async def card(self, data: dict[str, Any], frame_id: str) -> dict[str, Any] | None:
        """Run a card action; returns the callback response that updates the card (None: no change).

        A workflow action's answer becomes the card's new state for everyone when the pipeline
        answers it inline; later than `card_answer_seconds`, the outbox updates the card instead
        (`PUT /v1.0/card/instances`). A refusal is shown to the clicker only; other replies (a
        form to fill) are posted as new messages by the outbox.
        """
        action = translate.card_action(data, frame_id, self.bot.registry.specs)
        outcome = await self.bot.accept(action, self.config.card_answer_seconds)
        if outcome is None or not outcome.replies:  # a duplicate answers with the first delivery's kept outcome
            return None
        first = outcome.replies[0]
        if outcome.error:
            return {"cardUpdateOptions": UPDATE_OPTIONS, "userPrivateData": {"cardParamMap": {"error": error_line(first)}}}
        if outcome.answered_inline:
            return {"cardUpdateOptions": UPDATE_OPTIONS,
                    "cardData": {"cardParamMap": card_params(first, self.bot.registry.specs)},
                    "userPrivateData": {"cardParamMap": {"error": outcome.toast}}}
        if outcome.toast:  # the clicker's line on the card: its current state is posted below it
            return {"cardUpdateOptions": UPDATE_OPTIONS, "userPrivateData": {"cardParamMap": {"error": outcome.toast}}}
        return None


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
