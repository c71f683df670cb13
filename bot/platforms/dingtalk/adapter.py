"""The DingTalk adapter as one piece: stream client in, sender for the outbox out."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from bot.app import Bot
from bot.config import DingTalkConfig
from bot.platforms.dingtalk import PLATFORM
from bot.platforms.dingtalk.api import DingTalkApi
from bot.platforms.dingtalk.inbound import (
    BOT_TOPIC,
    CARD_TOPIC,
    BotMessages,
    CardCallbacks,
    DingTalkInbound,
)
from bot.platforms.dingtalk.sender import DingTalkSender
from bot.platforms.dingtalk.stream import StreamClient, StreamTiming
from bot.platforms.dingtalk.webhooks import SessionWebhooks


class DingTalkAdapter:
    def __init__(self, bot: Bot, config: DingTalkConfig | None = None) -> None:
        self.bot = bot
        self.config = config or bot.config.dingtalk
        self.api = DingTalkApi(self.config)
        bot.app_limits.add(self.api.app_limit)
        self.webhooks = SessionWebhooks(timedelta(seconds=self.config.webhook_margin_seconds))
        self.inbound = DingTalkInbound(bot, self.api, self.webhooks, self.config)
        self.sender = DingTalkSender(self.api, self.config, self.webhooks, bot.clock, bot.registry.specs)
        bot.add_sender(PLATFORM, self.sender)
        self.stream = StreamClient(self.api, StreamTiming(
            self.config.reconnect_base_seconds, self.config.reconnect_max_seconds, self.config.keepalive_seconds,
            self.config.watchdog_seconds))
        self.stream.register_callback_handler(BOT_TOPIC, BotMessages(self.inbound))
        self.stream.register_callback_handler(CARD_TOPIC, CardCallbacks(self.inbound))
        self._task: asyncio.Task[None] | None = None

    def add_routes(self, app: web.Application) -> None:
        """Stream mode needs no inbound HTTP route."""

    async def prepare(self) -> None:
        """Nothing to do before the bot starts."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self.stream.run(), name="dingtalk-stream")

    async def stop(self) -> None:
        if self._task is not None:
            await self.stream.stop(self._task)
            self._task = None
        await self.api.close()
