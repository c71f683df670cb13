"""Platform-neutral inbound events: what every adapter turns its platform's payloads into.

Adapters fill these; the router and handlers read them and never see a platform payload.
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


Event = Command | CardAction


def cleaned(event: Event) -> Event:
    """The event without NUL characters, which PostgreSQL cannot store in text or JSON and SQLite
    would keep: both databases then see the same input (nobody types one on purpose)."""
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
