"""`xiezuo serve` with [feishu] configured: the webhook route is served, config keys load."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from bot.cli import serve_forever
from bot.config import ConfigError, load_config
from tests.fakes.feishu import APP_ID, APP_SECRET, FakeFeishu
from tests.net import free_port


def write_config(tmp_path: Path, db_url: str, fake_url: str, port: int,
                 extra: str = "card_answer_seconds = 2") -> Path:
    path = tmp_path / "xiezuo.toml"
    path.write_text(f"""
[database]
url = "{db_url}"
[http]
port = {port}
[feishu]
app_id = "{APP_ID}"
app_secret = "{APP_SECRET}"
mode = "webhook"
encrypt_key = "ek"
verification_token = "vt"
base_url = "{fake_url}"
{extra}
""", encoding="utf-8")
    return path


async def test_serve_routes_feishu_events(tmp_path: Path, db_url: str) -> None:
    fake = FakeFeishu()
    port = free_port()
    config = load_config(write_config(tmp_path, db_url, await fake.start(), port), env={})
    assert config.feishu.card_answer_seconds == 2.0 and config.feishu.replay_window_seconds == 300
    server = asyncio.create_task(serve_forever(config))
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # until the server is up
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        health = await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert "feishu" in health["platforms"]
            challenge = {"challenge": "c1", "token": "vt", "type": "url_verification"}
            async with http.post(f"http://127.0.0.1:{port}/feishu/events", data=json.dumps(challenge)) as resp:
                assert (resp.status, await resp.json()) == (200, {"challenge": "c1"})
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        await fake.stop()


def test_wrong_feishu_key_types_are_config_errors(tmp_path: Path) -> None:
    path = write_config(tmp_path, "sqlite:///x.db", "https://open.feishu.cn", 8080,
                        'card_answer_seconds = "soon"')
    with pytest.raises(ConfigError, match="card_answer_seconds must be a number"):
        load_config(path, env={})
