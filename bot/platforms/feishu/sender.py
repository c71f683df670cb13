"""The outbox's Feishu sender: every Message goes out as an interactive card, and a file it
carries (an export) right after it as a file message.

The outbox key is the send `uuid`, so a send retried after a timeout cannot post twice. A
reply whose original message is gone is sent to the chat instead, so it still arrives.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.messages import as_resend
from bot.outbox import OutboundItem
from bot.platforms.feishu.api import FeishuApi, FeishuRefused
from cards.feishu import feishu_card
from cards.model import Specs

log = logging.getLogger(__name__)

RECALLED = 230011  # the message a reply answers was recalled
#: Feishu drops a repeated send `uuid` for one hour (docs/feishu.md, **uuid**); less a margin for
#: the time between the first try and its row becoming due again.
UUID_WINDOW = timedelta(minutes=55)
#: A sent card can be updated (PATCH) for 14 days (docs/feishu.md, **update window**; later: 230031).
EDIT_WINDOW = timedelta(days=14)


class FeishuSender:
    def __init__(self, api: FeishuApi, specs: Specs) -> None:
        self.api = api
        self.specs = specs

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        return EDIT_WINDOW  # every message goes out as a shared card

    async def send(self, item: OutboundItem) -> str:
        message = item.message
        if item.resend and item.kind != "update" and item.age >= UUID_WINDOW:
            message = as_resend(message)  # past Feishu's dedup window the first copy may still be there
        card = feishu_card(message, self.specs)
        if item.kind == "update" and item.reply_to:  # a clicked card's new state, in place
            await self.api.patch_card(item.reply_to, item.chat_id, card)
            message_id = item.reply_to
        else:
            message_id = await self._post(item, "interactive", card, item.key)
        file = message.attachment
        if file is not None and file.is_image:  # after its card: a chart as an image message
            await self.api.uploads.use("image", file.content, lambda: self.api.upload_image(file.content),
                                       lambda key: self._post(item, "image", {"image_key": key}, f"{item.key}:file"))
        elif file is not None:  # … a workbook as a file message
            await self.api.uploads.use(f"file:{file.name}", file.content,
                                       lambda: self.api.upload_file(file.name, file.content),
                                       lambda key: self._post(item, "file", {"file_key": key}, f"{item.key}:file"))
        return message_id

    async def _post(self, item: OutboundItem, msg_type: str, content: dict[str, Any], key: str) -> str:
        """Send under the message it answers, else (none, or recalled) into the chat."""
        if item.reply_to:
            try:
                return await self.api.reply(item.reply_to, item.chat_id, msg_type, content, key)
            except FeishuRefused as exc:
                if exc.code != RECALLED:
                    raise
                log.info("reply target of %s is gone; sending to the chat", item.key)
        return await self.api.send(item.chat_id, msg_type, content, key)
