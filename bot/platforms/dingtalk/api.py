"""DingTalk OpenAPI on one pooled aiohttp session: token cache, rate limits, retries, error mapping.

The SDK's own OpenAPI helpers use blocking `requests` without timeouts and log failures instead
of raising (docs/dingtalk.md, **SDK 0.24.3**), so the bot makes the few calls it needs itself: the
stream gateway open, the access token, robot sends to groups and people, session webhooks, and
template cards.
"""
from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.config import DingTalkConfig
from bot.outbox import PermanentSendError
from bot.platforms.http import RestClient, Retryable, compact_json, json_object, with_retries
from bot.platforms.ratelimit import KeyedWindows, SlidingWindow
from bot.platforms.uploads import UploadCache

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1.0/oauth2/accessToken"
#: Refresh the access token this long before DingTalk says it expires (it lives 7200 s).
TOKEN_MARGIN = 300
#: Throttling codes (the app-robot quotas are unpublished; codes as seen in the field: docs/dingtalk.md, **errors**).
RATE_LIMITED = {"Forbidden.AccessDenied.QpsLimitForApi", "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
                "send.too.fast", "too.many.group", "too.many.people", "send.byToken.tooFast", "Throttling"}
TOKEN_INVALID = {"InvalidAuthentication", "invalidAuthentication"}
#: Refusals retrying cannot fix (docs/dingtalk.md, **errors**): recorded on the outbox row and reported, never retried.
PERMANENT = {
    "invalidParameter.robotCode.notExsit": "robot is not in the group",
    "invalidParameter.robotCode.auth": "robotCode does not belong to this app",
    "invalid.openConversationId": "unknown group (openConversationId)",
    "invalidParameter.msgKey.invalid": "bad message type",
    "invalidParameter.msgParam.invalid": "bad or oversized message",
    "invalidParameter.userIds.overMax": "too many users",
    "bot.stopped": "robot is disabled",
    "param.templateUnpublished": "card template is not published",
    "Forbidden.AccessDenied.AccessTokenPermissionDenied": "app lacks the permission",
}
#: Media upload refusals (the older API's errcode) that retrying cannot fix.
MEDIA_REFUSED = {40004: "bad media type", 40005: "bad file type", 40006: "file too large", 41001: "no file"}
#: Of those, the ones that mean the bot cannot post in the group at all any more.
CHAT_GONE = {"invalidParameter.robotCode.notExsit", "invalid.openConversationId"}
#: Session webhook answers meaning "this webhook is gone": send through the OpenAPI instead.
WEBHOOK_GONE = {300001, 300005, 310000}
#: Throttling waits: `send.too.fast` is per minute, the QPS limits per second.
SLOW_DOWN = {"send.too.fast": 10.0}
#: Window margin over DingTalk's windows, for clock differences only: the limiter counts a call
#: from when its answer came back, so however long a trip takes, DingTalk (which counts on
#: arrival) sees calls `limit` apart at least a window apart (bot/platforms/ratelimit.py).
MARGIN = 1.05


class DingTalkError(Exception):
    """An API error that may be transient (unknown codes are retried later by the outbox)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"dingtalk error {code}: {message}")
        self.code = code


class DingTalkRefused(PermanentSendError):
    """A send DingTalk refused for good; `code` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"dingtalk {code}: {PERMANENT.get(code, 'refused')} ({message})", chat_gone=code in CHAT_GONE)
        self.code = code


class WebhookGone(Exception):
    """The session webhook refused the message (expired, or a type it does not take)."""


class DingTalkApi(RestClient):
    def __init__(self, config: DingTalkConfig) -> None:
        super().__init__(config.base_url, config.request_timeout_seconds, config.max_attempts,
                         SlidingWindow(config.app_rate_per_second, MARGIN),
                         KeyedWindows(config.group_rate_per_minute, 60 * MARGIN), TOKEN_MARGIN)
        self.config = config
        self.robot_code = config.robot_code or config.client_id  # an internal app's robotCode is its AppKey
        self.uploads = UploadCache(config.upload_reuse_hours * 3600)

    async def open_connection(self, subscriptions: list[dict[str, str]], ua: str) -> dict[str, str]:
        """A stream ticket: `{endpoint, ticket}`, valid 90 s for one connection (docs/dingtalk.md, **stream open**)."""
        body = {"clientId": self.config.client_id, "clientSecret": self.config.client_secret,
                "subscriptions": subscriptions, "ua": ua}
        data = await self._request("POST", "/v1.0/gateway/connections/open", body, auth=False)
        if not data.get("endpoint") or not data.get("ticket"):
            raise DingTalkError("gateway", f"no endpoint/ticket in {data!r}")
        return data

    async def fetch_token(self) -> tuple[str, float]:
        """The app's access token (2 h)."""
        body = await self._request("POST", TOKEN_PATH, {"appKey": self.config.client_id,
                                                        "appSecret": self.config.client_secret}, auth=False)
        return str(body["accessToken"]), float(body.get("expireIn", 7200))

    async def group_send(self, conversation_id: str, msg_key: str, param: dict[str, Any]) -> str:
        body = {"robotCode": self.robot_code, "openConversationId": conversation_id, "msgKey": msg_key,
                "msgParam": compact_json(param)}
        data = await self.call("POST", "/v1.0/robot/groupMessages/send", body, conversation_id)
        return str(data.get("processQueryKey", ""))

    async def users_send(self, user_ids: list[str], msg_key: str, param: dict[str, Any]) -> str:
        """One-to-one messages to at most 20 people (docs/dingtalk.md, **robot messages**).

        People DingTalk reports as flow-controlled did not get it: only they are sent again, so
        nobody who got the message gets it twice.
        """
        if not 1 <= len(user_ids) <= 20:
            raise ValueError("oToMessages/batchSend takes 1 to 20 users")
        remaining = list(user_ids)

        async def attempt() -> str:
            body = {"robotCode": self.robot_code, "userIds": remaining, "msgKey": msg_key, "msgParam": compact_json(param)}
            data = await self.call("POST", "/v1.0/robot/oToMessages/batchSend", body, None)
            held = [u for u in data.get("flowControlledStaffIdList") or [] if u in remaining]
            if held:
                remaining[:] = held
                raise Retryable(f"flow-controlled users {held}", 1.0)
            return str(data.get("processQueryKey", ""))
        return await with_retries(attempt, attempts=self.config.max_attempts)

    async def upload_media(self, name: str, content: bytes, kind: str = "file") -> str:
        """上传媒体文件 on the older API host (multipart `type` = file | image + `media`): its `media_id`."""
        async def attempt() -> str:
            form = aiohttp.FormData()
            form.add_field("type", kind)
            # an ASCII part name: aiohttp percent-encodes others, and whether DingTalk decodes them is not
            # settled; people see sampleFile's fileName (docs/workflow.md, "Export")
            form.add_field("media", content, filename=f"upload.{name.rpartition('.')[2]}",
                           content_type="application/octet-stream")
            url = f"{self.config.oapi_url.rstrip('/')}/media/upload"
            status, text, _ = await self.exchange("POST", url, params={"access_token": await self.token()}, data=form)
            try:
                data = json_object(text)
            except ValueError:
                raise Retryable(f"media/upload: HTTP {status}, not JSON") from None
            code = int(data.get("errcode", -1))
            if code == 0:
                return str(data["media_id"])
            if code in MEDIA_REFUSED:
                raise DingTalkRefused(str(code), f"{MEDIA_REFUSED[code]}: {data.get('errmsg', '')}")
            raise Retryable(f"media/upload: errcode {code} {data.get('errmsg', '')}")
        return await with_retries(attempt, attempts=self.config.max_attempts)

    async def create_and_deliver(self, body: dict[str, Any], chat_key: str) -> None:
        data = await self.call("POST", "/v1.0/card/instances/createAndDeliver", body, chat_key)
        results = data.get("result")
        results = results.get("deliverResults", []) if isinstance(results, dict) else results or []
        failed = [r for r in results if isinstance(r, dict) and r.get("success") is False]
        if failed:
            raise DingTalkRefused("deliver", str(failed[0].get("errorMsg", "card not delivered")))

    async def update_card(self, out_track_id: str, params: dict[str, str]) -> None:
        body = {"outTrackId": out_track_id, "cardData": {"cardParamMap": params},
                "cardUpdateOptions": {"updateCardDataByKey": True}}
        await self.call("PUT", "/v1.0/card/instances", body, None)

    async def webhook_send(self, url: str, body: dict[str, Any]) -> None:
        """Post to a message's session webhook (no token); raises `WebhookGone` when it refuses."""
        async def attempt() -> None:
            status, text, _ = await self.exchange("POST", url, json=body)
            if status >= 500 or status == 429:
                raise Retryable(f"session webhook: HTTP {status}")
            try:
                code = int(json_object(text).get("errcode", -1))
            except ValueError:
                raise WebhookGone(f"HTTP {status}: not JSON") from None
            if code != 0:
                raise WebhookGone(f"errcode {code}: {text[:200]}")
        await with_retries(attempt, attempts=self.config.max_attempts)

    async def call(self, method: str, path: str, body: dict[str, Any], chat_key: str | None) -> dict[str, Any]:
        """One OpenAPI call: paced by the app and group limits, retried on transient failures."""
        return await self.paced(chat_key, lambda: self._request(method, path, body))

    async def _request(self, method: str, path: str, body: dict[str, Any], auth: bool = True) -> dict[str, Any]:
        headers = {}
        token = ""
        if auth:
            token = await self.token()
            headers["x-acs-dingtalk-access-token"] = token
        status, text, _ = await self.exchange(method, self.base + path, json=body, headers=headers)
        try:
            data = json_object(text) if text else {}
        except ValueError:
            if status >= 500 or status == 429:
                raise Retryable(f"{method} {path}: HTTP {status}") from None
            raise DingTalkError(str(status), "not JSON") from None
        if status < 300:
            return data
        code, message = str(data.get("code", status)), str(data.get("message", ""))
        if status == 429 or code in RATE_LIMITED:
            raise Retryable(f"rate limited ({code})", SLOW_DOWN.get(code))
        if auth and (status == 401 or code in TOKEN_INVALID):
            self.forget_token(token)
            raise Retryable(f"token refused ({code})", 0.0)
        if code in PERMANENT:
            raise DingTalkRefused(code, message)
        if status >= 500:
            raise Retryable(f"{method} {path}: HTTP {status} {code}")
        raise DingTalkError(code, message)
