"""A local fake Feishu: the REST endpoints the bot calls and the long-connection server.

Runs on 127.0.0.1 (random port). It behaves like Feishu where it matters to the bot: tenant
tokens that expire, send/reply/patch/image endpoints with the real rate limits (50/s per app,
5/s per chat → HTTP 429, code 99991400, x-ogw-ratelimit-reset), idempotent sends by `uuid`,
permanent refusals per chat, and a websocket that pushes protobuf frames, waits for acks and
re-pushes what was not acked after a reconnect. Faults (5xx, 429, slow answers, dropped or
silent connections) can be injected. It records what a Feishu user would see in each chat.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from datetime import time as time_
from typing import Any

from aiohttp import WSMsgType, web

from bot.platforms.feishu import crypto

APP_ID = "cli_fake_app"
APP_SECRET = "fake-secret"
BOT_OPEN_ID = "ou_bot"
CARD_LIMIT_BYTES = 30 * 1024
FILE_LIMIT_BYTES = 30 * 1024 * 1024  # 上传文件: at most 30 MB, never empty
FILE_TYPES = {"opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"}
UUID_WINDOW_SECONDS = 3600  # a send's uuid is deduplicated for one hour (docs/feishu.md, **uuid**)
UPDATE_WINDOW_SECONDS = 14 * 86400  # a sent card can be updated for 14 days (docs/feishu.md, **update window**)


@dataclass
class Posted:
    """One message as it appears in a chat: a card (its latest version) or an image."""

    message_id: str
    chat_id: str
    msg_type: str
    content: dict[str, Any]
    reply_to: str | None = None
    versions: int = 1
    sent_at: float = 0.0  # the fake's clock (`FakeFeishu.now`) when it was sent
    earlier: list[dict[str, Any]] = field(default_factory=list)  # the card's contents before each update

    @property
    def text(self) -> str:
        """The card's visible text: title and every markdown element."""
        return self._text(self.content)

    @property
    def texts_shown(self) -> list[str]:
        """What the chat showed of this card over time, oldest first (each update replaces it)."""
        return [self._text(c) for c in (*self.earlier, self.content)]

    def _text(self, content: dict[str, Any]) -> str:
        if self.msg_type != "interactive":
            return json.dumps(content, ensure_ascii=False)
        title = content.get("header", {}).get("title", {}).get("content", "")
        parts = [e.get("content", "") for e in content.get("body", {}).get("elements", [])
                 if e.get("tag") == "markdown"]
        return "\n".join([f"【{title}】", *parts])


@dataclass
class Faults:
    """Injected failures, consumed one per matching request."""

    server_errors: int = 0
    rate_limits: int = 0
    slow: int = 0
    slow_seconds: float = 0.0
    rate_limit_reset: int = 1
    expire_tokens: bool = False
    refuse_chats: dict[str, int] = field(default_factory=dict)


class Window:
    """Feishu's counting: at most `limit` accepted requests in any 1-second span."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stamps: deque[float] = deque()

    def admit(self, now: float) -> bool:
        while self.stamps and self.stamps[0] <= now - 1.0:
            self.stamps.popleft()
        if len(self.stamps) >= self.limit:
            return False
        self.stamps.append(now)
        return True


class FakeFeishu:
    def __init__(self, app_limit: int = 50, chat_limit: int = 5, ping_interval: int = 120,
                 users: dict[str, str] | None = None) -> None:
        self.app_window = Window(app_limit)
        self.chat_windows: dict[str, Window] = defaultdict(lambda: Window(chat_limit))
        self.ping_interval = ping_interval
        self.users = dict(users or {})
        self.faults = Faults()
        self.days_passed = 0.0  # moved by tests that let time pass (`now`)
        self.posted: dict[str, Posted] = {}
        self.sent_order: list[str] = []
        self.uuids: dict[str, tuple[str, float]] = {}  # uuid → (message id, when), deduplicated for an hour
        self.images: dict[str, bytes] = {}
        self.files: dict[str, tuple[str, str, bytes]] = {}  # file_key → (file_type, file_name, bytes)
        self.tokens: set[str] = set()
        self.outside_chats: set[str] = set()  # groups the bot is not a member of (is_in_chat says false)
        self.chat_scope = True  # whether the app holds im:chat:readonly (else is_in_chat is refused)
        self.token_requests = 0
        self.rejected_429 = 0
        self.requests = 0
        self.connections = 0
        self.silent = False
        self.acks: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, bytes] = {}
        self._acked: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ws: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/open-apis/im/v1/messages", self._create)
        app.router.add_post("/open-apis/im/v1/messages/{message_id}/reply", self._reply)
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}", self._patch)
        app.router.add_post("/open-apis/im/v1/images", self._image)
        app.router.add_post("/open-apis/im/v1/files", self._file)
        app.router.add_get("/open-apis/bot/v3/info", self._bot_info)
        app.router.add_get("/open-apis/im/v1/chats/{chat_id}/members/is_in_chat", self._is_in_chat)
        app.router.add_get("/open-apis/contact/v3/users/{open_id}", self._user)
        app.router.add_post("/callback/ws/endpoint", self._endpoint)
        app.router.add_get("/ws", self._websocket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ what users see
    def now(self) -> float:
        return time.time() + self.days_passed * 86400

    def chat(self, chat_id: str) -> list[Posted]:
        return [self.posted[m] for m in self.sent_order if self.posted[m].chat_id == chat_id]

    def texts(self, chat_id: str) -> list[str]:
        return [p.text for p in self.chat(chat_id)]

    def new_message_id(self) -> str:
        return f"om_{next(self._ids):06d}"

    def note_user_message(self, message_id: str, chat_id: str) -> None:
        """A message a user sent (so replies to it count against its chat's limit)."""
        self.posted.setdefault(message_id, Posted(message_id, chat_id, "user", {}))

    def show_callback_answer(self, message_id: str, answer: dict[str, Any] | None) -> None:
        """Apply a card callback's answer the way the Feishu client does: the card is replaced."""
        card = (answer or {}).get("card")
        if card and card.get("type") == "raw" and message_id in self.posted:
            posted = self.posted[message_id]
            posted.earlier.append(posted.content)
            posted.content = card["data"]
            posted.versions += 1

    # ------------------------------------------------------------------ REST
    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.token_requests += 1
        if body.get("app_id") != APP_ID or body.get("app_secret") != APP_SECRET:
            return web.json_response({"code": 10014, "msg": "app secret invalid"}, status=400)
        token = f"t-{next(self._ids)}"
        self.tokens.add(token)
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200})

    def _auth(self, request: web.Request) -> web.Response | None:
        if self.faults.expire_tokens:
            self.faults.expire_tokens = False
            self.tokens.clear()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return web.json_response({"code": 99991663, "msg": "tenant access token invalid"}, status=400)
        return None

    async def _gate(self, request: web.Request, chat_id: str) -> web.Response | None:
        """Auth, injected faults and rate limits, in Feishu's order."""
        self.requests += 1
        if (denied := self._auth(request)) is not None:
            return denied
        if self.faults.server_errors:
            self.faults.server_errors -= 1
            return web.json_response({"code": 1500, "msg": "internal error"}, status=500)
        now = time.monotonic()
        if self.faults.rate_limits or not self.app_window.admit(now):
            self.faults.rate_limits = max(0, self.faults.rate_limits - 1)
            return self._too_many()
        if not self.chat_windows[chat_id].admit(now):
            return self._too_many()
        if chat_id in self.faults.refuse_chats:
            code = self.faults.refuse_chats[chat_id]
            return web.json_response({"code": code, "msg": "refused"}, status=400)
        return None

    def _too_many(self) -> web.Response:
        self.rejected_429 += 1
        return web.json_response({"code": 99991400, "msg": "request trigger frequency limit"}, status=429,
                                 headers={"x-ogw-ratelimit-limit": "50",
                                          "x-ogw-ratelimit-reset": str(self.faults.rate_limit_reset)})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind, receiver = request.query.get("receive_id_type"), str(body.get("receive_id", ""))
        if kind == "open_id":  # to one person: their private chat with the bot
            if receiver not in self.users:
                return web.json_response({"code": 230013, "msg": "no availability to the user"}, status=400)
            return await self._post(request, f"user:{receiver}", body, None)
        if kind != "chat_id":
            return web.json_response({"code": 230001, "msg": "bad receive_id_type"}, status=400)
        return await self._post(request, receiver, body, None)

    async def _reply(self, request: web.Request) -> web.Response:
        parent = self.posted.get(request.match_info["message_id"])
        if parent is None:
            return web.json_response({"code": 230011, "msg": "message not found"}, status=400)
        return await self._post(request, parent.chat_id, await request.json(), parent.message_id)

    async def _post(self, request: web.Request, chat_id: str, body: dict[str, Any], reply_to: str | None
                    ) -> web.Response:
        if (denied := await self._gate(request, chat_id)) is not None:
            return denied
        if (refused := await self._check_card(request, body)) is not None:
            return refused
        if (refused := self._check_media(body)) is not None:
            return refused
        uuid = body.get("uuid") or ""
        if len(uuid) > 50:
            return web.json_response({"code": 230001, "msg": "uuid too long"}, status=400)
        if uuid and uuid in self.uuids and self.now() - self.uuids[uuid][1] < UUID_WINDOW_SECONDS:
            message_id = self.uuids[uuid][0]  # at most one message per uuid within the hour
        else:
            message_id = self.new_message_id()
            self.posted[message_id] = Posted(message_id, chat_id, body["msg_type"], json.loads(body["content"]),
                                             reply_to, sent_at=self.now())
            self.sent_order.append(message_id)
            if uuid:
                self.uuids[uuid] = (message_id, self.now())
        await self._maybe_slow()
        return web.json_response({"code": 0, "msg": "success",
                                  "data": {"message_id": message_id, "chat_id": chat_id,
                                           "msg_type": body["msg_type"]}})

    def _check_media(self, body: dict[str, Any]) -> web.Response | None:
        """A file or image message names a key this app uploaded (else 230017)."""
        content = json.loads(body.get("content") or "{}")
        if body.get("msg_type") == "file" and content.get("file_key") not in self.files or \
                body.get("msg_type") == "image" and content.get("image_key") not in self.images:
            return web.json_response({"code": 230017, "msg": "the bot can only send its own resources"}, status=400)
        return None

    async def _check_card(self, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        """Feishu's checks of a card: 30 KB counted on the request body as sent (230025), and
        every form input and button named, uniquely (else the card cannot be built, 230099)."""
        if body.get("msg_type") != "interactive":
            return None
        if len(await request.read()) > CARD_LIMIT_BYTES:
            return web.json_response({"code": 230025, "msg": "message content too long"}, status=400)
        card = json.loads(body["content"])
        elements = list(_walk(card.get("body", {}).get("elements", [])))
        names = [e["name"] for e in elements if e.get("name")]
        in_forms = [e for f in elements if f.get("tag") == "form" for e in _walk(f["elements"])
                    if e.get("tag") in INPUT_TAGS | {"button"}]
        if not all(e.get("name") for e in in_forms) or len(names) != len(set(names)):
            return web.json_response({"code": 230099, "msg": "card build failed: names must be unique"}, status=400)
        return None

    async def _maybe_slow(self) -> None:
        """A slow answer after the work is done: the client times out although the send happened."""
        if self.faults.slow:
            self.faults.slow -= 1
            await asyncio.sleep(self.faults.slow_seconds)

    async def _patch(self, request: web.Request) -> web.Response:
        posted = self.posted.get(request.match_info["message_id"])
        if posted is None:
            return web.json_response({"code": 230011, "msg": "message not found"}, status=400)
        if (denied := await self._gate(request, posted.chat_id)) is not None:
            return denied
        body = await request.json()
        if (refused := await self._check_card(request, body | {"msg_type": "interactive"})) is not None:
            return refused
        if self.now() - posted.sent_at > UPDATE_WINDOW_SECONDS:
            return web.json_response({"code": 230031, "msg": "card can only be updated within 14 days"}, status=400)
        card = json.loads(body["content"])
        if not card.get("config", {}).get("update_multi"):
            return web.json_response({"code": 230099, "msg": "card is not shared"}, status=400)
        posted.earlier.append(posted.content)
        posted.content = card
        posted.versions += 1
        return web.json_response({"code": 0, "data": {}, "msg": "ok"})

    async def _image(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        fields: dict[str, bytes] = {}
        reader = await request.multipart()
        async for part in reader:
            fields[part.name or ""] = await part.read()  # type: ignore[union-attr]
        if fields.get("image_type") != b"message" or not fields.get("image"):
            return web.json_response({"code": 234011, "msg": "bad image"}, status=400)
        key = f"img_v2_{next(self._ids)}"
        self.images[key] = fields["image"]
        return web.json_response({"code": 0, "data": {"image_key": key}, "msg": "success"})

    async def _file(self, request: web.Request) -> web.Response:
        """上传文件: file_type of Feishu's list, a file_name with its extension, 1 byte to 30 MB."""
        if (denied := self._auth(request)) is not None:
            return denied
        fields: dict[str, bytes] = {}
        async for part in await request.multipart():
            fields[part.name or ""] = await part.read()  # type: ignore[union-attr]
        file_type, name, content = (fields.get("file_type", b"").decode(), fields.get("file_name", b"").decode(),
                                    fields.get("file", b""))
        if file_type not in FILE_TYPES or "." not in name:
            return web.json_response({"code": 234001, "msg": "invalid request param"}, status=400)
        if not content:
            return web.json_response({"code": 234010, "msg": "file is empty"}, status=400)
        if len(content) > FILE_LIMIT_BYTES:
            return web.json_response({"code": 234006, "msg": "file size exceed the max value"}, status=400)
        key = f"file_v3_{next(self._ids)}"
        self.files[key] = (file_type, name, content)
        return web.json_response({"code": 0, "data": {"file_key": key}, "msg": "success"})

    async def _bot_info(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return web.json_response({"code": 0, "msg": "ok", "bot": {"open_id": BOT_OPEN_ID, "app_name": "协作"}})

    async def _is_in_chat(self, request: web.Request) -> web.Response:
        """判断用户或机器人是否在群里: with the tenant token, whether the bot is in the chat; it needs
        one of im:chat, im:chat:readonly, im:chat.members:read."""
        if (denied := self._auth(request)) is not None:
            return denied
        if not self.chat_scope:
            return web.json_response({"code": 99991672, "msg": "Access denied. One of the following scopes is required: "
                                      "[im:chat, im:chat:readonly, im:chat.members:read]."}, status=400)
        inside = request.match_info["chat_id"] not in self.outside_chats
        return web.json_response({"code": 0, "msg": "success", "data": {"is_in_chat": inside}})

    async def _user(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        open_id = request.match_info["open_id"]
        if open_id not in self.users:
            return web.json_response({"code": 41050, "msg": "no user authority"}, status=400)
        return web.json_response({"code": 0, "data": {"user": {"open_id": open_id, "name": self.users[open_id]}}})

    # ------------------------------------------------------------------ long connection
    async def _endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("AppID") != APP_ID or body.get("AppSecret") != APP_SECRET:
            return web.json_response({"code": 514, "msg": "auth failed"})
        self.connections += 1
        return web.json_response({"code": 0, "data": {
            "URL": f"{self.url.replace('http', 'ws', 1)}/ws?device_id=d{self.connections}&service_id=1",
            "ClientConfig": {"ReconnectCount": -1, "ReconnectInterval": 1, "ReconnectNonce": 0,
                             "PingInterval": self.ping_interval}}})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self._ws is not None:
            await self._ws.close()
        self._ws = ws
        self.silent = False
        self._connected.set()
        for payload in list(self._pending.values()):  # redeliver what was never acked
            await ws.send_bytes(payload)
        async for msg in ws:
            if msg.type != WSMsgType.BINARY or self.silent:
                continue
            frame = Frame()
            frame.ParseFromString(msg.data)
            headers = {h.key: h.value for h in frame.headers}
            if frame.method == 0 and headers.get("type") == "ping":
                await ws.send_bytes(_frame(0, {"type": "pong"}, b"").SerializeToString())
            elif frame.method == 1:
                self._ack(headers.get("message_id", ""), json.loads(frame.payload))
        if self._ws is ws:
            self._ws = None
            self._connected.clear()
        return ws

    def _ack(self, frame_id: str, payload: dict[str, Any]) -> None:
        if "data" in payload:
            payload = payload | {"data": json.loads(base64.b64decode(payload["data"]))}
        self.acks[frame_id] = payload
        if payload.get("code") == 200:
            self._pending.pop(frame_id, None)
        future = self._acked.pop(frame_id, None)
        if future is not None and not future.done():
            future.set_result(payload)

    async def push(self, envelope: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """Push one event over the long connection; returns the client's ack payload.

        Until acked with code 200 the frame stays pending and is pushed again on reconnect.
        """
        frame_id = f"f{next(self._ids)}"
        data = _frame(1, {"type": "event", "message_id": frame_id, "trace_id": frame_id, "sum": "1", "seq": "0"},
                      json.dumps(envelope, ensure_ascii=False).encode()).SerializeToString()
        self._pending[frame_id] = data
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acked[frame_id] = future
        if self._ws is not None and not self.silent:  # otherwise the next connection delivers it
            await self._ws.send_bytes(data)
        return await asyncio.wait_for(future, timeout)

    async def wait_connected(self, timeout: float = 15.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def drop(self) -> None:
        """Close the long connection from the server side (the client should reconnect)."""
        if self._ws is not None:
            ws, self._ws = self._ws, None
            self._connected.clear()
            await ws.close()

    def go_silent(self) -> None:
        """Keep the socket open but stop answering anything: a half-open connection."""
        self.silent = True
        self._connected.clear()


def _frame(method: int, headers: dict[str, str], payload: bytes) -> Any:
    from lark_oapi.ws.pb.pbbp2_pb2 import Frame

    frame = Frame(SeqID=0, LogID=0, service=1, method=method, payload=payload)
    for key, value in headers.items():
        header = frame.headers.add()
        header.key, header.value = key, value
    return frame


# ---------------------------------------------------------------------- event payloads
def envelope(event_type: str, event: dict[str, Any], token: str = "", event_id: str | None = None) -> dict[str, Any]:
    return {"schema": "2.0", "header": {
        "event_id": event_id or f"ev_{time.time_ns()}", "event_type": event_type,
        "create_time": str(int(time.time() * 1000)), "token": token, "app_id": APP_ID, "tenant_key": "fake_tenant"},
        "event": event}


def message_event(chat_id: str, open_id: str, text: str, mentions: list[tuple[str, str]] = (),  # type: ignore[assignment]
                  message_id: str = "", chat_type: str = "group", token: str = "", event_id: str | None = None,
                  msg_type: str = "text", content: dict[str, Any] | None = None) -> dict[str, Any]:
    """im.message.receive_v1 as Feishu sends it; `text` uses @_user_N for `mentions[N-1]`."""
    return envelope("im.message.receive_v1", {
        "sender": {"sender_id": {"open_id": open_id, "union_id": f"on_{open_id}", "user_id": open_id},
                   "sender_type": "user", "tenant_key": "fake_tenant"},
        "message": {"message_id": message_id or f"om_u{time.time_ns()}", "chat_id": chat_id, "chat_type": chat_type,
                    "message_type": msg_type, "content": json.dumps(content or {"text": text}, ensure_ascii=False),
                    "create_time": str(int(time.time() * 1000)),
                    "mentions": [{"key": f"@_user_{i}", "id": {"open_id": oid, "union_id": f"on_{oid}",
                                                               "user_id": oid},
                                  "name": name, "tenant_key": "fake_tenant"}
                                 for i, (oid, name) in enumerate(mentions, 1)]}}, token, event_id)


def card_event(chat_id: str, open_id: str, message_id: str, action: dict[str, Any], token: str = "") -> dict[str, Any]:
    """card.action.trigger as Feishu sends it (fixture F6), around an `action` object."""
    return envelope("card.action.trigger", {
        "operator": {"tenant_key": "fake_tenant", "user_id": open_id, "open_id": open_id, "union_id": f"on_{open_id}"},
        "token": "c-fake", "host": "im_message", "action": action,
        "context": {"open_message_id": message_id, "open_chat_id": chat_id}}, token)


class FormRefused(AssertionError):
    """The Feishu client would not send this click (a required field empty, a choice not offered)."""


@dataclass
class Clicker:
    """How the Feishu client turns a click on a sent card into the callback's `action`.

    Built only from the card JSON: the button's `behaviors[].value` verbatim and its `name`; a
    form's inputs as `form_value`, keyed by input `name`, in the pickers' formats. Whether Feishu
    echoes a submit button's value is an open fact (docs/cards.md), so `echo_submit_value` plays
    either reading. `people` maps display names to open_ids, `members` a chat's open_ids.
    """

    people: dict[str, str] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    echo_submit_value: bool = True
    zone: str = "+0800"

    def action(self, card: dict[str, Any], chat_id: str, label: str, form: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        found = _find_button(card["body"]["elements"], label, None)
        if found is None:
            raise AssertionError(f"no button {label!r} on the card; it has {_labels(card['body']['elements'])}")
        button, container = found
        action: dict[str, Any] = {"tag": "button", "timezone": "Asia/Shanghai", "name": button.get("name", "")}
        value = next((b.get("value") for b in button.get("behaviors", ()) if b.get("type") == "callback"), None)
        submit = container is not None and button.get("form_action_type") == "submit"
        if value is not None and (not submit or self.echo_submit_value):
            action["value"] = value
        if container is None:
            if form:
                raise AssertionError(f"button {label!r} is not in a form; nothing to fill")
            return action
        inputs = {e["name"]: e for e in _walk(container["elements"]) if e.get("tag") in INPUT_TAGS}
        unknown = set(form or {}) - set(inputs)
        if unknown:
            raise AssertionError(f"{sorted(unknown)} are not inputs of this form; it has {sorted(inputs)}")
        answers = {}
        for name, element in inputs.items():
            typed = (form or {}).get(name)
            answer = self._answer(element, chat_id, typed) if typed not in (None, "", []) else _initial(element)
            if answer in (None, "", []):
                if element.get("required"):
                    raise FormRefused(f"有必填项未填写：{name}")
                continue
            answers[name] = answer
        action["form_value"] = answers
        return action

    def _answer(self, element: dict[str, Any], chat_id: str, typed: Any) -> Any:
        tag = element["tag"]
        if tag in ("multi_select_static", "multi_select_person"):
            items = typed if isinstance(typed, list) else [typed]
            single = "select_static" if tag == "multi_select_static" else "select_person"
            return [self._answer(element | {"tag": single}, chat_id, item) for item in items]
        if isinstance(typed, list):
            raise AssertionError(f"{element['name']} takes one value, not {typed!r}")
        text = str(typed)
        if tag == "select_static":
            for option in element.get("options", ()):
                if text in (option["value"], option["text"]["content"]):
                    return option["value"]
            offered = [o["text"]["content"] for o in element.get("options", ())]
            raise FormRefused(f"{element['name']}: {text!r} is not offered ({offered})")
        if tag == "select_person":
            open_id = self.people.get(text, text)
            allowed = {o["value"] for o in element.get("options", ())} or self.members.get(chat_id)
            if allowed is not None and open_id not in allowed:
                raise FormRefused(f"{element['name']}: {text!r} is not offered in this chat")
            return open_id
        if tag == "date_picker":
            date.fromisoformat(text)  # a picker can only give a real date
            return f"{text} {self.zone}"
        if tag == "picker_time":
            time_.fromisoformat(text)
            return f"{text} {self.zone}"
        return text


INPUT_TAGS = {"input", "select_static", "multi_select_static", "select_person", "multi_select_person", "date_picker",
              "picker_time", "picker_datetime", "checker"}


def _walk(elements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in elements:
        yield element
        for column in element.get("columns", ()):
            yield from _walk(column.get("elements", ()))
        yield from _walk(element.get("elements", ()))


def _find_button(elements: list[dict[str, Any]], label: str, form: dict[str, Any] | None
                 ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    for element in elements:
        if element.get("tag") == "button" and element.get("text", {}).get("content") == label:
            return element, form
        inner = [e for column in element.get("columns", ()) for e in column.get("elements", ())]
        inner += element.get("elements", [])
        found = _find_button(inner, label, element if element.get("tag") == "form" else form)
        if found is not None:
            return found
    return None


def _labels(elements: list[dict[str, Any]]) -> list[str]:
    return [e["text"]["content"] for e in _walk(elements) if e.get("tag") == "button"]


def _initial(element: dict[str, Any]) -> Any:
    """What an untouched input submits: its initial value, as its picker formats it."""
    for key in ("default_value", "initial_option", "selected_values"):
        if element.get(key) not in (None, ""):
            return element[key]
    if element.get("initial_date"):
        return f"{element['initial_date']} +0800"
    if element.get("initial_time"):
        return f"{element['initial_time']} +0800"
    return None


def bot_added_event(chat_id: str, name: str, operator: str, token: str = "") -> dict[str, Any]:
    return envelope("im.chat.member.bot.added_v1", {
        "chat_id": chat_id, "name": name, "external": False, "operator_tenant_key": "fake_tenant",
        "operator_id": {"open_id": operator, "union_id": f"on_{operator}", "user_id": operator}}, token)


def signed_request(body: dict[str, Any], encrypt_key: str, timestamp: int | None = None,
                   encrypt: bool = True) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a webhook push, encrypted and signed the way Feishu does it."""
    plain = json.dumps(body, ensure_ascii=False).encode()
    raw = json.dumps({"encrypt": crypto.encrypt(plain, encrypt_key)}).encode() if encrypt else plain
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = f"n{time.time_ns()}"
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Lark-Request-Timestamp": stamp,
               "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": crypto.signature(stamp, nonce, encrypt_key, raw)}
    return headers, raw
