"""Platform-neutral inbound events: what every adapter turns its platform's payloads into.

Adapters fill these and hand them to `Bot.dispatch`; the router and handlers read them and never
see a platform payload. Each event round-trips through JSON (`to_json`, `event_from_json`): it
waits in the inbox from its ack until its work is done, and is replayed from there after a crash.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class User:
    """Who sent an event, as the platform names them."""

    platform: str
    user_id: str
    name: str = ""


@dataclass(frozen=True)
class Chat:
    """Where an event came from: a group chat or a private (p2p) chat."""

    platform: str
    chat_id: str
    is_group: bool = True
    title: str = ""


@dataclass(frozen=True)
class Mention:
    """An @mention in a message; `text` is how it appears in `Command.text` (e.g. "@张三")."""

    user_id: str
    name: str
    text: str = ""
    is_bot: bool = False


@dataclass(frozen=True)
class Command:
    """A text message addressed to the bot (a slash command, or plain text in a private chat)."""

    chat: Chat
    sender: User
    message_id: str
    text: str
    mentions: tuple[Mention, ...] = ()

    @property
    def platform(self) -> str:
        return self.chat.platform

    @property
    def dedup_key(self) -> str:
        return f"msg:{self.message_id}"

    def to_json(self) -> dict[str, Any]:
        return _base(self) | {"type": "command", "text": self.text, "message_id": self.message_id,
                              "mentions": [[m.user_id, m.name, m.text, m.is_bot] for m in self.mentions]}


@dataclass(frozen=True)
class CardAction:
    """A submitted card form or clicked card button.

    `command` names the command it stands for (e.g. "evaluate") and `values` carries the form
    fields; the router runs it through the same handler as the typed command. `form` says a
    form was submitted (rather than a plain button pressed).
    """

    chat: Chat
    sender: User
    action_id: str
    command: str
    values: dict[str, Any] = field(default_factory=dict)
    card_message_id: str = ""
    form: bool = False

    @property
    def platform(self) -> str:
        return self.chat.platform

    @property
    def dedup_key(self) -> str:
        return f"card:{self.action_id}"

    def to_json(self) -> dict[str, Any]:
        return _base(self) | {"type": "card", "command": self.command, "values": self.values,
                              "card_message_id": self.card_message_id, "form": self.form}


@dataclass(frozen=True)
class ChatChanged:
    """The bot was added to a group (`joined`), or can no longer post in it: removed from it, or the
    group dissolved (`joined` False, `reason` in words). `sender` is who did it, when known."""

    chat: Chat
    sender: User
    event_id: str
    joined: bool
    reason: str = ""

    @property
    def platform(self) -> str:
        return self.chat.platform

    @property
    def dedup_key(self) -> str:
        return f"event:{self.event_id}"

    def to_json(self) -> dict[str, Any]:
        return _base(self) | {"type": "chat", "event_id": self.event_id, "joined": self.joined, "reason": self.reason}


Event = Command | CardAction | ChatChanged


def _base(event: Event) -> dict[str, Any]:
    return {"chat": event.chat.chat_id, "user": event.sender.user_id, "name": event.sender.name,
            "group": event.chat.is_group}


def event_from_json(platform: str, key: str, data: dict[str, Any]) -> Event:
    """The event as `to_json` stored it under its dedup `key`, on `platform`."""
    chat = Chat(platform, data["chat"], data.get("group", True))
    sender = User(platform, data.get("user", ""), data.get("name", ""))
    if data.get("type") == "card":
        return CardAction(chat, sender, key.removeprefix("card:"), data["command"], data["values"],
                          data.get("card_message_id", ""), bool(data.get("form")))
    if data.get("type") == "chat":
        return ChatChanged(chat, sender, data["event_id"], bool(data["joined"]), data.get("reason", ""))
    return Command(chat, sender, data["message_id"], data["text"], tuple(Mention(*m) for m in data.get("mentions", [])))


def cleaned(event: Event) -> Event:
    """The event without NUL characters, which PostgreSQL cannot store in text or JSON and SQLite
    would keep: both databases then see the same input (nobody types one on purpose)."""
    if isinstance(event, ChatChanged):
        return event
    if isinstance(event, Command):
        if "\x00" not in event.text and not any("\x00" in m.name for m in event.mentions) \
                and "\x00" not in event.sender.name:
            return event
        return replace(event, text=_strip(event.text), sender=replace(event.sender, name=_strip(event.sender.name)),
                       mentions=tuple(replace(m, name=_strip(m.name), text=_strip(m.text)) for m in event.mentions))
    return replace(event, values=_strip(event.values), sender=replace(event.sender, name=_strip(event.sender.name)))


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {_strip(k): _strip(v) for k, v in value.items()}
    return value
