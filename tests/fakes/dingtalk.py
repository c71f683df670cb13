"""A fake DingTalk for tests: stream gateway, OpenAPI robot/card endpoints, session webhooks.

It runs an aiohttp server on 127.0.0.1 (random port) in its own thread with its own event loop,
because the bot under test must never share a loop with the platform it talks to (platform
docs/dingtalk.md, **SDK 0.24.3**). It speaks the stream frame protocol (SYSTEM ping/disconnect, CALLBACK frames,
reading acks), redelivers frames that were not acked (at-least-once: docs/dingtalk.md, **ack**), rate-limits and
injects faults, and records what a DingTalk user would see in each group and private chat.

Tests drive it with the async helpers (`push_message`, `click`, `disconnect`, ...), which hop
onto the fake's loop and back; the payload shapes follow the official samples (tests/fakes/dingtalk_samples.py).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import WSMsgType, web

from tests.waiting import wait_until

T = TypeVar("T")
BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
MSG_KEYS = {"sampleText", "sampleMarkdown", "sampleImageMsg", "sampleFile", "sampleLink", "sampleActionCard",
            "sampleActionCard2", "sampleActionCard3", "sampleActionCard4", "sampleActionCard5", "sampleActionCard6"}
WEBHOOK_MINUTES = 90
MEDIA_LIMIT_BYTES = 20 * 1024 * 1024
MEDIA_FILE_TYPES = {"doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"}


@dataclass
class Seen:
    """One message as a DingTalk user sees it in a chat."""

    kind: str  # text / markdown / actionCard / image / file / card
    title: str
    text: str
    via: str  # webhook / openapi / card
    at_users: tuple[str, ...] = ()
    buttons: tuple[tuple[str, str], ...] = ()  # (title, url) of ActionCard buttons
    card: dict[str, str] = field(default_factory=dict)  # the card's current variables
    out_track_id: str = ""


@dataclass
class Fault:
    """Answer the next `times` calls to `path` with `status`/`body` (or stall them `delay` seconds)."""

    status: int = 500
    body: dict[str, Any] = field(default_factory=lambda: {"code": "ServiceUnavailable", "message": "injected"})
    times: int = 1
    delay: float = 0.0


class _Conn:
    def __init__(self, ws: web.WebSocketResponse, ticket: str) -> None:
        self.ws = ws
        self.ticket = ticket
        self.stalled = False


class FakeDingTalk:
    """Start with `start()` (or as a context manager); every helper is safe to call from any loop."""

    def __init__(self, client_id: str = "ding-app", client_secret: str = "ding-secret",
                 robot_code: str = "ding-app", redeliver_after: float = 60.0,
                 group_limit_per_minute: int = 20, app_qps: int = 40, token_ttl: int = 7200) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.robot_code = robot_code
        self.redeliver_after = redeliver_after
        self.group_limit_per_minute = group_limit_per_minute
        self.app_qps = app_qps
        self.token_ttl = token_ttl
        self.clock: Callable[[], float] = time.time  # platform time (s); tests may move it
        self.chatbot_user_id = "$:LWCP_v1:$botbotbot"
        self.corp_id = "dingcorp0001"
        self.groups: dict[str, str] = {}  # openConversationId -> title (the bot is a member)
        self.media: dict[str, tuple[str, bytes]] = {}  # media_id -> (file name, bytes), from media/upload
        self.seen: dict[str, list[Seen]] = defaultdict(list)  # conversationId or "user:<staffId>"
        self.templates: set[str] = set()
        self.cards: dict[str, dict[str, Any]] = {}  # outTrackId -> {"space": ..., "data": {...}, "template": ...}
        self.acks: dict[str, dict[str, Any]] = {}  # frame messageId -> ack
        self.ack_latency: list[float] = []  # seconds from push to ack, per frame (first delivery)
        self.opens: list[dict[str, Any]] = []  # bodies of connections/open
        self.requests: list[tuple[str, dict[str, Any]]] = []  # every OpenAPI call (path, body)
        self.tokens_issued = 0
        self.throttled = 0
        self.notified: list[tuple[str, str, str]] = []  # (staffId, how, title): who DingTalk really notified
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._tokens: dict[str, float] = {}
        self._tickets: dict[str, float] = {}
        self._sessions: dict[str, tuple[str, float, str]] = {}  # session -> (chat key, expiry ms, sender)
        self._conns: list[_Conn] = []
        self._pending: dict[str, tuple[dict[str, Any], float, float]] = {}  # id -> (frame, first push, last push)
        self._group_sends: dict[str, deque[float]] = defaultdict(deque)
        self._app_sends: deque[float] = deque()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._redeliver_task: asyncio.Task[None] | None = None
        self.port = 0
        self.template = Template()

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeDingTalk:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._serve())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-dingtalk", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake DingTalk did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> FakeDingTalk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/connect", self._connect)
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/v1.0/robot/groupMessages/send", self._group_send)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._batch_send)
        app.router.add_post("/robot/sendBySession", self._session_send)
        app.router.add_post("/v1.0/card/instances/createAndDeliver", self._create_and_deliver)
        app.router.add_put("/v1.0/card/instances", self._update_card)
        app.router.add_post("/media/upload", self._media_upload)  # the older API host (oapi), same server here
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._redeliver_task = asyncio.create_task(self._redeliver())

    async def _shutdown(self) -> None:
        if self._redeliver_task:
            self._redeliver_task.cancel()
        for conn in list(self._conns):
            await conn.ws.close()
        if self._runner:
            await self._runner.cleanup()

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the fake's loop and await it from the caller's loop."""
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def _sync(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the fake's loop (state is only touched there) and return its result."""
        async def wrap() -> T:
            return fn()
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(wrap(), self._loop).result(10)

    # ----------------------------------------------------------------- test helpers
    def add_group(self, conversation_id: str, title: str) -> None:
        self._sync(lambda: self.groups.__setitem__(conversation_id, title))

    def add_template(self, template_id: str) -> None:
        self._sync(lambda: self.templates.add(template_id))

    def inject(self, path: str, fault: Fault) -> None:
        self._sync(lambda: self.faults[path].append(fault))

    def messages(self, chat: str) -> list[Seen]:
        """What the users of a group (conversationId) or a person ("user:<staffId>") see."""
        return self._sync(lambda: list(self.seen.get(chat, [])))

    def card(self, out_track_id: str) -> dict[str, str]:
        """The variables a card instance shows now (after callbacks and updates)."""
        return self._sync(lambda: dict(self.cards[out_track_id]["data"]))

    def private_card(self, out_track_id: str, user: str) -> dict[str, str]:
        """What one user sees of a card: its variables with their private data over them."""
        return self._sync(lambda: self.cards[out_track_id]["data"] | self.cards[out_track_id]["private"].get(user, {}))

    def expire_sessions(self) -> None:
        """The platform forgets every session webhook (as after 90 minutes)."""
        self._sync(self._sessions.clear)

    @property
    def connections(self) -> int:
        return self._sync(lambda: sum(1 for c in self._conns if not c.ws.closed))

    async def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        await wait_until(lambda: self.connections >= count, timeout, "stream connection")

    async def push_message(self, sender: str, text: str, conversation_id: str = "", *, nick: str = "",
                           at: tuple[str, ...] = (), msg_id: str = "", rich: list[dict[str, Any]] | None = None,
                           frame_id: str = "") -> dict[str, Any]:
        """A staff member @mentions the bot (group) or writes to it (private chat when no conversation id)."""
        return await self.call(self._push_message(sender, text, conversation_id, nick, at, msg_id, rich, frame_id))

    async def push_frame(self, frame: dict[str, Any]) -> None:
        await self.call(self._push(frame))

    async def wait_ack(self, message_id: str, timeout: float = 10.0) -> dict[str, Any]:
        await wait_until(lambda: message_id in self.acks, timeout, f"the ack of frame {message_id}")
        return self.acks[message_id]

    async def click(self, user: str, out_track_id: str, label: str, form: dict[str, Any] | None = None,
                    frame_id: str = "") -> dict[str, Any]:
        """A user presses the button `label` of a card (filling its form); returns the ack, with the
        card update the bot answered. The params are what the shipped template sends (`Template`)."""
        variables = self._sync(lambda: dict(self.cards[out_track_id]["data"]))
        params = self.template.params(variables, label, form or {})
        return await self.callback(user, out_track_id, params, frame_id)

    async def callback(self, user: str, out_track_id: str, params: dict[str, Any], frame_id: str = "") -> dict[str, Any]:
        """A card callback with these params, as any card of the app would send it."""
        frame = await self.call(self._click_frame(user, out_track_id, params, frame_id))
        await self.push_frame(frame)
        return await self.wait_ack(frame["headers"]["messageId"])

    async def ping(self) -> dict[str, Any]:
        frame = self._system("ping", {"opaque": str(uuid.uuid4())})
        await self.push_frame(frame)
        return await self.wait_ack(frame["headers"]["messageId"])

    async def disconnect(self) -> None:
        """The gateway asks the client to reconnect, then closes the socket ~like production."""
        await self.call(self._disconnect())

    async def drop(self) -> None:
        """Cut every connection without a close frame (network loss)."""
        await self.call(self._drop())

    async def stall(self, stalled: bool = True) -> None:
        """Keep the TCP connection up but stop answering pings and delivering frames (a dead stream)."""
        def set_stall() -> None:
            for conn in self._conns:
                conn.stalled = stalled
        await self.call(_as_coro(set_stall))

    # ----------------------------------------------------------------- frames
    def _frame_id(self) -> str:
        return f"fake_{next(self._ids)}_{uuid.uuid4().hex[:8]}"

    def _system(self, topic: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"specVersion": "1.0", "type": "SYSTEM",
                "headers": {"contentType": "application/json", "messageId": self._frame_id(), "topic": topic,
                            "time": str(int(self.clock() * 1000))},
                "data": json.dumps(data)}

    def _callback(self, topic: str, data: dict[str, Any], frame_id: str = "") -> dict[str, Any]:
        return {"specVersion": "1.0", "type": "CALLBACK",
                "headers": {"appId": "fake-app-id", "contentType": "application/json",
                            "messageId": frame_id or self._frame_id(), "time": str(int(self.clock() * 1000)),
                            "topic": topic},
                "data": json.dumps(data, ensure_ascii=False)}

    async def _push_message(self, sender: str, text: str, conversation_id: str, nick: str, at: tuple[str, ...],
                            msg_id: str, rich: list[dict[str, Any]] | None, frame_id: str) -> dict[str, Any]:
        now_ms = int(self.clock() * 1000)
        session = uuid.uuid4().hex
        group = bool(conversation_id)
        chat_key = conversation_id if group else f"user:{sender}"
        expiry = now_ms + WEBHOOK_MINUTES * 60_000
        self._sessions[session] = (chat_key, expiry, sender)
        data: dict[str, Any] = {
            "conversationId": conversation_id or f"cidp2p{sender}==", "chatbotCorpId": self.corp_id,
            "chatbotUserId": self.chatbot_user_id, "msgId": msg_id or f"msg{uuid.uuid4().hex}",
            "senderNick": nick or sender, "isAdmin": False, "senderStaffId": sender,
            "sessionWebhookExpiredTime": expiry, "createAt": now_ms, "senderCorpId": self.corp_id,
            "conversationType": "2" if group else "1", "senderId": f"$:LWCP_v1:${sender}",
            "sessionWebhook": f"{self.url}/robot/sendBySession?session={session}",
            "robotCode": self.robot_code,
        }
        if group:
            # The bot's own mention is stripped from the text, which keeps its leading space (docs/dingtalk.md, **group @mention**).
            data |= {"conversationTitle": self.groups.get(conversation_id, ""), "isInAtList": True,
                     "atUsers": [{"dingtalkId": self.chatbot_user_id}]
                     + [{"dingtalkId": f"$:LWCP_v1:${u}", "staffId": u} for u in at]}
            text = " " + text
        if rich is not None:
            data |= {"msgtype": "richText", "content": {"richText": rich}}
        else:
            data |= {"msgtype": "text", "text": {"content": text}}
        frame = self._callback(BOT_TOPIC, data, frame_id)
        await self._push(frame)
        return frame

    async def _click_frame(self, user: str, out_track_id: str, params: dict[str, Any],
                           frame_id: str) -> dict[str, Any]:
        card = self.cards.get(out_track_id, {})
        space_type, _, space_id = card.get("space", "dtv1.card//IM_GROUP.").removeprefix("dtv1.card//").partition(".")
        content = {"cardPrivateData": {"actionIds": [params.get("action", "submit")], "params": params}}
        data = {"outTrackId": out_track_id, "corpId": self.corp_id, "userId": user, "userIdType": 1,
                "type": "actionCallback", "spaceType": space_type, "spaceId": space_id, "extension": "{}",
                "content": json.dumps(content, ensure_ascii=False)}
        return self._callback(CARD_TOPIC, data, frame_id)

    async def _push(self, frame: dict[str, Any]) -> None:
        frame_id = frame["headers"].get("messageId", "")
        now = time.monotonic()
        if frame["type"] == "CALLBACK":  # a (re)delivery waits for its own ack
            self.acks.pop(frame_id, None)
            first = self._pending.get(frame_id, (frame, now, now))[1]
            self._pending[frame_id] = (frame, first, now)
        conn = self._live()
        if conn is not None:
            await conn.ws.send_str(json.dumps(frame, ensure_ascii=False))

    def _live(self) -> _Conn | None:
        live = [c for c in self._conns if not c.ws.closed and not c.stalled]
        return live[-1] if live else None

    async def _redeliver(self) -> None:
        """Push again every callback frame that has not been acked for `redeliver_after` seconds."""
        while True:
            await asyncio.sleep(min(1.0, self.redeliver_after / 4))
            now = time.monotonic()
            for frame_id, (frame, _, last) in list(self._pending.items()):
                if now - last >= self.redeliver_after:
                    await self._push(frame)

    def _on_ack(self, ack: dict[str, Any]) -> None:
        message_id = ack.get("headers", {}).get("messageId", "")
        pending = self._pending.pop(message_id, None)
        if pending is not None:
            self.ack_latency.append(time.monotonic() - pending[2])
        self.acks[message_id] = ack
        if ack.get("code") == 200 and pending and pending[0]["headers"]["topic"] == CARD_TOPIC:
            self._apply_card_response(json.loads(pending[0]["data"]), ack)

    def _apply_card_response(self, data: dict[str, Any], ack: dict[str, Any]) -> None:
        response = json.loads(ack.get("data") or "{}").get("response") or {}
        card = self.cards.get(data["outTrackId"])
        if card is None or not isinstance(response, dict):
            return
        update = (response.get("cardData") or {}).get("cardParamMap") or {}
        card["data"].update(update)
        card["seen"].card = dict(card["data"])
        private = (response.get("userPrivateData") or {}).get("cardParamMap") or {}
        card["private"].setdefault(data["userId"], {}).update(private)

    async def _disconnect(self) -> None:
        conn = self._live()
        if conn is None:
            return
        await conn.ws.send_str(json.dumps(self._system("disconnect", {"reason": "connection is expired"})))
        await asyncio.sleep(0.2)
        await conn.ws.close()

    async def _drop(self) -> None:
        for conn in self._conns:
            if conn.ws._writer is not None:  # abort the transport: no close frame
                conn.ws._writer.transport.abort()

    # ----------------------------------------------------------------- stream endpoints
    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.opens.append(body)
        if fault := self._fault(request.path):
            return await self._fault_response(fault)
        if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
            return web.json_response({"code": "InvalidAuthentication", "message": "client secret mismatch"},
                                     status=401)
        ticket = str(uuid.uuid4())
        self._tickets[ticket] = time.monotonic() + 90
        return web.json_response({"endpoint": f"ws://127.0.0.1:{self.port}/connect", "ticket": ticket})

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self._tickets.pop(ticket, 0) < time.monotonic():  # single use, 90 s
            return web.Response(status=401, text="bad ticket")
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        conn = _Conn(ws, ticket)
        self._conns.append(conn)
        for frame, _, _ in list(self._pending.values()):  # what was in flight is delivered again
            await ws.send_str(json.dumps(frame, ensure_ascii=False))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PING:
                    if not conn.stalled:
                        await ws.pong(msg.data)
                elif msg.type == WSMsgType.TEXT and not conn.stalled:
                    self._on_ack(json.loads(msg.data))
        finally:
            self._conns.remove(conn)
        return ws

    # ----------------------------------------------------------------- OpenAPI endpoints
    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if fault := self._fault(request.path):
            return await self._fault_response(fault)
        if body.get("appKey") != self.client_id or body.get("appSecret") != self.client_secret:
            return web.json_response({"code": "invalidClientIdOrSecret", "message": "无效的clientId或clientSecret"},
                                     status=400)
        token = uuid.uuid4().hex
        self._tokens[token] = time.monotonic() + self.token_ttl
        self.tokens_issued += 1
        return web.json_response({"accessToken": token, "expireIn": self.token_ttl})

    async def _api(self, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
        """Common checks of an OpenAPI call: faults, token, app QPS; returns (body, error response)."""
        body = await request.json()
        self.requests.append((request.path, body))
        if fault := self._fault(request.path):
            return body, await self._fault_response(fault)
        token = request.headers.get("x-acs-dingtalk-access-token", "")
        if self._tokens.get(token, 0) < time.monotonic():
            return body, web.json_response({"code": "InvalidAuthentication", "message": "不合法的access_token"},
                                           status=401)
        now = time.monotonic()
        while self._app_sends and self._app_sends[0] <= now - 1:
            self._app_sends.popleft()
        if len(self._app_sends) >= self.app_qps:
            self.throttled += 1
            return body, web.json_response({"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
                                            "message": "调用过于频繁"}, status=403)
        self._app_sends.append(now)
        return body, None

    def _check_robot(self, body: dict[str, Any]) -> web.Response | None:
        if body.get("robotCode") != self.robot_code:
            return _bad("invalidParameter.robotCode.notExsit", "robotCode不存在")
        if body.get("msgKey") not in MSG_KEYS:
            return _bad("invalidParameter.msgKey.invalid", "msgKey无效")
        try:
            param = json.loads(body.get("msgParam", ""))
        except ValueError:
            return _bad("invalidParameter.msgParam.invalid", "msgParam必须是JSON")
        if len(body["msgParam"].encode()) > 15_000:
            return _bad("invalidParameter.msgParam.invalid", "msgParam过长")
        if body["msgKey"] == "sampleFile" and param.get("mediaId") not in self.media or \
                body["msgKey"] == "sampleImageMsg" and str(param.get("photoURL", "")).startswith("@") \
                and param["photoURL"] not in self.media:
            return _bad("invalidParameter.msgParam.invalid", "mediaId无效")
        body["_param"] = param
        return None

    async def _media_upload(self, request: web.Request) -> web.Response:
        """上传媒体文件 (oapi): `access_token` in the query, multipart `type` + `media`; a file of
        doc/docx/xls/xlsx/ppt/pptx/zip/pdf/rar, 1 byte to 20 MB. The old API answers errcode/errmsg."""
        if self._tokens.get(request.query.get("access_token", ""), 0) < time.monotonic():
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        fields: dict[str, tuple[str, bytes]] = {}
        async for part in await request.multipart():
            fields[part.name or ""] = (part.filename or "", await part.read())  # type: ignore[union-attr]
        kind = fields.get("type", ("", b""))[1].decode()
        name, content = fields.get("media", ("", b""))
        if kind not in ("image", "voice", "video", "file"):
            return web.json_response({"errcode": 40004, "errmsg": "不合法的媒体文件类型"})
        if not content:
            return web.json_response({"errcode": 41001, "errmsg": "缺少media参数"})
        if kind == "file" and name.rpartition(".")[2].lower() not in MEDIA_FILE_TYPES or \
                kind == "image" and name.rpartition(".")[2].lower() not in ("jpg", "gif", "png", "bmp"):
            return web.json_response({"errcode": 40005, "errmsg": "不合法的文件类型"})
        if len(content) > MEDIA_LIMIT_BYTES:
            return web.json_response({"errcode": 40006, "errmsg": "不合法的文件大小"})
        media_id = f"@lAz{uuid.uuid4().hex[:20]}"
        self.media[media_id] = (name, content)
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id,
                                  "created_at": int(time.time() * 1000)})

    async def _group_send(self, request: web.Request) -> web.Response:
        body, error = await self._api(request)
        if error is None:
            error = self._check_robot(body)
        if error is not None:
            return error
        if {"at", "atUserIds", "atMobiles", "isAtAll"} & (set(body) | set(body.get("_param") or {})):
            return _bad("invalidParameter.msgParam.invalid", "群消息不支持@人")  # docs/dingtalk.md, **robot messages**
        cid = body.get("openConversationId", "")
        if cid not in self.groups:
            return _bad("invalid.openConversationId", "机器人不在群中或群不存在")
        window = self._group_sends[cid]
        now = time.monotonic()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.group_limit_per_minute:
            self.throttled += 1
            return _bad("send.too.fast", "发送过快")
        window.append(now)
        self.seen[cid].append(_seen(body["msgKey"], body.pop("_param"), "openapi"))
        return web.json_response({"processQueryKey": uuid.uuid4().hex})

    async def _batch_send(self, request: web.Request) -> web.Response:
        body, error = await self._api(request)
        if error is None:
            error = self._check_robot(body)
        if error is not None:
            return error
        users = body.get("userIds") or []
        if not users or len(users) > 20:
            return _bad("invalidParameter.userIds.overMax", "userIds最多20个")
        param = body.pop("_param")
        for user in users:
            self.seen[f"user:{user}"].append(_seen(body["msgKey"], param, "openapi"))
            self.notified.append((user, "one-to-one", param.get("title", "")))
        return web.json_response({"processQueryKey": uuid.uuid4().hex, "invalidStaffIdList": [],
                                  "flowControlledStaffIdList": [], "filteredStaffIdList": []})

    async def _session_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, body))
        if fault := self._fault(request.path):
            return await self._fault_response(fault)
        chat_key, expiry, _ = self._sessions.get(request.query.get("session", ""), ("", 0, ""))
        if expiry < self.clock() * 1000:
            return web.json_response({"errcode": 300001, "errmsg": "session不存在或已过期"})
        kind = body.get("msgtype", "")
        if kind not in ("text", "markdown"):
            return web.json_response({"errcode": 300005, "errmsg": "不支持的消息类型"})
        at = tuple((body.get("at") or {}).get("atUserIds") or ())
        text = body.get("text", {}).get("content") or body.get("markdown", {}).get("text", "")
        title = body.get("markdown", {}).get("title", "")
        self.notified += [(u, "webhook-at", title) for u in at if f"@{u}" in text]  # highlighted only if in the text
        if kind == "text":
            self.seen[chat_key].append(Seen("text", "", body["text"]["content"], "webhook", at))
        else:
            self.seen[chat_key].append(Seen("markdown", body["markdown"]["title"], body["markdown"]["text"],
                                            "webhook", at))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _create_and_deliver(self, request: web.Request) -> web.Response:
        body, error = await self._api(request)
        if error is not None:
            return error
        if body.get("cardTemplateId") not in self.templates:
            return _bad("param.templateUnpublished", "卡片模板不存在或未发布")
        params = (body.get("cardData") or {}).get("cardParamMap") or {}
        if not all(isinstance(v, str) for v in params.values()):
            return _bad("param.cardParamMap.invalid", "cardParamMap的值必须是字符串")
        if body.get("callbackType") != "STREAM":
            return _bad("param.callbackType.invalid", "callbackType")
        space = body.get("openSpaceId", "")
        kind, _, target = space.removeprefix("dtv1.card//").partition(".")
        if kind == "IM_GROUP":
            if target not in self.groups or (body.get("imGroupOpenDeliverModel") or {}).get("robotCode") \
                    != self.robot_code:
                return web.json_response({"success": True, "result": [
                    {"spaceType": kind, "spaceId": target, "success": False, "errorMsg": "chatbot not exist"}]})
            chat = target
        elif kind == "IM_ROBOT":
            chat = f"user:{target}"
        else:
            return _bad("param.openSpaceId.invalid", "openSpaceId")
        out_track_id = body.get("outTrackId", "")
        seen = Seen("card", params.get("title", ""), params.get("markdown", ""), "card", card=dict(params),
                    out_track_id=out_track_id)
        self.cards[out_track_id] = {"space": space, "data": dict(params), "template": body["cardTemplateId"],
                                    "seen": seen, "private": {}}
        self.seen[chat].append(seen)
        return web.json_response({"success": True, "result": [
            {"spaceType": kind, "spaceId": target, "success": True, "carrierId": uuid.uuid4().hex}]})

    async def _update_card(self, request: web.Request) -> web.Response:
        body, error = await self._api(request)
        if error is not None:
            return error
        card = self.cards.get(body.get("outTrackId", ""))
        if card is None:
            return _bad("param.outTrackId.notExist", "卡片实例不存在")
        params = (body.get("cardData") or {}).get("cardParamMap") or {}
        card["data"].update(params)
        card["seen"].card = dict(card["data"])
        return web.json_response({"success": True, "result": True})

    def _fault(self, path: str) -> Fault | None:
        queue = self.faults.get(path)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    @staticmethod
    async def _fault_response(fault: Fault) -> web.Response:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return web.json_response(fault.body, status=fault.status)


def _bad(code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "requestid": uuid.uuid4().hex}, status=400)


def _seen(msg_key: str, param: dict[str, Any], via: str) -> Seen:
    if msg_key == "sampleMarkdown":
        return Seen("markdown", param.get("title", ""), param.get("text", ""), via)
    if msg_key == "sampleText":
        return Seen("text", "", param.get("content", ""), via)
    if msg_key == "sampleImageMsg":
        return Seen("image", "", param.get("photoURL", ""), via)
    if msg_key == "sampleFile":  # the file's name as title, its mediaId as text
        return Seen("file", param.get("fileName", ""), param.get("mediaId", ""), via)
    if msg_key.startswith("sampleActionCard"):
        buttons = [(param.get(f"actionTitle{i}", ""), param.get(f"actionURL{i}", "")) for i in range(1, 6)
                   if param.get(f"actionTitle{i}")]
        if param.get("singleTitle"):
            buttons = [(param["singleTitle"], param.get("singleURL", ""))]
        return Seen("actionCard", param.get("title", ""), param.get("text", ""), via, buttons=tuple(buttons))
    return Seen(msg_key, param.get("title", ""), json.dumps(param, ensure_ascii=False), via)


async def _as_coro(fn: Callable[[], None]) -> None:
    fn()


#: The card template the project ships (docs/dingtalk.md): the fake's buttons behave as it says.
TEMPLATE_FILE = Path(__file__).resolve().parents[2] / "cards" / "dingtalk" / "xiezuo-card.json"
_EXPR = re.compile(r"^\$\{([\w.]+)\}$")


class ClickRefused(AssertionError):
    """The DingTalk client would not send this (a choice the select does not offer, a bad date)."""


@dataclass
class Template:
    """Plays the shipped template: finds a button by its text among the card's variables and
    builds the callback params its layout declares (`${item.command}`, `${button.values}`, one
    `${field_<name>}` per form input).

    Open facts, played both ways by the flags: whether an object variable arrives as an object or
    as its JSON string (`objects`), and whether a date picker sends "YYYY-MM-DD" or epoch
    milliseconds (`dates_as_millis`).
    """

    objects: bool = True
    dates_as_millis: bool = False
    layout: list[dict[str, Any]] = field(default_factory=lambda: json.loads(TEMPLATE_FILE.read_text())["layout"])

    def params(self, variables: dict[str, str], label: str, form: dict[str, Any]) -> dict[str, Any]:
        offered = []
        for block in self.layout:
            if block["component"] == "ButtonBlock":
                for item in json.loads(variables.get(block["loopOver"], "[]")):
                    scope = {"item": item}
                    offered.append(_resolve(block["text"], scope))
                    if offered[-1] == label:
                        if form:
                            raise AssertionError(f"button {label!r} has no form to fill")
                        return self._fill(block["params"], scope)
            if block["component"] == "Loop":
                button_block = next(c for c in block["children"] if c["component"] == "ButtonBlock")
                for item in json.loads(variables.get(block["over"], "[]")):
                    for button in item["buttons"]:
                        scope = {"item": item, "button": button}
                        offered.append(_resolve(button_block["text"], scope))
                        if offered[-1] == label:
                            return self._fill(button_block["params"], scope, item["fields"], form)
        raise AssertionError(f"no button {label!r} on the card; it has {offered}")

    def _fill(self, template: dict[str, str], scope: dict[str, Any], fields: list[dict[str, Any]] = (),  # type: ignore[assignment]
              form: dict[str, Any] | None = None) -> dict[str, Any]:
        form = dict(form or {})
        unknown = set(form) - {f["name"] for f in fields}
        if unknown:
            raise AssertionError(f"{sorted(unknown)} are not inputs of this form")
        params: dict[str, Any] = {}
        for key, expr in template.items():
            if key == "<field name>":
                for f in fields:
                    typed = form.get(f["name"], f.get("value"))
                    if typed not in (None, "", []):
                        params[f["name"]] = self._input(f, typed)
                continue
            value = _resolve(expr, scope)
            params[key] = value if self.objects or isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return params

    def _input(self, f: dict[str, Any], typed: Any) -> Any:
        choices = f.get("choices") or []
        items = typed if isinstance(typed, list) else [typed]
        if choices:
            picked = []
            for item in items:
                match = next((c["value"] for c in choices  # "李工" picks the option shown as 李工（研发部）
                              if str(item) in (str(c["value"]), c["label"], c["label"].split("（")[0])), None)
                if match is None:
                    raise ClickRefused(f"{f['name']}: {item!r} is not offered ({[c['label'] for c in choices]})")
                picked.append(match)
            items = picked
        if f["kind"] == "date" and self.dates_as_millis:
            day = date.fromisoformat(str(items[0]))
            return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1000)
        if isinstance(typed, list) or len(items) > 1:
            return items if self.objects else ",".join(map(str, items))
        return items[0]


def _resolve(expr: str, scope: dict[str, Any]) -> Any:
    match = _EXPR.match(expr)
    if match is None:
        return expr
    value: Any = scope
    for part in match.group(1).split("."):
        value = value[part]
    return value
