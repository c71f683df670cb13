"""Feishu REST on one pooled aiohttp session: token cache, rate limits, retries, error mapping.

Only the handful of endpoints the bot needs (send, reply, patch, image upload, bot info) are
called directly instead of through lark-oapi, whose async calls open a new HTTP client per
request and fetch tokens with blocking `requests`.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

import aiohttp

from bot.config import FeishuConfig
from bot.messages import PRIVATE_PREFIX
from bot.outbox import PermanentSendError
from bot.platforms.http import RestClient, Retryable, compact_json, json_object
from bot.platforms.ratelimit import KeyedWindows, SlidingWindow
from bot.platforms.uploads import UploadCache

log = logging.getLogger(__name__)

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
TOKEN_INVALID = {99991661, 99991663, 99991668}
RATE_LIMITED = {99991400, 230020, 11232}
#: Send errors that retrying cannot fix: recorded on the outbox row, reported, never retried.
PERMANENT = {
    230001: "bad request", 230002: "bot is not in the group", 230006: "bot capability not enabled",
    230011: "message was recalled", 230013: "user cannot see the bot", 230025: "message too long",
    230027: "no permission", 230028: "blocked by DLP audit", 230031: "card too old to update",
    230035: "muted or blocked", 230053: "user blocked the bot", 230099: "card could not be built",
    232009: "chat was dissolved", 234006: "image too large", 234011: "bad image format",
}
#: Of those, the ones that mean the bot cannot post in the chat at all any more.
CHAT_GONE = {230002, 232009}
#: Refresh the tenant token this long before Feishu says it expires.
TOKEN_MARGIN = 600
#: Window margin over Feishu's own 1 s windows, for jitter between our clock and theirs.
WINDOW = 1.05


class FeishuError(Exception):
    """A Feishu API error that may be transient (unknown codes are retried by the outbox)."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"feishu error {code}: {msg}")
        self.code = code


class FeishuRefused(PermanentSendError):
    """A send Feishu refused for good (bot removed, chat dissolved…); `code` says which."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"feishu {code}: {PERMANENT.get(code, 'refused')} ({msg})", chat_gone=code in CHAT_GONE)
        self.code = code


def send_uuid(key: str) -> str:
    """Feishu's idempotency key (≤ 50 chars): the outbox key, hashed when longer."""
    return key if len(key) <= 50 else hashlib.sha1(key.encode("utf-8")).hexdigest()


class FeishuApi(RestClient):
    def __init__(self, config: FeishuConfig) -> None:
        super().__init__(config.base_url, config.request_timeout_seconds, config.max_attempts,
                         SlidingWindow(config.app_rate_per_second, WINDOW),
                         KeyedWindows(config.chat_rate_per_second, WINDOW), TOKEN_MARGIN)
        self.config = config
        self.uploads = UploadCache(config.upload_reuse_hours * 3600)  # keys are the app's own (230017)

    async def fetch_token(self) -> tuple[str, float]:
        """A tenant_access_token (2 h)."""
        body = await self._request("POST", TOKEN_PATH, json={"app_id": self.config.app_id,
                                                              "app_secret": self.config.app_secret}, auth=False)
        return str(body["tenant_access_token"]), float(body.get("expire", 7200))

    async def send(self, chat_id: str, msg_type: str, content: dict[str, Any], key: str) -> str:
        """Send to a chat, or to a person for "user:<open_id>" (the bot's private chat with them)."""
        receiver, kind = (chat_id.removeprefix(PRIVATE_PREFIX), "open_id") if chat_id.startswith(PRIVATE_PREFIX) \
            else (chat_id, "chat_id")
        body = {"receive_id": receiver, "msg_type": msg_type, "content": compact_json(content), "uuid": send_uuid(key)}
        data = await self.call("POST", "/open-apis/im/v1/messages", chat_id, json=body,
                               params={"receive_id_type": kind})
        return str(data["data"]["message_id"])

    async def reply(self, message_id: str, chat_id: str, msg_type: str, content: dict[str, Any], key: str) -> str:
        body = {"msg_type": msg_type, "content": compact_json(content), "uuid": send_uuid(key)}
        data = await self.call("POST", f"/open-apis/im/v1/messages/{message_id}/reply", chat_id, json=body)
        return str(data["data"]["message_id"])

    async def patch_card(self, message_id: str, chat_id: str, card: dict[str, Any]) -> None:
        await self.call("PATCH", f"/open-apis/im/v1/messages/{message_id}", chat_id, json={"content": compact_json(card)})

    async def upload_image(self, image: bytes) -> str:
        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("image_type", "message")
            data.add_field("image", image, filename="image.png", content_type="application/octet-stream")
            return data
        data = await self.call("POST", "/open-apis/im/v1/images", None, form=form)
        return str(data["data"]["image_key"])

    async def upload_file(self, name: str, content: bytes) -> str:
        """上传文件: an .xls/.xlsx goes as `xls` (what most bots use), anything else as `stream`."""
        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("file_type", "xls" if name.endswith((".xls", ".xlsx")) else "stream")
            data.add_field("file_name", name)  # what people see; the part's own name stays ASCII
            data.add_field("file", content, filename=f"upload.{name.rpartition('.')[2]}",
                           content_type="application/octet-stream")
            return data
        data = await self.call("POST", "/open-apis/im/v1/files", None, form=form)
        return str(data["data"]["file_key"])

    async def send_image(self, chat_id: str, image: bytes, key: str) -> str:
        image_key = await self.upload_image(image)
        return await self.send(chat_id, "image", {"image_key": image_key}, key)

    async def user_name(self, open_id: str) -> str:
        data = await self.call("GET", f"/open-apis/contact/v3/users/{open_id}", None,
                               params={"user_id_type": "open_id"})
        return str(data["data"]["user"].get("name") or "")

    async def bot_open_id(self) -> str:
        data = await self.call("GET", "/open-apis/bot/v3/info", None)
        return str(data["bot"]["open_id"])

    async def call(self, method: str, path: str, chat_id: str | None, *, json: Any = None,
                   params: dict[str, str] | None = None, form: Any = None) -> dict[str, Any]:
        """One API call: paced by the app and chat limits, retried on transient failures."""
        return await self.paced(chat_id, lambda: self._request(method, path, json=json, params=params,
                                                               data=form() if form else None))

    async def _request(self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None,
                       data: Any = None, auth: bool = True) -> dict[str, Any]:
        headers = {}
        token = ""
        if auth:
            token = await self.token()
            headers["Authorization"] = f"Bearer {token}"
        status, text, answered = await self.exchange(method, self.base + path, json=json, params=params, data=data,
                                                     headers=headers)
        reset = answered.get("x-ogw-ratelimit-reset")
        try:
            body = json_object(text)
        except ValueError:
            if status >= 500 or status == 429:
                raise Retryable(f"{method} {path}: HTTP {status}") from None
            raise FeishuError(-1, f"HTTP {status}: not JSON") from None
        code = int(body.get("code", -1))
        if status == 429 or code in RATE_LIMITED:
            raise Retryable(f"rate limited ({code})", float(reset) if reset and reset.isdigit() else None)
        if code in TOKEN_INVALID and auth:
            self.forget_token(token)
            raise Retryable(f"token invalid ({code})", 0.0)
        if code in PERMANENT:
            raise FeishuRefused(code, str(body.get("msg", "")))
        if status >= 500:
            raise Retryable(f"{method} {path}: HTTP {status} code {code}")
        if code != 0:
            raise FeishuError(code, str(body.get("msg", "")))
        return body
