"""storage/wal_checkpoint.py: checkpoints move off the commits onto a thread, and keep the WAL small."""
from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import AuditEntry
from storage.wal_checkpoint import WalCheckpointer, checkpoint
from tests.waiting import wait_until

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


async def write_rows(path: Path, count: int, checkpointer: bool) -> int:
    """Commit `count` one-row transactions with automatic checkpoints off; the WAL's size after."""
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_sessionmaker(engine)
    runner = None
    checkpoints = WalCheckpointer(engine, interval_seconds=0.02)
    try:
        await migrate.upgrade(engine)
        if checkpointer:
            runner = asyncio.create_task(checkpoints.run())
            await asyncio.sleep(0.05)
        else:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        for i in range(count):
            async with sessions() as session, session.begin():
                session.add(AuditEntry(at=NOW, actor_id=None, action="bench", detail={"i": i, "pad": "x" * 2000}))
            if i % 50 == 0:  # a pause in the writes, as between bursts of commands
                if checkpointer:  # long enough for one checkpoint, however slow the machine
                    done = checkpoints.completed
                    await wait_until(lambda: checkpoints.completed > done, 10, "a checkpoint")
                else:
                    await asyncio.sleep(0.03)
        return os.path.getsize(f"{path}-wal")
    finally:
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        await engine.dispose()


async def test_the_checkpointer_keeps_the_wal_small_while_commits_never_checkpoint(tmp_path: Path) -> None:
    unchecked = await write_rows(tmp_path / "unchecked.db", 600, checkpointer=False)
    checked = await write_rows(tmp_path / "checked.db", 600, checkpointer=True)
    assert unchecked > 2_000_000  # ~600 pages of log with nothing copying it back
    assert checked < unchecked / 4


def test_checkpoint_copies_the_whole_log(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x TEXT)")
    for _ in range(20):
        conn.execute("INSERT INTO t VALUES (?)", ("y" * 3000,))
        conn.commit()
    busy, log_pages, copied = checkpoint(path)
    assert busy == 0 and log_pages > 20 and copied == log_pages
    conn.close()


async def test_postgresql_needs_no_checkpointer() -> None:
    engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connected
    try:
        await asyncio.wait_for(WalCheckpointer(engine).run(), 1)  # returns at once
    finally:
        await engine.dispose()
