"""The emulator is for the person at this machine's browser: requests naming another host, from
another origin, without the page's token or with a non-JSON body are refused and change nothing;
a real browser page of another origin can neither post as someone nor read the live feed."""
from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import async_playwright
from sqlalchemy import func, select

from bot.app import Bot
from bot.cli import start_server
from bot.clock import FixedClock
from bot.config import Config, ConfigError, load_config
from storage.models import Collaboration, LocalMessage
from tests.conftest import MONDAY
from tests.fakes.emulator import page_token
from tests.test_emulator_browser import ARGS, CHROMIUM

SAY = {"chat": "市场部", "user": "张伟", "text": '/request "伪造" goal="销量10万台" depts=研发部 due=2026-12-31'}


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[tuple[str, Bot]]:
    config = Config()
    config.database.url = f"sqlite:///{tmp_path / 'e.db'}"
    config.http.port = 0
    bot, runner, url = await start_server(config, FixedClock(MONDAY))
    try:
        yield url.rstrip("/"), bot
    finally:
        await runner.cleanup()
        await bot.stop()


async def stored(bot: Bot) -> tuple[int, int]:
    """Collaborations, and messages people typed (the bot's own notices aside)."""
    async with bot.sessions() as session:
        collabs = await session.scalar(select(func.count()).select_from(Collaboration))
        said = await session.scalar(select(func.count()).select_from(LocalMessage).where(LocalMessage.author_id != ""))
    return int(collabs or 0), int(said or 0)


async def test_only_its_own_page_may_drive_it(emulator: tuple[str, Bot]) -> None:
    url, bot = emulator
    async with aiohttp.ClientSession() as http:
        token = page_token(await (await http.get(url + "/")).text())
        ok = {"X-Xiezuo-Token": token}
        refused: list[tuple[str, dict[str, str], Any]] = [
            ("no token", {}, SAY),
            ("wrong token", {"X-Xiezuo-Token": "guess"}, SAY),
            ("another host (DNS rebinding)", ok | {"Host": "attacker.example"}, SAY),
            ("another origin", ok | {"Origin": "http://attacker.example"}, SAY),
        ]
        for what, headers, body in refused:
            async with http.post(url + "/api/say", json=body, headers=headers) as resp:
                assert resp.status == 403, what
        async with http.post(url + "/api/say", data='{"chat": "市场部"}', headers=ok | {"Content-Type": "text/plain"}) as resp:
            assert resp.status == 403, "a no-cors form post is text/plain"
        async with http.get(url + "/api/messages", params={"chat": "市场部"}) as resp:
            assert resp.status == 403, "reading needs the token too"
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(url + "/ws", headers={"Origin": "http://attacker.example"})
        assert await stored(bot) == (0, 0)
        async with http.post(url + "/api/say", json=SAY, headers=ok) as resp:
            assert resp.status == 200
        ws = await http.ws_connect(url + "/ws", headers={"Origin": url})
        await ws.close()
        async with http.get(url + "/healthz", headers={"Host": "attacker.example"}) as resp:
            assert resp.status == 200, "the ops and webhook routes are not the emulator's"
    await bot.dispatcher.drain()
    assert (await stored(bot))[0] == 1


async def test_a_page_of_another_origin_cannot_act_or_listen(emulator: tuple[str, Bot]) -> None:
    """In Debian's chromium: an attacker's page on another port posts no-cors to /api/say and opens
    the websocket, as the probe that found this did."""
    assert os.path.exists(CHROMIUM), "chromium missing: `make test` installs it with apt-get"
    url, bot = emulator
    attack = f"""<html><body><script>
      fetch("{url}/api/say", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
            body: JSON.stringify({SAY!r})}}).catch(() => {{}});
      const ws = new WebSocket("{url.replace('http', 'ws')}/ws");
      ws.onopen = () => {{ document.title = "OPEN"; }};
      ws.onerror = () => {{ document.title = "REFUSED"; }};
    </script></body></html>"""
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=attack, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                tab = await browser.new_page()
                await tab.goto(f"http://127.0.0.1:{port}/")
                for _ in range(50):
                    if await tab.title():
                        break
                    await asyncio.sleep(0.1)
                assert await tab.title() == "REFUSED"
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    await bot.dispatcher.drain()
    assert await stored(bot) == (0, 0)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_listening_beyond_loopback_needs_allow_remote_and_a_password(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('[http]\nhost = "0.0.0.0"\n')
    with pytest.raises(ConfigError, match="allow_remote"):
        load_config(path, env={})
    path.write_text('[http]\nhost = "0.0.0.0"\n[local]\nallow_remote = true\n')
    with pytest.raises(ConfigError, match="password"):
        load_config(path, env={})
    path.write_text('[http]\nhost = "0.0.0.0"\n[local]\nallow_remote = true\npassword = "demo-pass"\n')
    assert load_config(path, env={}).local.allow_remote


async def test_a_remote_emulator_asks_for_its_password(tmp_path: Path) -> None:
    config = Config()
    config.database.url = f"sqlite:///{tmp_path / 'e.db'}"
    config.http.port = 0
    config.local.allow_remote, config.local.password = True, "demo-pass"
    bot, runner, url = await start_server(config, FixedClock(MONDAY))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as resp:
                assert resp.status == 401 and "Basic" in resp.headers["WWW-Authenticate"]
            async with http.get(url, headers=basic("any", "wrong")) as resp:
                assert resp.status == 401
            async with http.get(url, headers=basic("any", "demo-pass")) as resp:
                assert resp.status == 200
    finally:
        await runner.cleanup()
        await bot.stop()
