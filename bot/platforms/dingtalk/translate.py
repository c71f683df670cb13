"""DingTalk stream payloads → neutral events (`Command`, `CardAction`): the only place that reads them.

Chat ids: a group is its `conversationId` (the openConversationId group sends need), a private
chat is `user:<staffId>` (what one-to-one sends need). People are their `senderStaffId`; the
encrypted `senderId` stands in only for senders outside the organisation, who have no staff id.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.events import CardAction, Chat, Command, Mention, User
from bot.messages import PRIVATE_PREFIX
from bot.platforms.dingtalk import PLATFORM
from cards.dingtalk import decode_params
from cards.model import Specs

USER_PREFIX = PRIVATE_PREFIX  # the bot's private chat with a person (bot.messages.Address.private)
_AT = re.compile(r"@(\S+)")


class BadPayload(ValueError):
    """A callback that lacks what its topic promises: acked, but nothing runs."""


@dataclass(frozen=True)
class Webhook:
    """A message's session webhook: replies go there, token-free, until it expires."""

    url: str
    expires: datetime


def user_chat(staff_id: str) -> str:
    return f"{USER_PREFIX}{staff_id}"


def message(data: dict[str, Any]) -> tuple[Command, Webhook | None]:
    """A bot message (topic /v1.0/im/bot/messages/get) as a command, plus its reply webhook."""
    msg_id = str(data.get("msgId") or "")
    sender_id = str(data.get("senderStaffId") or data.get("senderId") or "")
    if not msg_id or not sender_id:
        raise BadPayload("bot message without msgId or sender")
    sender = User(PLATFORM, sender_id, str(data.get("senderNick") or ""))
    if str(data.get("conversationType")) == "2":
        cid = str(data.get("conversationId") or "")
        if not cid:
            raise BadPayload("group message without conversationId")
        chat = Chat(PLATFORM, cid, True, str(data.get("conversationTitle") or ""))
    else:
        chat = Chat(PLATFORM, user_chat(sender_id), False, sender.name)
    text = _text(data)
    command = Command(chat, sender, msg_id, text, _mentions(data, text))
    return command, _webhook(data)


def _text(data: dict[str, Any]) -> str:
    """The typed text; the bot's @mention is already cut out, leaving a leading space (stripped)."""
    if data.get("msgtype") == "richText":
        parts = (data.get("content") or {}).get("richText") or []
        return "\n".join(str(p["text"]).strip() for p in parts if isinstance(p, dict) and p.get("text")).strip()
    return str((data.get("text") or {}).get("content") or "").strip()


def _mentions(data: dict[str, Any], text: str) -> tuple[Mention, ...]:
    """`atUsers` other than the bot, paired in order with the "@name" words left in the text.

    The bot is the entry with its `chatbotUserId`, or, failing that, the one without a staff id
    (people in the organisation have one; the official sample's ids are masked differently).

    DingTalk names only ids in `atUsers`; the display names appear in the text. When the counts
    differ (a name with spaces, an @ typed by hand) the pairing is unsafe and names stay empty:
    the handler then matches the mention by user id.
    """
    at = [u for u in data.get("atUsers") or [] if isinstance(u, dict)]
    people = [u for u in at if u.get("dingtalkId") != data.get("chatbotUserId")]
    if data.get("isInAtList") and len(people) == len(at):  # the bot's id not matched: it is the one without staffId
        bot = next((u for u in people if not u.get("staffId")), None)
        people = [u for u in people if u is not bot]
    names = _AT.findall(text)
    paired = len(names) == len(people)
    return tuple(Mention(user_id=str(u.get("staffId") or u.get("dingtalkId")),
                         name=names[i] if paired else "", text=f"@{names[i]}" if paired else "")
                 for i, u in enumerate(people))


def _webhook(data: dict[str, Any]) -> Webhook | None:
    url, expires = data.get("sessionWebhook"), data.get("sessionWebhookExpiredTime")
    if not url or not isinstance(expires, int | float):
        return None
    return Webhook(str(url), datetime.fromtimestamp(expires / 1000, UTC))


def card_action(data: dict[str, Any], frame_id: str, specs: Specs) -> CardAction:
    """A card button press (topic /v1.0/card/instances/callback) as the command it stands for;
    the params are decoded by the card codec (`cards.dingtalk.decode_params`), which wrote them."""
    user_id = str(data.get("userId") or "")
    try:
        content = json.loads(data.get("content") or "{}")
        params = dict((content.get("cardPrivateData") or {}).get("params") or {})
        command, values, submitted = decode_params(params, specs)
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadPayload(f"card callback not ours: {exc}") from None
    if not user_id:
        raise BadPayload("card callback without a user")
    space_id = str(data.get("spaceId") or "")
    if data.get("spaceType") == "IM_GROUP" and space_id:
        chat = Chat(PLATFORM, space_id, True)
    else:
        chat = Chat(PLATFORM, user_chat(user_id), False)
    return CardAction(chat, User(PLATFORM, user_id), frame_id, command, values, str(data.get("outTrackId") or ""),
                      form=submitted)
