"""The bot's one aiohttp server: /healthz, /metrics, and whatever routes adapters add.

Build it before `bot.start()`: adapters installed here register their senders and may seed config.
"""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from bot.app import Bot
from bot.platforms import local

BOT_KEY = web.AppKey("bot", Bot)


def make_app(bot: Bot) -> web.Application:
    app = web.Application(client_max_size=bot.config.http.max_body_bytes)
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if bot.config.local_enabled:
        local.install(app, bot)
    return app


async def healthz(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    try:
        async with bot.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return web.json_response({"status": "error", "database": repr(exc)}, status=503)
    return web.json_response({"status": "ok", "database": bot.engine.dialect.name,
                              "platforms": sorted(bot.senders)})


async def metrics(request: web.Request) -> web.Response:
    body = request.app[BOT_KEY].metrics.render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
