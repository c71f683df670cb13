"""The outbox's DingTalk sender: template cards, session-webhook replies, robot messages.

Which way a message goes:
- it offers actions and `[dingtalk] card_template_id` is set → an interactive card
  (`createAndDeliver`, callbacks over the stream);
- the new state of a clicked card (outbox kind `update`) → `PUT /v1.0/card/instances`;
- a reply, or a notice that names people, while a session webhook of that chat lives →
  markdown to that webhook, with the people in `at.atUserIds` (the only group send that notifies);
- otherwise the robot OpenAPI: `sampleMarkdown`, an ActionCard when the message offers actions
  that a button can send as they stand (its text always shows the command to type),
  `sampleImageMsg` for `data["image_url"]`; to a group by openConversationId, to a person
  (`user:<staffId>`) by one-to-one send;
- a file the message carries then follows, uploaded first to the older API host
  (`media/upload`): a workbook as `sampleFile`, a chart as `sampleImageMsg` by its mediaId.
A group message that did not go through a webhook's at-list shows the people it names by name
and is also sent to each of them one-to-one, so they are notified (docs/dingtalk.md, "Mentions").

DingTalk has no send dedup key (Feishu has `uuid`). What keeps resends harmless is the outbox:
a row marked sent is never sent again, and a row is resent only when its send failed or its
process died between the platform's OK and the row's commit; that window (milliseconds) is
the at-least-once exposure. Template cards carry a deterministic `outTrackId` from the outbox
key, so a card resent in that window updates or collides with its own first copy.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from bot.clock import Clock
from bot.config import DingTalkConfig
from bot.messages import Message, as_resend, mentioned
from bot.outbox import OutboundItem
from bot.platforms.dingtalk import PLATFORM
from bot.platforms.dingtalk.api import DingTalkApi, WebhookGone
from bot.platforms.dingtalk.translate import USER_PREFIX, Webhook
from bot.platforms.dingtalk.webhooks import SessionWebhooks
from cards.dingtalk import card_data, commands, markdown, sendable
from cards.model import Specs, card_for

log = logging.getLogger(__name__)

#: DingTalk documents no limit on updating a card instance; a year bounds what is assumed.
CARD_EDIT_WINDOW = timedelta(days=365)
MAX_BUTTONS = 5  # sampleActionCard2..5 are vertical 2–5 button cards (docs/dingtalk.md, **robot messages**)
BUTTON_CHARS = 20


def out_track_id(key: str) -> str:
    """A card instance id derived from the outbox key: the same row always makes the same card."""
    return "xz" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def send_command_url(text: str) -> str:
    """A button that makes the DingTalk client send `text` to the bot (private chats; unverified: docs/dingtalk.md, **robot messages**)."""
    return "dtmd://dingtalkclient/sendMessage?content=" + quote(text, safe="")


class DingTalkSender:
    def __init__(self, api: DingTalkApi, config: DingTalkConfig, webhooks: SessionWebhooks, clock: Clock,
                 specs: Specs) -> None:
        self.api = api
        self.specs = specs
        self.config = config
        self.webhooks = webhooks
        self.clock = clock

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        """Interactive cards (the ids `send_card` returns) can be updated, with no documented
        limit; robot and webhook messages cannot (docs/dingtalk.md, **template cards**, **robot messages**)."""
        card = message_id == out_track_id(item.key) or item.kind == "update" and message_id == item.reply_to
        return CARD_EDIT_WINDOW if card else None

    async def send(self, item: OutboundItem) -> str:
        message = item.message
        if item.resend and item.kind != "update":
            message = as_resend(message)  # DingTalk has no send key: the first try may have been shown
        user = item.chat_id.removeprefix(USER_PREFIX) if item.chat_id.startswith(USER_PREFIX) else None
        if item.kind == "update" and item.reply_to and self.config.card_template_id:
            await self.api.update_card(item.reply_to, card_params(message, self.specs))  # the clicked card's new state
            await self._attach(item, message, user)
            return item.reply_to
        named = mentioned(message.mentions, PLATFORM) if user is None else []
        if self.config.card_template_id and commands(card_for(message, self.specs)):
            sent = await self.send_card(item, user)
        elif (item.kind == "reply" or named) and not message.data.get("image_url") \
                and (hook := self.webhooks.usable(item.reply_to, item.chat_id, self.clock.now())) is not None \
                and await self._via_webhook(hook, message, item.key):
            await self._attach(item, message, user)
            return f"webhook:{item.key}"  # its at-list notified the people named
        else:
            msg_key, param = robot_message(message, self.specs, private=user is not None)
            if user is not None:
                sent = await self.api.users_send([user], msg_key, param)
                await self._attach(item, message, user)
                return sent
            sent = await self.api.group_send(item.chat_id, msg_key, param)
        await self._tell(named, message, item.key)
        await self._attach(item, message, user)
        return sent

    async def _attach(self, item: OutboundItem, message: Message, user: str | None) -> None:
        """A file the message carries follows it as `sampleFile`, uploaded first (the OpenAPI is the
        only channel for files; the webhook carries none)."""
        file = message.attachment
        if file is None:
            return
        kind = "image" if file.is_image else "file"

        async def send(media_id: str) -> None:
            msg_key, param = ("sampleImageMsg", {"photoURL": media_id}) if file.is_image else \
                ("sampleFile", {"mediaId": media_id, "fileName": file.name, "fileType": file.name.rpartition(".")[2]})
            if user is not None:
                await self.api.users_send([user], msg_key, param)
            else:
                await self.api.group_send(item.chat_id, msg_key, param)
        await self.api.uploads.use(f"{kind}:{file.name.rpartition('.')[2]}", file.content,
                                   lambda: self.api.upload_media(file.name, file.content, kind), send)

    async def _via_webhook(self, hook: Webhook, message: Message, key: str) -> bool:
        title, text = markdown(message, self.specs, at_ids=True)
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                "at": {"atUserIds": [uid for uid, _ in mentioned(message.mentions, PLATFORM)]}}
        try:
            await self.api.webhook_send(hook.url, body)
            return True
        except WebhookGone as exc:
            log.info("session webhook refused %s (%s); using the OpenAPI", key, exc)
            self.webhooks.forget(hook)
            return False

    async def _tell(self, named: list[tuple[str, str]], message: Message, key: str) -> None:
        """A group send by OpenAPI notifies nobody (docs/dingtalk.md, **robot messages**): the people it
        names also get it one-to-one. Best effort: the group message is out, and a retry of this
        row would post it twice, so a failure here is logged, not raised."""
        for start in range(0, len(named), 20):
            people = [uid for uid, _ in named[start:start + 20]]
            try:
                await self.api.users_send(people, *robot_message(message, self.specs, private=True))
            except Exception as exc:
                log.warning("one-to-one copy of %s to %s failed: %r", key, people, exc)

    async def send_card(self, item: OutboundItem, user: str | None) -> str:
        """An interactive template card whose buttons call back over the stream (docs/dingtalk.md, **template cards**)."""
        track = out_track_id(item.key)
        body: dict[str, Any] = {"cardTemplateId": self.config.card_template_id, "outTrackId": track,
                                "callbackType": "STREAM", "cardData": {"cardParamMap": card_params(item.message, self.specs)}}
        if user is None:
            deliver: dict[str, Any] = {"robotCode": self.api.robot_code}
            at = {uid: name or uid for uid, name in mentioned(item.message.mentions, PLATFORM)}
            if at:
                deliver["atUserIds"] = at  # userId → the name shown
            body |= {"openSpaceId": f"dtv1.card//IM_GROUP.{item.chat_id}",
                     "imGroupOpenSpaceModel": {"supportForward": True}, "imGroupOpenDeliverModel": deliver}
        else:
            body |= {"openSpaceId": f"dtv1.card//IM_ROBOT.{user}", "imRobotOpenSpaceModel": {"supportForward": True},
                     "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": self.api.robot_code}}
        await self.api.create_and_deliver(body, item.chat_id)
        return track


def card_params(message: Message, specs: Specs) -> dict[str, str]:
    """The template's variables for a message; `error` is the slot a refused click fills per user."""
    return card_data(message, specs) | {"error": ""}


def robot_message(message: Message, specs: Specs, private: bool) -> tuple[str, dict[str, str]]:
    """(msgKey, msgParam) of a robot OpenAPI message (docs/dingtalk.md, **robot messages**)."""
    if image := message.data.get("image_url"):
        return "sampleImageMsg", {"photoURL": str(image)}
    title, text = markdown(message, specs)
    actions = sendable(card_for(message, specs))
    if not actions:
        return "sampleMarkdown", {"title": title, "text": text}
    buttons = actions[:MAX_BUTTONS]
    if not private:  # in a group the client cannot address the bot for the user: the text says what to type
        return "sampleMarkdown", {"title": title, "text": text}
    if len(buttons) == 1:
        label, command = buttons[0]
        return "sampleActionCard", {"title": title, "text": text, "singleTitle": label[:BUTTON_CHARS],
                                    "singleURL": send_command_url(command)}
    param = {"title": title, "text": text}
    for i, (label, command) in enumerate(buttons, 1):
        param |= {f"actionTitle{i}": label[:BUTTON_CHARS], f"actionURL{i}": send_command_url(command)}
    return f"sampleActionCard{len(buttons)}", param
