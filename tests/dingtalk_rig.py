"""The whole bot wired to the fake DingTalk over the real stream client, for the DingTalk tests.

People @mention the bot in department groups through real stream frames; tests read what the
fake recorded in each group, as a DingTalk user would see it.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from bot.app import Bot
from bot.clock import FixedClock
from bot.config import Config, DepartmentConfig, DingTalkConfig, RolesConfig
from bot.platforms.dingtalk.adapter import DingTalkAdapter
from bot.testkit import DEMO_ORG
from tests.conftest import MONDAY
from tests.fakes.dingtalk import FakeDingTalk, Seen

SEND_MESSAGE = "dtmd://dingtalkclient/sendMessage?content="
TEMPLATE = "xiezuo-card.schema"
CLIENT_ID = "ding-app"
CLIENT_SECRET = "ding-secret"
#: Demo people with DingTalk staff ids, and a group (openConversationId) per department.
PEOPLE = {name: f"staff{i:03d}" for i, name in enumerate(
    [head for head, _ in DEMO_ORG.values()] + [m for _, members in DEMO_ORG.values() for m in members])}
NAMES = {staff: name for name, staff in PEOPLE.items()}
CHATS = {dept: f"cid{i}dept==" for i, dept in enumerate(DEMO_ORG)}
#: Fast stream timing so reconnect and watchdog tests take a second, not a minute.
FAST = {"reconnect_base_seconds": 0.05, "reconnect_max_seconds": 0.5, "keepalive_seconds": 0.2,
        "watchdog_seconds": 0.6, "request_timeout_seconds": 2.0}


def dingtalk_config(db_url: str, base_url: str, depts: dict[str, str] | None = None, **dingtalk: Any) -> Config:
    """The demo org on DingTalk; `depts` limits which departments (name → group) are DingTalk ones."""
    config = Config()
    config.database.url = db_url
    config.local.enabled = False
    config.scheduler.render_patience_ms = 60_000  # a cold render worker is slow: 「生成中…」 is tested on its own
    config.dingtalk = replace(DingTalkConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base_url,
                                             oapi_url=base_url), **(FAST | dingtalk))
    config.roles = RolesConfig(admins=[f"dingtalk:{PEOPLE['周主任']}"])
    config.departments = [
        DepartmentConfig(name=dept, heads=[f"dingtalk:{PEOPLE[head]}"], is_pmo=dept == "协作管理办公室",
                         members=[f"dingtalk:{PEOPLE[m]}" for m in members], dingtalk_chats=[CHATS[dept]])
        for dept, (head, members) in DEMO_ORG.items() if depts is None or dept in depts]
    return config


@dataclass
class DingTalkRig:
    fake: FakeDingTalk
    bot: Bot
    adapter: DingTalkAdapter
    clock: FixedClock
    _seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def create(cls, db_url: str, config: Config | None = None, fake: FakeDingTalk | None = None,
                     **dingtalk: Any) -> DingTalkRig:
        fake = fake or FakeDingTalk(CLIENT_ID, CLIENT_SECRET, CLIENT_ID)
        if fake.port == 0:
            fake.start()
        for dept, cid in CHATS.items():
            fake.add_group(cid, f"{dept}群")
        clock = FixedClock(MONDAY)
        fake.clock = lambda: clock.now().timestamp()
        bot = Bot(config or dingtalk_config(db_url, fake.url, **dingtalk), clock=clock)
        await bot.prepare_database()
        adapter = DingTalkAdapter(bot)
        await adapter.start()
        await fake.wait_connected()
        # The fake counts a connection once it has answered the handshake; the bot's stream
        # counts it a moment later, when its connect returns. Wait for both sides.
        await asyncio.wait_for(adapter.stream.connected.wait(), 10)
        return cls(fake, bot, adapter, clock)

    @classmethod
    async def for_a_whole_play(cls, db_url: str, objects: bool = True) -> DingTalkRig:
        """With the shipped template's interactive cards (sending objects or JSON strings), and
        200 cards a minute per group on both sides: a whole play posts dozens into one group, and
        DingTalk's 20 a minute is tests/test_dingtalk_sender.py's subject."""
        fake = FakeDingTalk(CLIENT_ID, CLIENT_SECRET, CLIENT_ID, group_limit_per_minute=200).start()
        rig = await cls.create(db_url, fake=fake, card_template_id=TEMPLATE, group_rate_per_minute=200)
        rig.fake.add_template(TEMPLATE)
        rig.fake.template.objects = objects
        return rig

    async def close(self) -> None:
        await self.adapter.stop()
        await self.bot.stop()
        self.fake.stop()

    async def say(self, user: str, chat: str, text: str, **kw: Any) -> dict[str, Any]:
        """`user` @mentions the bot in `chat` (a department, or "p2p" for a private chat) and waits."""
        frame = await self.fake.push_message(PEOPLE[user], text, "" if chat == "p2p" else CHATS.get(chat, chat),
                                             nick=user, **kw)
        ack = await self.fake.wait_ack(frame["headers"]["messageId"])
        assert ack["code"] == 200, ack
        await self.settle()
        return frame

    async def click(self, user: str, card: Seen, label: str, **form: Any) -> dict[str, Any]:
        """`user` presses the button `label` of `card` (filling its form); returns the card update."""
        ack = await self.fake.click(PEOPLE[user], card.out_track_id, label, form)
        assert ack["code"] == 200, ack
        await self.settle()
        return json.loads(ack["data"])["response"] or {}

    async def press(self, user: str, seen: Seen, title: str) -> None:
        """`user` presses an ActionCard button: the DingTalk client sends the text its
        `dtmd://dingtalkclient/sendMessage?content=` link carries, as the user, in the private chat."""
        url = dict(seen.buttons)[title]
        assert url.startswith(SEND_MESSAGE), url
        await self.say(user, "p2p", unquote(url.removeprefix(SEND_MESSAGE)))

    def card(self, chat: str, containing: str = "") -> Seen:
        """The newest interactive card in `chat` whose title or text contains `containing`."""
        key = "user:" + PEOPLE[chat] if chat in PEOPLE else CHATS.get(chat, chat)
        seen = self.fake.messages(key)
        cards = [s for s in seen if s.kind == "card" and containing in self.text(s)]
        assert cards, f"no card with {containing!r} in {chat}: {[s.title for s in seen]}"
        return cards[-1]

    def text(self, card: Seen) -> str:
        """A card's current title and text (after callbacks and updates)."""
        now = self.fake.card(card.out_track_id)
        return f"{now.get('title', '')}\n{now.get('markdown', '')}"

    def offers(self, card: Seen, label: str) -> bool:
        """Whether the card, as it is now, shows a button `label` (the template's own layout)."""
        variables = self.fake.card(card.out_track_id)
        try:
            self.fake.template.params(variables, label, {})
        except AssertionError as exc:
            if "no button" in str(exc):
                return False
        return True

    async def settle(self) -> None:
        await self.bot.pipeline.drain()
        await self.bot.indexer.catch_up()  # the texts it wrote are searchable, as they are a moment after
        await self.bot.dispatcher.drain()

    def new(self, chat: str) -> list[Seen]:
        """What the bot posted in `chat` since the last call."""
        key = "user:" + PEOPLE[chat] if chat in PEOPLE else CHATS.get(chat, chat)
        seen = self.fake.messages(key)
        start = self._seen.get(key, 0)
        self._seen[key] = len(seen)
        return seen[start:]

    def texts(self, chat: str) -> list[str]:
        return [f"{s.title}\n{s.text}" for s in self.new(chat)]

    def advance(self, delta: timedelta) -> None:
        """Move the bot's and the platform's clocks together."""
        self.clock.advance(delta)
