"""Fixtures: a migrated database per test on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.testkit import TestBot, demo_config, fresh_postgres
from storage import migrate
from storage.db import make_engine
from storage.models import Base
from tests.fakes.feishu import FakeFeishu
from tests.lifetime import running

PG_URL = os.environ.get("XIEZUO_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("XIEZUO_REQUIRE_PG") == "1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Monday 2026-11-23 10:00 in Shanghai: a normal working week with a weekend after it.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)

BACKENDS = ["sqlite", "postgresql"]


def _run_in_thread(coro: Coroutine[Any, Any, None]) -> None:
    """Session fixtures are reached from inside a test's running loop: give the work its own."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file (an upgrade per test would dominate run time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        engine = make_engine(f"sqlite:///{path}")
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        await engine.dispose()

    _run_in_thread(build())
    return path


@pytest.fixture(scope="session")
def pg_ready() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("XIEZUO_REQUIRE_PG=1 but XIEZUO_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL tests need XIEZUO_TEST_PG_URL")
    _run_in_thread(fresh_postgres(PG_URL))  # a plain postgresql:// URL: make_engine picks asyncpg
    return PG_URL


async def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "xiezuo.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_ready")
        await _truncate(url)
        yield url


@pytest.fixture
async def tb(db_url: str) -> AsyncIterator[TestBot]:
    """The demo organisation on the memory platform, clock at Monday 2026-11-23 10:00."""
    async with running(TestBot.create(demo_config(db_url), MONDAY)) as bot:
        yield bot


@pytest.fixture
async def feishu_fake() -> AsyncIterator[FakeFeishu]:
    """The fake Feishu Open API on 127.0.0.1, started and stopped."""
    fake = FakeFeishu()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
