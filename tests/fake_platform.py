"""A fake chat platform for delivery tests: an aiohttp server on 127.0.0.1 (random port) that
records every send it receives and, like Feishu's `uuid`, drops a repeated idempotency id.

It can fail on purpose: `fail_rate` answers 503 before accepting (the send did not happen),
`lost_ack_rate` accepts and then answers 503 (the send happened, the bot does not know). Both
count in `raw`; only the first send per idempotency id counts in `accepted`.
"""
from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.outbox import OutboundItem, PermanentSendError


class FakePlatform:
    def __init__(self, fail_rate: float = 0.0, lost_ack_rate: float = 0.0, delay: float = 0.0, seed: int = 7) -> None:
        self.fail_rate = fail_rate
        self.lost_ack_rate = lost_ack_rate
        self.delay = delay
        self.random = random.Random(seed)
        self.raw: list[dict[str, Any]] = []
        self.accepted: dict[str, dict[str, Any]] = {}
        self.refused = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/send", self._send)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/send"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.delay:
            await asyncio.sleep(self.delay)
        roll = self.random.random()
        if body["chat_id"].startswith("gone"):
            return web.json_response({"code": 230002, "msg": "bot not in chat"}, status=400)
        if roll < self.fail_rate:
            self.refused += 1
            return web.json_response({"code": 99991400, "msg": "try later"}, status=503)
        self.raw.append(body)
        uuid = body["uuid"]
        if uuid not in self.accepted:
            self.accepted[uuid] = body | {"message_id": f"om_{next(self._ids)}"}
        if roll < self.fail_rate + self.lost_ack_rate:
            return web.json_response({"code": 99991400, "msg": "ack lost"}, status=503)
        return web.json_response({"code": 0, "data": {"message_id": self.accepted[uuid]["message_id"]}})

    def delivered(self) -> Counter[str]:
        """Outbox key → times it reached a chat after the platform's dedup."""
        return Counter(k for body in self.accepted.values() for k in body["covers"])

    def received(self) -> Counter[str]:
        """Outbox key → raw receipts, before dedup."""
        return Counter(k for body in self.raw for k in body["covers"])


class HttpSender:
    """Posts each outbound item to the fake, the outbox key as the idempotency id."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._session: aiohttp.ClientSession | None = None

    async def send(self, item: OutboundItem) -> str:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        body = {"uuid": item.key, "chat_id": item.chat_id, "covers": list(item.covers or (item.key,)),
                "title": item.message.title}
        async with self._session.post(self.url, json=body) as resp:
            data = await resp.json()
            if resp.status == 400:
                raise PermanentSendError(data["msg"])
            if resp.status != 200:
                raise RuntimeError(f"platform {resp.status}: {data['msg']}")
            return str(data["data"]["message_id"])

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
