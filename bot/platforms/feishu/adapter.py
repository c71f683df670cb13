"""The Feishu adapter as one piece: sender for the outbox, webhook route or long connection in."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.app import Bot
from bot.config import FeishuConfig
from bot.platforms.feishu import PLATFORM
from bot.platforms.feishu.api import FeishuApi
from bot.platforms.feishu.inbound import FeishuInbound
from bot.platforms.feishu.longconn import FeishuLongConnection
from bot.platforms.feishu.sender import FeishuSender
from bot.platforms.feishu.webhook import FeishuWebhook

log = logging.getLogger(__name__)


class FeishuAdapter:
    def __init__(self, bot: Bot, config: FeishuConfig | None = None) -> None:
        self.bot = bot
        self.config = config or bot.config.feishu
        self.api = FeishuApi(self.config)
        bot.app_limits.add(self.api.app_limit)
        self.inbound = FeishuInbound(bot, self.api, self.config)
        self.sender = FeishuSender(self.api, bot.registry.specs)
        bot.add_sender(PLATFORM, self.sender)
        self.webhook = FeishuWebhook(self.inbound, self.config) if self.config.mode == "webhook" else None
        self.longconn = FeishuLongConnection(self.inbound, self.config) if self.config.mode == "websocket" else None

    def add_routes(self, app: web.Application) -> None:
        if self.webhook is not None:
            self.webhook.add_routes(app)

    async def prepare(self) -> None:
        """Nothing to do before the bot starts."""

    async def start(self) -> None:
        if not self.inbound.bot_open_id:
            try:
                self.inbound.bot_open_id = await self.api.bot_open_id()
            except Exception as exc:
                log.warning("cannot learn the bot's open_id (set [feishu] bot_open_id): %r", exc)
        if self.longconn is not None:
            await self.longconn.start()

    async def stop(self) -> None:
        if self.longconn is not None:
            await self.longconn.stop()
        await self.inbound.close()
        await self.api.close()
