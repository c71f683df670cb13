"""What one SQL lookup costs at each layer of the stack the router uses on SQLite.

The same query (a person by platform + user id, as `Router._context` runs for every command) is
timed through sqlite3, aiosqlite, then SQLAlchemy Core, the ORM helper `storage.org.person` in an
open session, and the same in its own session + transaction, each over both SQLite drivers the
engine can use: aiosqlite (a worker thread) and storage/sqlite_inline.py (the loop's thread).
The differences between rows are the price of each layer, which is where a command's time goes.

Usage: python bench/sql_layers_bench.py [N]   (N lookups per layer, default 2000)
"""
from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

import aiosqlite
from sqlalchemy import text

from storage import migrate, org
from storage.db import make_engine, make_sessionmaker

SQL = "SELECT * FROM people WHERE platform = ? AND user_id = ?"
USERS = 50


def report(label: str, seconds: list[float]) -> None:
    seconds = sorted(seconds)
    print(f"{label:48} p50 {seconds[len(seconds) // 2] * 1e3:7.3f} ms   mean {statistics.mean(seconds) * 1e3:7.3f} ms")


async def timed(n: int, step: Callable[[int], Awaitable[object]]) -> list[float]:
    out = []
    for i in range(n):
        started = time.perf_counter()
        await step(i % USERS)
        out.append(time.perf_counter() - started)
    return out


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="xiezuo-sql-") as tmp:
        path = Path(tmp) / "layers.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        sessions = make_sessionmaker(engine)
        await migrate.upgrade(engine)
        async with sessions() as session, session.begin():
            for i in range(USERS):
                await org.ensure_person(session, "memory", f"u{i}", f"u{i}", datetime.now(timezone.utc))

        plain = sqlite3.connect(path)
        seconds = []
        for i in range(n):
            started = time.perf_counter()
            plain.execute(SQL, ("memory", f"u{i % USERS}")).fetchall()
            seconds.append(time.perf_counter() - started)
        plain.close()
        report("sqlite3, synchronous", seconds)

        async with aiosqlite.connect(path) as db:
            async def raw(i: int) -> object:
                async with db.execute(SQL, ("memory", f"u{i}")) as cursor:
                    return await cursor.fetchall()
            report("aiosqlite execute + fetchall", await timed(n, raw))

        await engine.dispose()
        for driver, url in (("aiosqlite", f"sqlite+aiosqlite:///{path}"), ("inline sqlite3", f"sqlite:///{path}")):
            await sqlalchemy_layers(n, driver, url)


async def sqlalchemy_layers(n: int, driver: str, url: str) -> None:
    """The same lookup through SQLAlchemy Core, the ORM, and the ORM in its own transaction."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    core_sql = text("SELECT * FROM people WHERE platform = :p AND user_id = :u")
    async with engine.connect() as conn:
        async def core(i: int) -> object:
            return (await conn.execute(core_sql, {"p": "memory", "u": f"u{i}"})).all()
        report(f"SQLAlchemy Core text(), {driver}", await timed(n, core))

    async with sessions() as session:
        report(f"ORM storage.org.person, open session, {driver}", await timed(n, lambda i: org.person(
            session, "memory", f"u{i}")))

    async def own_transaction(i: int) -> object:
        async with sessions() as session, session.begin():
            return await org.person(session, "memory", f"u{i}")
    report(f"ORM storage.org.person, own session + tx, {driver}", await timed(n, own_transaction))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
