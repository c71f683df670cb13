"""The bot serving the local web emulator, driven the way its page does, for scenario tests.

People type through `/api/say` and click through `/api/action` with exactly what the page's
script sends for the card HTML the bot rendered (tests/fakes/emulator.py); cards are read back
from `/api/messages`, as the page shows them after live updates.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.clock import FixedClock
from bot.config import Config, DepartmentConfig, RolesConfig
from bot.platforms.local import LocalAdapter
from bot.server import make_app
from tests.conftest import MONDAY
from tests.fakes import emulator

TAG = re.compile(r"<[^>]+>")


@dataclass
class LocalRig:
    bot: Bot
    client: TestClient[Any, Any]
    shown: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    async def create(cls, db_url: str, org: dict[str, tuple[str, list[str]]] | None = None) -> LocalRig:
        """The emulator's own demo org, or `org` (dept → (head, members); the first dept is the PMO)
        bound to local group chats named after each dept."""
        config = Config()
        config.database.url = db_url
        config.scheduler.render_patience_ms = 60_000  # a cold render worker is slow: 「生成中…」 is tested on its own
        if org is not None:
            pmo = next(iter(org))
            config.roles = RolesConfig(admins=[f"local:{org[pmo][0]}"])
            config.departments = [
                DepartmentConfig(name=dept, heads=[f"local:{head}"], members=[f"local:{m}" for m in members],
                                 is_pmo=dept == pmo, local_chats=[dept]) for dept, (head, members) in org.items()]
        bot = Bot(config, clock=FixedClock(MONDAY))
        app = make_app(bot, [LocalAdapter(bot)])  # seeds the demo org into the config, which the database then gets
        await bot.prepare_database()
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        page = await (await client.get("/")).text()  # as the browser does: the page gives the API token
        client.session.headers["X-Xiezuo-Token"] = emulator.page_token(page)
        return cls(bot, client)

    async def close(self) -> None:
        await self.client.close()
        await self.bot.stop()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(path, json=body)
        assert response.status == 200, await response.text()
        await self.bot.indexer.catch_up()  # the texts it wrote are searchable, as they are a moment after
        await self.bot.dispatcher.drain()
        await self._look()
        return dict(await response.json())

    async def _look(self) -> None:
        """Read every chat as the page shows it now (cards updated in place included)."""
        state = await (await self.client.get("/api/state")).json()
        for chat in [c["id"] for c in state["chats"]] + [f"p2p:{p['name']}" for p in state["people"]]:
            response = await self.client.get("/api/messages", params={"chat": chat})
            self.shown[chat] = list((await response.json())["messages"])

    async def say(self, user: str, chat: str, text: str) -> dict[str, Any]:
        return await self._post("/api/say", {"chat": chat, "user": user, "text": text})

    async def click(self, user: str, card: dict[str, Any], label: str, **form: Any) -> dict[str, Any]:
        sent = emulator.click(self.now(card)["html"], label, form)
        return await self._post("/api/action", {"chat": card["chat"], "user": user, "message_id": card["id"]} | sent)

    def card(self, chat: str, containing: str = "") -> dict[str, Any]:
        """The newest card in `chat` (a group, or a person's name for their private chat) whose
        text contains `containing`."""
        if chat not in self.shown and f"p2p:{chat}" in self.shown:
            chat = f"p2p:{chat}"
        found = [m for m in self.shown.get(chat, []) if m["html"] and containing in text_of(m)]
        assert found, f"no card with {containing!r} in {chat}"
        return found[-1]

    def now(self, card: dict[str, Any]) -> dict[str, Any]:
        """The card as the page shows it now (after updates in place)."""
        return next(m for m in self.shown[card["chat"]] if m["id"] == card["id"])

    def advance(self, delta: timedelta) -> None:
        assert isinstance(self.bot.clock, FixedClock)
        self.bot.clock.advance(delta)

    def text(self, card: dict[str, Any]) -> str:
        return text_of(self.now(card))

    def offers(self, card: dict[str, Any], label: str) -> bool:
        return label in emulator.labels(self.now(card)["html"])


def text_of(message: dict[str, Any]) -> str:
    return html.unescape(TAG.sub(" ", message["html"]))
