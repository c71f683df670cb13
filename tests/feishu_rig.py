"""The whole bot wired to the fake Feishu, in either inbound mode, for the Feishu tests.

People type into group chats through real Feishu payloads (pushed over the long connection
or POSTed signed and encrypted to /feishu/events) and tests read the cards the fake recorded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.app import Bot
from bot.clock import FixedClock
from bot.config import Config, DepartmentConfig, FeishuConfig, RolesConfig
from bot.platforms.feishu.adapter import FeishuAdapter
from bot.server import make_app
from bot.testkit import DEMO_ORG
from tests.conftest import MONDAY
from tests.fakes.feishu import (
    APP_ID,
    APP_SECRET,
    BOT_OPEN_ID,
    Clicker,
    FakeFeishu,
    Posted,
    _labels,
    card_event,
    message_event,
    signed_request,
)

ENCRYPT_KEY = "fake-encrypt-key"
TOKEN = "fake-verification-token"
BOT_NAME = "协作机器人"
#: Demo people and department chats with Feishu ids.
PEOPLE = {name: f"ou_p{i}" for i, name in enumerate(
    [head for head, _ in DEMO_ORG.values()] + [m for _, members in DEMO_ORG.values() for m in members])}
CHATS = {dept: f"oc_c{i}" for i, dept in enumerate(DEMO_ORG)}
#: Who is in each department's group: what a person picker there offers.
MEMBERS = {CHATS[dept]: {PEOPLE[head], *(PEOPLE[m] for m in members)} for dept, (head, members) in DEMO_ORG.items()}


def feishu_config(db_url: str, base_url: str, mode: str, **feishu: Any) -> Config:
    config = Config()
    config.database.url = db_url
    config.local.enabled = False
    config.scheduler.render_patience_ms = 60_000  # a cold render worker is slow: 「生成中…」 is tested on its own
    config.feishu = replace(FeishuConfig(app_id=APP_ID, app_secret=APP_SECRET, mode=mode,  # type: ignore[arg-type]
                                         encrypt_key=ENCRYPT_KEY, verification_token=TOKEN, base_url=base_url,
                                         request_timeout_seconds=2.0), **feishu)
    config.roles = RolesConfig(admins=[f"feishu:{PEOPLE['周主任']}"])
    config.departments = [
        DepartmentConfig(name=dept, heads=[f"feishu:{PEOPLE[head]}"], members=[f"feishu:{PEOPLE[m]}" for m in members],
                         is_pmo=dept == "协作管理办公室", feishu_chats=[CHATS[dept]])
        for dept, (head, members) in DEMO_ORG.items()]
    return config


@dataclass
class FeishuRig:
    fake: FakeFeishu
    bot: Bot
    adapter: FeishuAdapter
    mode: str
    server: TestServer | None = None
    http: aiohttp.ClientSession | None = None
    clicker: Clicker = field(default_factory=lambda: Clicker(people=dict(PEOPLE), members=MEMBERS))
    _seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def create(cls, db_url: str, mode: str, fake: FakeFeishu | None = None, **feishu: Any) -> FeishuRig:
        fake = fake or FakeFeishu(users={oid: name for name, oid in PEOPLE.items()})
        url = await fake.start()
        bot = Bot(feishu_config(db_url, url, mode, **feishu), clock=FixedClock(MONDAY))
        await bot.prepare_database()
        adapter = FeishuAdapter(bot)
        rig = cls(fake, bot, adapter, mode)
        if mode == "webhook":
            rig.server = TestServer(make_app(bot, [adapter]), host="127.0.0.1", port=0)
            await rig.server.start_server()
            rig.http = aiohttp.ClientSession()
        await adapter.start()
        if mode == "websocket":
            await fake.wait_connected()
        return rig

    async def close(self) -> None:
        await self.adapter.stop()
        if self.http is not None:
            await self.http.close()
        if self.server is not None:
            await self.server.close()
        await self.bot.stop()
        await self.fake.stop()

    async def deliver(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        """Deliver one event the way Feishu would in this mode; returns a card callback's answer."""
        if self.mode == "websocket":
            ack = await self.fake.push(envelope)
            assert ack["code"] == 200, ack
            return ack.get("data")
        status, body = await self.post(*signed_request(envelope, ENCRYPT_KEY))
        assert status == 200, body
        return None if body.get("msg") == "success" else body

    async def post(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        assert self.server is not None and self.http is not None
        async with self.http.post(self.server.make_url("/feishu/events"), data=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    def message(self, user: str, chat: str, text: str, **kw: Any) -> dict[str, Any]:
        """A message event: "@Name" in `text` becomes Feishu's @_user_N placeholder."""
        mentions: list[tuple[str, str]] = []

        def placeholder(match: re.Match[str]) -> str:
            name = match.group(1)
            mentions.append((BOT_OPEN_ID if name == BOT_NAME else PEOPLE[name], name))
            return f"@_user_{len(mentions)}"

        text = re.sub(r"@(" + "|".join(map(re.escape, [BOT_NAME, *PEOPLE])) + ")", placeholder, text)
        chat_id = CHATS.get(chat, chat)
        kw.setdefault("message_id", self.fake.new_message_id())
        self.fake.note_user_message(kw["message_id"], chat_id)
        return message_event(chat_id, PEOPLE[user], text, mentions, token=TOKEN, **kw)

    async def say(self, user: str, chat: str, text: str) -> None:
        await self.deliver(self.message(user, chat, f"@{BOT_NAME} {text}"))
        await self.settle()

    async def click(self, user: str, card: Posted | str, label: str, **form: Any) -> dict[str, Any] | None:
        """`user` clicks the button `label` of a card the bot sent, filling its form with `form`,
        as the Feishu client would (`Clicker`); returns the callback's answer."""
        posted = card if isinstance(card, Posted) else self.fake.posted[card]
        action = self.clicker.action(posted.content, posted.chat_id, label, form)
        answer = await self.deliver(card_event(posted.chat_id, PEOPLE[user], posted.message_id, action, token=TOKEN))
        self.fake.show_callback_answer(posted.message_id, answer)
        await self.settle()
        return answer

    def text(self, card: Posted) -> str:
        return card.text

    def offers(self, card: Posted, label: str) -> bool:
        """Whether the card, as it is now in the chat, shows a button `label`."""
        return label in _labels(card.content["body"]["elements"])

    def card(self, chat: str, containing: str = "") -> Posted:
        """The newest card in `chat` (a department, or a person's private chat) whose text contains `containing`."""
        chat_id = f"user:{PEOPLE[chat]}" if chat in PEOPLE else CHATS.get(chat, chat)
        shown = self.fake.chat(chat_id)
        cards = [p for p in shown if p.msg_type == "interactive" and containing in p.text]
        assert cards, f"no card with {containing!r} in {chat}: {[p.text[:40] for p in shown]}"
        return cards[-1]

    def advance(self, delta: timedelta) -> None:
        """Move the bot's and the platform's clocks together."""
        assert isinstance(self.bot.clock, FixedClock)
        self.bot.clock.advance(delta)
        self.fake.days_passed += delta / timedelta(days=1)

    async def settle(self) -> None:
        await self.bot.pipeline.drain()
        await self.bot.indexer.catch_up()  # the texts it wrote are searchable, as they are a moment after
        await self.bot.dispatcher.drain()

    def new(self, chat: str) -> list[str]:
        """Texts of the cards posted in `chat` since the last call."""
        texts = self.fake.texts(CHATS.get(chat, chat))
        start = self._seen.get(chat, 0)
        self._seen[chat] = len(texts)
        return texts[start:]
