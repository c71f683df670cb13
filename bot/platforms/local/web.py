"""The emulator's HTTP side: the page, its chats and history, typed messages, card clicks, live updates.

A typed message is stored in the chat's history and, when it is addressed to the bot (a slash
command in a group, anything in the private chat), becomes a `Command`; a card click becomes a
`CardAction`. Both go through `Bot.dispatch` like any platform's events (claimed and run in one
transaction: the page waits for the outcome); the bot's answers come back through the outbox and
`LocalSender`, which pushes them to every open page.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import WSMsgType, web

from bot.app import Bot
from bot.events import CardAction, Chat, Command, Mention, User
from bot.messages import Message
from bot.platforms.local.demo import PLATFORM
from bot.platforms.local.guard import Guard
from bot.platforms.local.sender import Hub, directory, preview, view
from storage import local_chat
from storage.models import LocalMessage

STATIC = Path(__file__).with_name("static")
HUB_KEY = web.AppKey("local_hub", Hub)
PAGE_KEY = web.AppKey("local_page", str)
LOCAL_BOT_KEY = web.AppKey("local_bot", Bot)
MAX_TEXT = 20_000
_MENTION = re.compile(r"[@＠]([^\s@＠,，。;；=]+)")


def add_routes(app: web.Application, bot: Bot, hub: Hub) -> None:
    app[HUB_KEY] = hub
    app[LOCAL_BOT_KEY] = bot
    guard = Guard(bot.config)
    app[PAGE_KEY] = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{token}}", guard.token)
    app.middlewares.append(guard.middleware)
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/messages", messages)
    app.router.add_get("/api/upcoming", upcoming)
    app.router.add_post("/api/say", say)
    app.router.add_post("/api/action", action)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/files/{message}", download)
    app.on_shutdown.append(_close_sockets)


async def index(request: web.Request) -> web.Response:
    """The page, carrying this process's API token for its script (bot/platforms/local/guard.py)."""
    return web.Response(text=request.app[PAGE_KEY], content_type="text/html", headers={"Cache-Control": "no-store"})


WEEKDAYS = "一二三四五六日"


async def upcoming(request: web.Request) -> web.Response:
    """The notices the scheduler will send in the next seven days, as things stand (the 即将发送 panel)."""
    bot = request.app[LOCAL_BOT_KEY]
    now = bot.clock.now()
    zone = ZoneInfo(bot.config.policy.timezone)
    items = await bot.planner.upcoming(now + timedelta(days=7), now)
    shown = [(u.at.astimezone(zone), u) for u in items[:80]]
    return web.json_response({"items": [{"at": f"{at:%m-%d} 周{WEEKDAYS[at.weekday()]} {at:%H:%M}", "to": "、".join(u.to),
                                         "title": u.title} for at, u in shown], "more": max(0, len(items) - 80)})


async def favicon(_request: web.Request) -> web.FileResponse:
    """Browsers ask for /favicon.ico whatever the page links: the same icon, as SVG."""
    return web.FileResponse(STATIC / "favicon.svg", headers={"Content-Type": "image/svg+xml",
                                                             "Cache-Control": "max-age=86400"})


async def state(request: web.Request) -> web.Response:
    """Who can be impersonated and which group chats exist."""
    bot = request.app[LOCAL_BOT_KEY]
    async with bot.sessions() as session:
        people = await local_chat.people(session)
        chats = await local_chat.group_chats(session)
        last = {c.chat_id: await local_chat.history(session, c.chat_id, 1) for c, _ in chats}
    return web.json_response({
        "people": [{"id": p.user_id, "name": p.name, "dept": dept, "head": p.is_head, "admin": p.is_admin}
                   for p, dept in people],
        "chats": [{"id": c.chat_id, "title": c.title or d.name, "dept": d.name, "pmo": d.is_pmo,
                   "preview": preview(last[c.chat_id][-1]) if last[c.chat_id] else ""} for c, d in chats],
    })



async def messages(request: web.Request) -> web.Response:
    chat = request.query.get("chat", "")
    bot = request.app[LOCAL_BOT_KEY]
    async with bot.sessions() as session:
        rows = await local_chat.history(session, chat)
        where = await directory(session)
        shown = [view(r, where, bot.registry.specs) for r in rows]
    return web.json_response({"messages": shown})


async def download(request: web.Request) -> web.Response:
    """The file a bot message carries (an export), as a download."""
    bot = request.app[LOCAL_BOT_KEY]
    message_id = request.match_info["message"]
    async with bot.sessions() as session:
        row = await session.get(LocalMessage, int(message_id)) if message_id.isdigit() else None
    attachment = Message.from_json(row.payload).attachment \
        if row is not None and not row.author_id and row.payload and row.payload.get("attachment") else None
    if attachment is None:
        raise web.HTTPNotFound(text="no such file")
    mime = MIME.get(Path(attachment.name).suffix, "application/octet-stream")
    return web.Response(body=attachment.content, content_type=mime,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.name)}"})


MIME = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".png": "image/png"}


async def say(request: web.Request) -> web.Response:
    body = await _json(request)
    chat, user, text = _chat(body), _user(body), str(body.get("text", "")).strip()
    if not text:
        raise web.HTTPBadRequest(text="empty message")
    if len(text) > MAX_TEXT:
        raise web.HTTPBadRequest(text=f"message longer than {MAX_TEXT} characters")
    bot, hub = request.app[LOCAL_BOT_KEY], request.app[HUB_KEY]
    async with bot.sessions() as session, session.begin():
        row = await local_chat.add(session, chat.chat_id, user.user_id, user.name, bot.clock.now(), text=text)
        shown = view(row, await directory(session), bot.registry.specs)
    await hub.broadcast({"type": "message", "message": shown})
    if chat.is_group and not text.startswith(("/", "／")):
        return web.json_response({"ok": True, "handled": False})
    outcome = await bot.dispatch(Command(chat, user, f"local-{shown['id']}", text, mentions_in(text)))
    return web.json_response({"ok": not outcome.error, "handled": True})


def mentions_in(text: str) -> tuple[Mention, ...]:
    """The @names typed in the emulator: on the local platform a person's id is their name."""
    return tuple(Mention(user_id=name, name=name, text=f"@{name}") for name in _MENTION.findall(text))


async def action(request: web.Request) -> web.Response:
    """A card button or form: answered with the outcome, the card itself is updated through the outbox."""
    body = await _json(request)
    chat, user = _chat(body), _user(body)
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise web.HTTPBadRequest(text="values must be an object")
    event = CardAction(chat, user, uuid.uuid4().hex, str(body.get("command", "")), values,
                       card_message_id=str(body.get("message_id", "")), form=bool(body.get("form")))
    outcome = await request.app[LOCAL_BOT_KEY].dispatch(event)
    if outcome.error:
        toast = outcome.replies[0].body.split("\n\n")[0] if outcome.replies else "操作未完成"
    else:
        toast = outcome.toast or ("已提交" if outcome.replaces_card else "")
    return web.json_response({"ok": not outcome.error, "replaces_card": outcome.replaces_card, "toast": toast})


async def websocket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    hub = request.app[HUB_KEY]
    hub.sockets.add(ws)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        hub.sockets.discard(ws)
    return ws


async def _close_sockets(app: web.Application) -> None:
    await app[HUB_KEY].close()


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def _chat(body: dict[str, Any]) -> Chat:
    chat_id = str(body.get("chat", ""))
    if not chat_id or len(chat_id) > 128:
        raise web.HTTPBadRequest(text="chat is required")
    if chat_id.startswith("p2p:"):
        return Chat(PLATFORM, chat_id, is_group=False)
    return Chat(PLATFORM, chat_id, is_group=True, title=chat_id)


def _user(body: dict[str, Any]) -> User:
    user_id = str(body.get("user", ""))
    if not user_id or len(user_id) > 64:
        raise web.HTTPBadRequest(text="user is required")
    return User(PLATFORM, user_id, user_id)
