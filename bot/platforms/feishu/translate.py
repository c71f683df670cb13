"""Feishu event payloads → neutral events (`Command`, `CardAction`, `ChatChanged`): the only place
that reads them.

Works on the decoded schema-2.0 envelope (a dict), the same for webhook and long connection.
Received text keeps Feishu's `@_user_N` placeholders; each one becomes a `Mention` whose `text`
is the placeholder, so handlers resolve `owner=@_user_2` through the mention and the router
strips the bot's own mention.
"""
from __future__ import annotations

import json
from typing import Any

from bot.events import CardAction, Chat, ChatChanged, Command, Mention, User
from bot.platforms.feishu import PLATFORM
from cards.feishu import BadAction, decode_action

MESSAGE = "im.message.receive_v1"
BOT_ADDED = "im.chat.member.bot.added_v1"
#: The bot can no longer post in the group: removed from it, or the group dissolved.
CHAT_GONE = {"im.chat.member.bot.deleted_v1": "机器人已被移出群", "im.chat.disbanded_v1": "群已解散"}
CARD_ACTION = "card.action.trigger"


class BadEvent(ValueError):
    """A payload that lacks what its type promises (it is refused, not half-processed)."""


def event_type(envelope: dict[str, Any]) -> str:
    if "header" in envelope:
        return str(_header(envelope).get("event_type", ""))
    event = envelope.get("event")
    return str(event.get("type", "")) if isinstance(event, dict) else ""


def event_id(envelope: dict[str, Any]) -> str:
    return str(_header(envelope).get("event_id") or envelope.get("uuid") or "")


def token(envelope: dict[str, Any]) -> str:
    """The verification token: `header.token` in v2 events, top-level `token` in v1 and challenges."""
    return str(_header(envelope).get("token") or envelope.get("token") or "")


def _header(envelope: dict[str, Any]) -> dict[str, Any]:
    """The v2 header; a header that is not an object counts as none (the event is then refused)."""
    header = envelope.get("header")
    return header if isinstance(header, dict) else {}


def command(envelope: dict[str, Any], bot_open_id: str) -> Command | None:
    """The command in an im.message.receive_v1 event; None for messages without text (images…)."""
    event = _dict(envelope, "event")
    message = _dict(event, "message")
    sender = _dict(event, "sender")
    if sender.get("sender_type", "user") != "user":
        return None
    text = message_text(str(message.get("message_type", "")), str(message.get("content") or "{}"))
    if text is None:
        return None
    open_id = _open_id(sender.get("sender_id"))
    message_id = message.get("message_id")
    chat_id = message.get("chat_id")
    if not (open_id and message_id and chat_id):
        raise BadEvent("message event without sender, message_id or chat_id")
    mentions = tuple(_mention(m, bot_open_id) for m in message.get("mentions") or () if isinstance(m, dict))
    chat = Chat(PLATFORM, str(chat_id), is_group=message.get("chat_type") != "p2p")
    return Command(chat, User(PLATFORM, open_id, ""), str(message_id), text, mentions)


def message_text(message_type: str, content: str) -> str | None:
    """Plain text of a text or post message, with `@_user_N` placeholders kept."""
    try:
        body = json.loads(content)
    except json.JSONDecodeError as exc:
        raise BadEvent("message content is not JSON") from exc
    if not isinstance(body, dict):
        raise BadEvent("message content is not an object")
    if message_type == "text":
        return str(body.get("text", ""))
    if message_type == "post":
        return _post_text(body)
    return None


def _post_text(body: dict[str, Any]) -> str:
    """A rich-text post: title and paragraphs; `at` nodes become their placeholder."""
    if "content" not in body:  # a post keyed by locale ({"zh_cn": {...}})
        body = next((v for v in body.values() if isinstance(v, dict)), {})
    lines = [str(body["title"])] if body.get("title") else []
    for paragraph in body.get("content") or ():
        parts = []
        for node in paragraph if isinstance(paragraph, list) else ():
            if not isinstance(node, dict):
                continue
            if node.get("tag") == "at":
                parts.append(str(node.get("user_id", "")))
            elif node.get("tag") in ("text", "a", "code_block", "md"):
                parts.append(str(node.get("text", "")))
        lines.append("".join(parts))
    return "\n".join(lines)


def card_action(envelope: dict[str, Any]) -> CardAction:
    """A card.action.trigger callback as the command its button stands for (decoded by the card
    codec, `cards.feishu.decode_action`, which also wrote the button)."""
    event = _dict(envelope, "event")
    action = _dict(event, "action")
    context = _dict(event, "context")
    try:
        command, values, submitted = decode_action(action)
    except BadAction as exc:
        raise BadEvent(str(exc)) from None
    open_id = _open_id(event.get("operator"))
    chat_id = context.get("open_chat_id")
    action_id = event_id(envelope)
    if not (open_id and chat_id and action_id):
        raise BadEvent("card action without operator, chat or event id")
    return CardAction(Chat(PLATFORM, str(chat_id)), User(PLATFORM, open_id, ""), action_id, command, values,
                      str(context.get("open_message_id") or ""), form=submitted)


def chat_changed(envelope: dict[str, Any]) -> ChatChanged:
    """The bot added to a group (im.chat.member.bot.added_v1), or unable to post in it any more
    (im.chat.member.bot.deleted_v1, im.chat.disbanded_v1)."""
    event = _dict(envelope, "event")
    chat_id, kind, id_ = event.get("chat_id"), event_type(envelope), event_id(envelope)
    if not chat_id or not id_:
        raise BadEvent("chat event without chat_id or event id")
    chat = Chat(PLATFORM, str(chat_id), True, str(event.get("name") or ""))
    who = User(PLATFORM, _open_id(event.get("operator_id")), "")
    return ChatChanged(chat, who, id_, joined=kind == BOT_ADDED, reason=CHAT_GONE.get(kind, ""))


def _mention(m: dict[str, Any], bot_open_id: str) -> Mention:
    open_id = _open_id(m.get("id"))
    return Mention(user_id=open_id, name=str(m.get("name", "")), text=str(m.get("key", "")),
                   is_bot=bool(bot_open_id) and open_id == bot_open_id)


def _open_id(ids: Any) -> str:
    if isinstance(ids, dict):
        return str(ids.get("open_id") or "")
    return str(ids or "")


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise BadEvent(f"payload without {key!r}")
    return value
