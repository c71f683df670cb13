"""storage/db.py: SQLite transactions of one process run one at a time, so read-then-write is safe."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import Counter


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+aiosqlite"])
async def test_concurrent_read_then_write_transactions_do_not_lose_updates(tmp_path: Path, scheme: str) -> None:
    """Each transaction reads a value, yields to the loop, then writes value + 1 (as handlers do)."""
    engine = make_engine(f"{scheme}:///{tmp_path / 'db.db'}")
    sessions = make_sessionmaker(engine)
    try:
        await migrate.upgrade(engine)
        async with sessions() as session, session.begin():
            session.add(Counter(name="c", value=0))

        async def bump() -> None:
            async with sessions() as session, session.begin():
                counter = await session.get(Counter, "c")
                assert counter is not None
                seen = counter.value
                await asyncio.sleep(0.01)  # another command's turn on the event loop
                counter.value = seen + 1

        await asyncio.wait_for(asyncio.gather(*(bump() for _ in range(8))), timeout=60)
        async with sessions() as session:
            counter = await session.get(Counter, "c")
            assert counter is not None and counter.value == 8
    finally:
        await engine.dispose()
