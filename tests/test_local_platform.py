"""The local platform's server side on SQLite and PostgreSQL: demo seeding, typed commands, card
clicks, history in the database, and the websocket feed."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot
from bot.cli import platform_adapters
from bot.config import Config
from bot.platforms.local.demo import DEMO_ORG
from bot.server import make_app
from bot.testkit import DEMO_ORG as TEST_ORG
from tests.click_play import whole_collaboration
from tests.fakes import emulator
from tests.lifetime import running
from tests.local_rig import LocalRig


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[tuple[TestClient[Any, Any], Bot]]:
    async with running(LocalRig.create(db_url)) as rig:
        yield rig.client, rig.bot


async def post(client: TestClient[Any, Any], bot: Bot, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status == 200, await response.text()
    await bot.dispatcher.drain()
    return await response.json()


async def history(client: TestClient[Any, Any], chat: str) -> list[dict[str, Any]]:
    response = await client.get("/api/messages", params={"chat": chat})
    return (await response.json())["messages"]


async def test_no_config_means_the_demo_org_in_local_groups(client: tuple[TestClient[Any, Any], Bot]) -> None:
    test_client, bot = client
    state = await (await test_client.get("/api/state")).json()
    assert [c["id"] for c in state["chats"]] == list(DEMO_ORG)
    assert state["chats"][0]["pmo"] is True
    heads = {p["name"]: p["dept"] for p in state["people"] if p["head"]}
    assert heads == {head: dept for dept, (head, _) in DEMO_ORG.items()}
    assert {p["name"] for p in state["people"] if p["admin"]} == {"周敏", "吴静"}
    page = await test_client.get("/")
    assert page.status == 200 and "协作" in await page.text()
    assert (await test_client.get("/static/app.js")).status == 200
    assert "local" in (await (await test_client.get("/healthz")).json())["platforms"]


async def test_typed_command_is_stored_answered_and_pushed(client: tuple[TestClient[Any, Any], Bot]) -> None:
    test_client, bot = client
    ws = await test_client.ws_connect("/ws")
    await post(test_client, bot, "/api/say", {"chat": "市场部", "user": "张伟", "text": "/request"})
    mine = await ws.receive_json(timeout=5)
    bot_reply = await ws.receive_json(timeout=5)
    assert (mine["type"], mine["message"]["text"], mine["message"]["author_name"]) == ("message", "/request", "张伟")
    assert bot_reply["message"]["author_id"] == "" and 'data-command="request"' in bot_reply["message"]["html"]
    shown = await history(test_client, "市场部")
    assert [m["id"] for m in shown] == [mine["message"]["id"], bot_reply["message"]["id"]]
    await ws.close()


async def test_plain_group_chat_is_not_for_the_bot_but_private_chat_is(
        client: tuple[TestClient[Any, Any], Bot]) -> None:
    test_client, bot = client
    said = await post(test_client, bot, "/api/say", {"chat": "研发部", "user": "李强", "text": "大家好"})
    assert said == {"ok": True, "handled": False}
    assert len(await history(test_client, "研发部")) == 1
    said = await post(test_client, bot, "/api/say", {"chat": "p2p:李强", "user": "李强", "text": "帮助"})
    assert said["handled"] is True
    assert "协作机器人 · 命令" in (await history(test_client, "p2p:李强"))[-1]["preview"]


async def test_card_click_updates_the_card_or_toasts_the_error(client: tuple[TestClient[Any, Any], Bot]) -> None:
    """Clicks are what the page's script sends for the card HTML the bot rendered (tests/fakes/emulator.py)."""
    test_client, bot = client
    await post(test_client, bot, "/api/say", {"chat": "市场部", "user": "张伟", "text": "/request"})
    form = (await history(test_client, "市场部"))[-1]
    fill = {"name": "Q4新品推广", "goal": "尽快", "depts": ["研发部"], "due": "2026-12-31"}

    async def submit(fields: dict[str, Any]) -> dict[str, Any]:
        sent = emulator.click(form["html"], "提交", fields)
        return await post(test_client, bot, "/api/action", {"chat": "市场部", "user": "张伟", "message_id": form["id"]}
                          | sent)

    bad = await submit(fill)
    assert bad["ok"] is False and "量化" in bad["toast"] and bad["replaces_card"] is False
    before = await history(test_client, "市场部")
    assert before[-1]["id"] == form["id"] and 'data-kind="form"' in before[-1]["html"], "the form stays usable"
    good = await submit(fill | {"goal": "销量10万台"})
    assert good == {"ok": True, "replaces_card": True, "toast": "已提交"}
    after = await history(test_client, "市场部")
    submitted = next(m for m in after if m["id"] == form["id"])
    assert submitted["edited"] and 'data-kind="submitted"' in submitted["html"]
    assert "已提交 → 需求已提交：XZ-2026-0001" in submitted["html"], "the form says it was sent, and where"
    assert "需求已提交：XZ-2026-0001" in after[-1]["preview"] and len(after) == len(before) + 1
    assert "协作评估邀请" in (await history(test_client, "研发部"))[-1]["preview"]


@pytest.mark.parametrize("body", [{"user": "张伟", "text": "/help"}, {"chat": "市场部", "text": "/help"},
                                  {"chat": "市场部", "user": "张伟", "text": "  "}, ["not", "an", "object"]])
async def test_bad_requests_are_refused(client: tuple[TestClient[Any, Any], Bot], body: Any) -> None:
    test_client, _ = client
    response = await test_client.post("/api/say", json=body)
    assert response.status == 400


async def test_emulator_is_off_when_a_platform_is_configured() -> None:
    config = Config()
    config.feishu.app_id, config.feishu.app_secret = "cli_x", "secret"
    bot = Bot(config)
    try:
        adapters = platform_adapters(bot)
        app = make_app(bot, adapters)
        assert [type(a).__name__ for a in adapters] == ["FeishuAdapter"]
        assert not any(getattr(r, "canonical", "") == "/api/state" for r in app.router.resources())
        assert "local" not in bot.senders and not config.departments
        for adapter in adapters:
            await adapter.stop()
    finally:
        await bot.engine.dispose()


async def test_whole_collaboration_by_clicks_in_the_emulator(db_url: str) -> None:
    """tests/click_play.py in the emulator: every click is what the page's script sends for the card HTML."""
    async with running(LocalRig.create(db_url, org=TEST_ORG)) as rig:
        await whole_collaboration(rig)
