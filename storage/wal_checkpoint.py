"""SQLite WAL checkpoints on a worker thread, so that no command's commit pays for one.

By default SQLite copies the write-ahead log back into the database file inside whichever
commit takes the log past 1000 pages, and that checkpoint writes and fsyncs the database file
itself. On the event loop's thread (storage/sqlite_inline.py) that was a 5–15 ms stall,
several times a second under load: ~100 commits over 5 ms in 20 s of the router bench, against
none without. While it runs, the bot switches that off for its connection and runs a PASSIVE
checkpoint from a thread every second instead; SQLite lets the writer go on appending meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3

from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: AsyncEngine, interval_seconds: float = 1.0) -> None:
        self.engine = engine
        self.interval_seconds = interval_seconds
        self.completed = 0  # checkpoints run so far (tests wait on it)

    async def run(self) -> None:
        """Checkpoint every `interval_seconds` until cancelled (at once done for PostgreSQL)."""
        path = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not path:
            return
        async with self.engine.connect() as conn:  # the engine's one connection (storage/db.py)
            await conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await asyncio.to_thread(checkpoint, path)
                self.completed += 1
            except sqlite3.Error:
                log.exception("WAL checkpoint of %s failed", path)


def checkpoint(path: str) -> tuple[int, int, int]:
    """One PASSIVE checkpoint through a connection of its own: (busy, log pages, pages copied)."""
    conn = sqlite3.connect(path, timeout=1)
    try:
        busy, log_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy, log_pages, copied
    finally:
        conn.close()
