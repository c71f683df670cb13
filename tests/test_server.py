"""bot/server.py: /healthz and /metrics over a real bot, through aiohttp's test client."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.config import Config
from bot.server import BOT_KEY, make_app
from bot.testkit import TestBot
from tests.net import free_port


@pytest.fixture
async def client(tb: TestBot) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_app(tb.bot))) as http:
        yield http


async def test_healthz_reports_ok_and_the_database_dialect(client: TestClient, db_url: str) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert body["platforms"] == ["memory"]
    assert client.app is not None and client.app[BOT_KEY].engine.dialect.name == body["database"]


async def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    config = Config()
    config.database.url = f"postgresql+asyncpg://xiezuo@127.0.0.1:{free_port()}/xiezuo"  # nothing listens
    bot = Bot(config)
    try:
        async with TestClient(TestServer(make_app(bot))) as http:
            response = await http.get("/healthz")
            assert response.status == 503
            body = await response.json()
            assert body == {"status": "error", "database": "unreachable"}, "no driver text, host or port"
    finally:
        await bot.engine.dispose()


async def test_metrics_count_events_time_handlers_and_show_outbox_depth(client: TestClient, tb: TestBot) -> None:
    await tb.say("小张", "市场部", "/help")
    await tb.say("小张", "市场部", "/nosuchcommand")
    response = await client.get("/metrics")
    assert response.status == 200 and response.content_type == "text/plain"
    text = await response.text()
    assert 'xiezuo_events_total{outcome="ok",platform="memory"} 1.0' in text
    assert 'xiezuo_events_total{outcome="rejected",platform="memory"} 1.0' in text
    assert "# TYPE xiezuo_handler_seconds histogram" in text
    assert 'xiezuo_handler_seconds_bucket{command="help",le="+Inf"} 1.0' in text
    assert 'xiezuo_handler_seconds_count{command="invalid"} 1.0' in text
    assert "# TYPE xiezuo_outbox_depth gauge" in text and "\nxiezuo_outbox_depth " in text


async def test_metrics_are_per_bot(client: TestClient, tmp_path: Path) -> None:
    """Two bots in one process (tests, replicas) keep separate counters."""
    config = Config()
    config.database.url = f"sqlite:///{tmp_path / 'other.db'}"
    other = Bot(config)
    try:
        other.metrics.events.labels("memory", "ok").inc(5)
        text = await (await client.get("/metrics")).text()
        assert 'xiezuo_events_total{outcome="ok",platform="memory"} 5.0' not in text
    finally:
        await other.engine.dispose()


async def test_an_ops_token_guards_metrics_and_healthz(tb: TestBot) -> None:
    tb.bot.config.http.ops_token = "s3cret-ops"
    async with TestClient(TestServer(make_app(tb.bot))) as http:
        for path in ("/metrics", "/healthz"):
            assert (await http.get(path)).status == 401
            assert (await http.get(path, headers={"Authorization": "Bearer guess"})).status == 401
            assert (await http.get(path, headers={"Authorization": "Bearer s3cret-ops"})).status == 200
