"""The local platform: a web emulator of department group chats, served by the bot's own server.

The embedded default when no Feishu or DingTalk credentials are configured: the adapter seeds
the demo organisation into an empty config, registers the "local" sender with the bot, and adds
the emulator's routes (`/`, `/api/*`, `/ws`) to the aiohttp app.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.app import Bot
from bot.config import is_demo_database
from bot.platforms.local.demo import PLATFORM, seed_demo, wants_demo
from bot.platforms.local.sender import Hub, LocalSender
from bot.platforms.local.web import add_routes

__all__ = ["PLATFORM", "LocalAdapter"]
log = logging.getLogger(__name__)


class LocalAdapter:
    """Made before `bot.start()`, so the demo org is applied to the database on start."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.demo = wants_demo(bot.config)
        if self.demo:
            seed_demo(bot.config)
        self.hub = Hub()
        bot.add_sender(PLATFORM, LocalSender(bot.sessions, self.hub, bot.clock, bot.registry.specs))

    def add_routes(self, app: web.Application) -> None:
        add_routes(app, self.bot, self.hub)

    async def prepare(self) -> None:
        """On the demo's own fresh database, play the demo's collaborations (bot/platforms/local/demo_play.py)."""
        if self.demo and is_demo_database(self.bot.config.database.url):
            from bot.platforms.local import demo_play  # only on the demo's database

            try:
                if await demo_play.play(self.bot.config, self.bot.clock.now()):
                    log.info("the demo's three collaborations are in %s", self.bot.config.database.url)
            except demo_play.DemoError as exc:
                log.error("the demo could not be played to the end: %s", exc)

    async def start(self) -> None:
        """The page connects by itself: nothing to start."""

    async def stop(self) -> None:
        """The pages' sockets close with the server (`web.add_routes`)."""
