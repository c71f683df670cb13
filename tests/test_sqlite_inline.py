"""storage/sqlite_inline.py: SQLite through the async engine on the event loop's own thread."""
from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.connectors.asyncio
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate, org, sqlite_inline
from storage.db import async_url, make_engine, make_sessionmaker
from storage.models import Person

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'inline.db'}")
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///./x.db", "sqlite+xiezuo_inline:///./x.db"),
    ("sqlite+pysqlite:////tmp/x.db", "sqlite+xiezuo_inline:////tmp/x.db"),
    ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ("postgresql+asyncpg://u:secret@127.0.0.1/db", "postgresql+asyncpg://u:secret@127.0.0.1/db"),
    ("postgresql://u:secret@127.0.0.1/db", "postgresql+asyncpg://u:secret@127.0.0.1/db"),
    ("postgresql+psycopg2://u@127.0.0.1/db", "postgresql+psycopg2://u@127.0.0.1/db"),  # refused by the config check
])
def test_plain_urls_select_the_async_drivers(url: str, expected: str) -> None:
    assert async_url(url) == expected


async def test_statements_run_on_the_event_loop_thread(engine: AsyncEngine) -> None:
    """The point of the driver: no worker thread, so no hand-off per statement."""
    assert engine.dialect.driver == "xiezuo_inline"
    seen: list[int] = []

    def whose_thread() -> int:
        seen.append(threading.get_ident())
        return 1

    def register(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.create_function("whose_thread", 0, whose_thread)

    await engine.dispose()  # new connections get the function
    event.listen(engine.sync_engine, "connect", register)
    threads_before = threading.active_count()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT whose_thread()"))).scalar() == 1
    assert seen == [threading.get_ident()]
    assert threading.active_count() == threads_before


async def test_commit_keeps_and_rollback_discards(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await org.ensure_person(session, "memory", "kept", "留下", NOW)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await org.ensure_person(session, "memory", "dropped", "丢弃", NOW)
            raise RuntimeError("handler failed")
    async with sessions() as session:
        names = (await session.scalars(select(Person.name).order_by(Person.id))).all()
    assert names == ["留下"]


async def test_constraint_violations_raise_sqlalchemy_errors(engine: AsyncEngine) -> None:
    """Unique keys are what the inbox and outbox rely on: they must surface as IntegrityError."""
    sessions = make_sessionmaker(engine)
    row = dict(platform="memory", user_id="u1", name="u1", is_admin=False, is_head=False, created_at=NOW)
    async with sessions() as session, session.begin():
        session.add(Person(**row))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Person(**row))
    async with sessions() as session:
        assert len((await session.scalars(select(Person))).all()) == 1


async def test_streamed_results_page_through_a_server_side_cursor(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        for i in range(250):
            session.add(Person(platform="memory", user_id=f"u{i}", name=f"u{i}", is_admin=False, is_head=False,
                               created_at=NOW))
    async with sessions() as session:
        result = await session.stream_scalars(select(Person.user_id).order_by(Person.id).execution_options(
            yield_per=100))
        seen = [user_id async for user_id in result]
    assert seen == [f"u{i}" for i in range(250)]


async def test_a_statement_switches_greenlets_once(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLAlchemy's own adapter switches to the loop and back three times a statement (cursor,
    execute, close) and once per commit; with nothing to wait for, only the execute switches."""
    switches: list[str] = []

    def counting(module: Any) -> None:
        real = module.await_

        def await_(awaitable: Any) -> Any:
            switches.append(module.__name__)
            return real(awaitable)
        monkeypatch.setattr(module, "await_", await_)

    for module in (sqlalchemy.connectors.asyncio, sqlite_inline):
        counting(module)
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await org.ensure_person(session, "memory", "u1", "u1", NOW)  # SELECT, INSERT, SELECT
        switches.clear()
        assert (await org.person(session, "memory", "u1")) is not None
    assert switches == ["storage.sqlite_inline"]  # the SELECT; the commit switched not at all
