"""Resident memory of `xiezuo serve` over a database with 100 000 open tasks (SQLite).

Seeds the demo organisation with N open tasks due over a year, starts `xiezuo serve` on it as a
subprocess, waits for /healthz and for the start-up planner tick (which, with the real clock,
catches up on the last 72 h: thousands of notices), lets the dispatcher work for a while, and
prints VmRSS and the peak VmHWM from /proc.

usage: python bench/serve_memory.py [--tasks 100000] [--settle 20]
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from serving import serving

from bot.testkit import TestBot, demo_config, seed_open_tasks


def memory(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) // 1024
    return fields


async def seed(url: str, tasks: int) -> None:
    now = datetime.now(timezone.utc)
    tb = await TestBot.create(demo_config(url), now)
    days = [now.date() - timedelta(days=180) + timedelta(days=i) for i in range(365)]
    await seed_open_tasks(tb.bot, tasks, days, now)
    await tb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--settle", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/serve.db"
        started = time.perf_counter()
        asyncio.run(seed(url, args.tasks))
        print(f"seeded {args.tasks} open tasks in {time.perf_counter() - started:.1f} s", flush=True)
        with serving(Path(tmp), f'[database]\nurl = "{url}"\n[local]\nenabled = false') as (proc, _):
            print(f"serving after start: {memory(proc.pid)} MB", flush=True)
            time.sleep(args.settle)
            mem = memory(proc.pid)
            with sqlite3.connect(f"{tmp}/serve.db") as db:
                rows = dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
            print(f"after {args.settle:.0f} s: VmRSS {mem['VmRSS']} MB, peak VmHWM {mem['VmHWM']} MB; "
                  f"outbox rows by status {rows} (no platform configured: sends fail and are reported)", flush=True)


if __name__ == "__main__":
    main()
