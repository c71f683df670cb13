"""Session webhooks remembered from inbound messages, so replies can use them while they last.

A webhook lives 90 minutes (docs/dingtalk.md, **session webhook**) and is only known to the process that received
the message; after a restart, or on another replica, replies simply go through the OpenAPI.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from bot.platforms.dingtalk.translate import Webhook


class SessionWebhooks:
    def __init__(self, margin: timedelta, max_entries: int = 10_000) -> None:
        self.margin = margin
        self.max_entries = max_entries
        self._by_message: OrderedDict[str, Webhook] = OrderedDict()
        self._by_chat: OrderedDict[str, Webhook] = OrderedDict()

    def remember(self, message_id: str, chat_id: str, hook: Webhook) -> None:
        for table, key in ((self._by_message, message_id), (self._by_chat, chat_id)):
            table[key] = hook
            table.move_to_end(key)
            while len(table) > self.max_entries:
                table.popitem(last=False)

    def usable(self, message_id: str | None, chat_id: str, now: datetime) -> Webhook | None:
        """The webhook of the message replied to, else the chat's latest, if it outlives the margin."""
        for hook in (self._by_message.get(message_id or ""), self._by_chat.get(chat_id)):
            if hook is not None and hook.expires > now + self.margin:
                return hook
        return None

    def forget(self, hook: Webhook) -> None:
        """The platform refused it: never try it again."""
        for table in (self._by_message, self._by_chat):
            for key in [k for k, v in table.items() if v == hook]:
                del table[key]
