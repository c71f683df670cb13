"""`POST /feishu/events`: Feishu's HTTP callbacks (events and card actions) on the bot's server.

Order matters: size cap → signature over the raw body (constant time) → replay window →
decrypt → JSON → verification token → dispatch. Anything forged, stale or malformed gets a 4xx
and touches nothing; every authentic event gets a 200 (unknown types too, so Feishu does not
retry them), and only after it is durably claimed.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.config import FeishuConfig
from bot.platforms.feishu import crypto, translate
from bot.platforms.feishu.inbound import FeishuInbound

log = logging.getLogger(__name__)

PATH = "/feishu/events"


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class FeishuWebhook:
    def __init__(self, inbound: FeishuInbound, config: FeishuConfig, clock: Callable[[], float] = time.time) -> None:
        self.inbound = inbound
        self.config = config
        self.clock = clock
        if not config.encrypt_key:  # config refuses this unless insecure_dev is set
            log.warning("feishu webhook runs WITHOUT encrypt_key (insecure_dev = true): unsigned pushes are "
                        "accepted, and anyone who reaches %s can act as anyone. Development only.", PATH)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            envelope = self.open(request.headers, await self._body(request))
        except Refused as exc:
            log.warning("feishu webhook refused (%d): %s", exc.status, exc)
            return web.json_response({"msg": str(exc)}, status=exc.status)
        if envelope.get("type") == "url_verification":
            return web.json_response({"challenge": envelope.get("challenge", "")})
        try:
            answer = await self.inbound.accept(envelope)
        except translate.BadEvent as exc:
            log.warning("feishu event refused: %s", exc)
            return web.json_response({"msg": str(exc)}, status=400)
        return web.json_response(answer if answer is not None else {"msg": "success"})

    async def _body(self, request: web.Request) -> bytes:
        cap = self.config.max_body_bytes
        if request.content_length is not None and request.content_length > cap:
            raise Refused(413, "body too large")
        body = await request.content.read(cap + 1)
        if len(body) > cap:
            raise Refused(413, "body too large")
        return body

    def open(self, headers: Any, body: bytes) -> dict[str, Any]:
        """Check and decode one request; raises `Refused` with the status to answer."""
        key = self.config.encrypt_key
        stamp = headers.get("X-Lark-Request-Timestamp", "")
        given = headers.get("X-Lark-Signature", "")
        signed = bool(key and (stamp or given))
        if signed:
            nonce = headers.get("X-Lark-Request-Nonce", "")
            if not (stamp and given and crypto.signature_ok(stamp, nonce, key, body, given)):
                raise Refused(401, "bad signature")
            try:
                age = abs(self.clock() - int(stamp))
            except ValueError:
                raise Refused(400, "bad timestamp") from None
            if age > self.config.replay_window_seconds:
                raise Refused(401, "stale timestamp")
        envelope = _json(body)
        if "encrypt" in envelope:
            if not key:
                raise Refused(400, "encrypted body but no encrypt_key configured")
            try:
                envelope = _json(crypto.decrypt(str(envelope["encrypt"]), key))
            except crypto.CryptoError as exc:
                raise Refused(400, f"cannot decrypt: {exc}") from None
        expected = self.config.verification_token
        if expected and not crypto.hmac_equal(translate.token(envelope), expected):
            raise Refused(401, "wrong verification token")
        if key and not signed and envelope.get("type") != "url_verification":
            raise Refused(401, "unsigned event")  # only the URL challenge comes unsigned
        return envelope


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Refused(400, "body is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, "body is not a JSON object")
    return value
