"""Planner tick cost with 10 000 and 100 000 open tasks (SQLite by default, PostgreSQL with --pg).

Tasks are spread over a span of due dates (a year by default; each day gets its share), in
executing collaborations of 20 tasks. A size written N:DAYS spreads N tasks over DAYS days: the
default adds 100000:3650, as many tasks due per day as 10000 over a year, to show that a tick's
cost follows what falls due, not the size of the table. Three ticks are timed, each from a fresh planner state and an empty
outbox, median of --repeat runs:

  idle      09:00 → 09:01 on a Tuesday: nothing falls due (the tick that runs every minute)
  daily     09:29 → 09:31 on a Tuesday: due-soon, due-today, the lag ladder and upstream checks
  monday    09:29 → 09:31 on a Monday: the above plus the weekly sync card of every collaboration

usage: python bench/planner_bench.py [--sizes 10000,100000,100000:3650] [--repeat 5] [--pg postgresql://…]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, text

from bot.testkit import TestBot, demo_config, fresh_postgres, seed_open_tasks
from storage.models import OutboxMessage, SchedulerState

SH = ZoneInfo("Asia/Shanghai")
TICKS = {
    "idle": (datetime(2026, 11, 24, 9, 0, tzinfo=SH), datetime(2026, 11, 24, 9, 1, tzinfo=SH)),
    "daily": (datetime(2026, 11, 24, 9, 29, tzinfo=SH), datetime(2026, 11, 24, 9, 31, tzinfo=SH)),
    "monday": (datetime(2026, 11, 23, 9, 29, tzinfo=SH), datetime(2026, 11, 23, 9, 31, tzinfo=SH)),
}


async def bench_url(tmp: str, pg: str) -> str:
    """A fresh database: a file in `tmp`, or the given PostgreSQL emptied and migrated."""
    if not pg:
        return f"sqlite:///{Path(tmp) / 'bench.db'}"
    await fresh_postgres(pg)
    return pg


async def one_size(url: str, size: int, span: int, repeat: int) -> dict[str, tuple[float, int]]:
    tb = await TestBot.create(demo_config(url), datetime(2026, 11, 20, 9, 0, tzinfo=SH))
    first = date(2026, 11, 24) - timedelta(days=span // 2)
    days = [first + timedelta(days=i) for i in range(span)]
    await seed_open_tasks(tb.bot, size, days, tb.clock.now())
    if url.startswith("sqlite"):
        async with tb.bot.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    out = {}
    for name, (since, now) in TICKS.items():
        times, queued = [], 0
        for _ in range(repeat):
            async with tb.bot.sessions() as session, session.begin():
                await session.execute(delete(OutboxMessage))
                await session.execute(delete(SchedulerState))
                session.add(SchedulerState(name="planner", last_run_at=since))
            started = time.perf_counter()
            queued = await tb.bot.planner.tick(now)
            times.append(time.perf_counter() - started)
        out[name] = (statistics.median(times) * 1000, queued)
    await tb.close()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,100000:3650")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default="", help="PostgreSQL URL (its public schema is dropped!)")
    args = parser.parse_args()
    backend = "postgresql" if args.pg else "sqlite"
    print(f"planner tick, {backend}, median of {args.repeat} (ms; notices queued)")
    print(f"{'open tasks':>10} {'due over':>9} " + " ".join(f"{name:>18}" for name in TICKS))
    for spec in args.sizes.split(","):
        size, _, span = spec.partition(":")
        with tempfile.TemporaryDirectory() as tmp:
            result = await one_size(await bench_url(tmp, args.pg), int(size), int(span or 365), args.repeat)
        print(f"{int(size):>10} {int(span or 365):>6} d " + " ".join(f"{ms:>9.1f} ms {n:>5}" for ms, n in result.values()),
              flush=True)


if __name__ == "__main__":
    asyncio.run(main())
