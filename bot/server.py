"""The bot's one aiohttp server: /healthz, /metrics, and whatever routes adapters add (the
Feishu webhook, the emulator). Make the adapters before `bot.start()`: they register their
senders, and the emulator may seed the config."""
from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from typing import Protocol

from aiohttp import web

from bot.app import Bot
from storage.db import ping

log = logging.getLogger(__name__)
BOT_KEY = web.AppKey("bot", Bot)


class RouteProvider(Protocol):
    """An adapter that receives platform callbacks over HTTP (e.g. Feishu's webhook)."""

    def add_routes(self, app: web.Application) -> None: ...


class Adapter(RouteProvider, Protocol):
    """A chat platform's connection: prepared before the bot starts, started once the server
    listens, stopped before the database closes."""

    async def prepare(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def make_app(bot: Bot, adapters: Iterable[RouteProvider] = ()) -> web.Application:
    app = web.Application(client_max_size=bot.config.http.max_body_bytes)
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for adapter in adapters:
        adapter.add_routes(app)
    return app


def _allowed(request: web.Request) -> bool:
    """The operations endpoints, behind `[http] ops_token` when one is set (constant-time check)."""
    token = request.app[BOT_KEY].config.http.ops_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return not token or hmac.compare_digest(given.encode(), token.encode())


async def healthz(request: web.Request) -> web.Response:
    """Up or not, in words that reveal no internals (the error itself goes to the log)."""
    if not _allowed(request):
        return web.json_response({"status": "unauthorized"}, status=401)
    bot = request.app[BOT_KEY]
    try:
        await ping(bot.engine)
    except Exception:
        log.exception("health check: the database does not answer")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": bot.engine.dialect.name,
                              "platforms": sorted(bot.senders)})


async def metrics(request: web.Request) -> web.Response:
    if not _allowed(request):
        return web.json_response({"status": "unauthorized"}, status=401)
    body = request.app[BOT_KEY].metrics.render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
