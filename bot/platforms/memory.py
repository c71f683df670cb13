"""An in-process platform: messages sent to it are kept in memory, per chat.

The test platform for scenario tests and benchmarks, in the spirit of Errbot's test backend:
push a message as a user in a group, then pop what the bot said where.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

from bot.messages import Message
from bot.outbox import OutboundItem

PLATFORM = "memory"


class MemorySender:
    def __init__(self) -> None:
        self.inbox: dict[str, list[OutboundItem]] = defaultdict(list)
        self.sent_keys: list[str] = []
        self._ids = itertools.count(1)

    async def send(self, item: OutboundItem) -> str:
        self.inbox[item.chat_id].append(item)
        self.sent_keys.extend(item.covers or (item.key,))  # a digest delivers several outbox rows
        return f"m{next(self._ids)}"

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        return None  # it keeps what it was sent, in order: an update is one more item

    def take_replies(self, chat_id: str, message_id: str) -> list[Message]:
        """Remove and return the replies to one message, leaving the chat's other messages."""
        items = self.inbox.get(chat_id, [])
        replies = [i for i in items if i.kind == "reply" and i.reply_to == message_id]
        self.inbox[chat_id] = [i for i in items if i not in replies]
        return [i.message for i in replies]

    def pop(self, chat_id: str) -> list[Message]:
        items = self.inbox.pop(chat_id, [])
        return [i.message for i in items]
