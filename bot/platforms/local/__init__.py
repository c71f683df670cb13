"""The local platform: a web emulator of department group chats, served by the bot's own server.

The embedded default when no Feishu or DingTalk credentials are configured: `install` seeds the
demo organisation into an empty config, registers the "local" sender with the bot, and adds the
emulator's routes (`/`, `/api/*`, `/ws`) to the aiohttp app.
"""
from __future__ import annotations

from aiohttp import web

from bot.app import Bot
from bot.platforms.local.demo import PLATFORM, seed_demo, wants_demo
from bot.platforms.local.sender import Hub, LocalSender
from bot.platforms.local.web import add_routes

__all__ = ["PLATFORM", "install"]


def install(app: web.Application, bot: Bot) -> None:
    """Call before `bot.start()`, so the demo org is applied to the database on start."""
    if wants_demo(bot.config):
        seed_demo(bot.config)
    hub = Hub()
    bot.add_sender(PLATFORM, LocalSender(bot.sessions, hub, bot.clock, bot.registry.specs))
    add_routes(app, bot, hub)
