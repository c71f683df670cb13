"""Outbox dispatcher throughput against unthrottled fakes (SQLite by default, PostgreSQL with --pg).

N notices (one row each, not mergeable) spread over 50 chats are queued, then drained; timed:

  memory   the in-process memory sender: the dispatcher's own cost (claim, order, record)
  http     the aiohttp fake platform on 127.0.0.1 (tests/fake_platform.py): plus one local HTTP
           round trip per send, the shape of a real adapter

usage: python bench/dispatcher_bench.py [--rows 5000] [--pg postgresql://…]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from planner_bench import bench_url  # noqa: E402

from bot.platforms.memory import MemorySender  # noqa: E402
from bot.testkit import TestBot, demo_config  # noqa: E402
from storage import outbox  # noqa: E402
from tests.fake_platform import FakePlatform, HttpSender  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
CHATS = 50


async def run(url: str, rows: int, kind: str) -> float:
    tb = await TestBot.create(demo_config(url), datetime(2026, 11, 23, 10, 0, tzinfo=SH))
    now = tb.clock.now()
    async with tb.bot.sessions() as session, session.begin():
        await outbox.enqueue(session, [{"key": f"bench:{i}", "platform": "memory", "chat_id": f"chat-{i % CHATS}",
                                        "kind": "notice", "payload": {"title": f"提醒 {i}", "body": "到期"},
                                        "due_at": now, "created_at": now} for i in range(rows)])
    platform = FakePlatform()
    http = HttpSender(await platform.start())
    tb.bot.senders["memory"] = http if kind == "http" else MemorySender()
    started = time.perf_counter()
    sent = await tb.bot.dispatcher.drain()
    elapsed = time.perf_counter() - started
    assert sent == rows, (sent, rows)
    await http.close()
    await platform.stop()
    await tb.close()
    return rows / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--pg", default="", help="PostgreSQL URL (its public schema is dropped!)")
    args = parser.parse_args()
    for kind in ("memory", "http"):
        with tempfile.TemporaryDirectory() as tmp:
            rate = await run(await bench_url(tmp, args.pg), args.rows, kind)
        print(f"dispatcher [{'postgresql' if args.pg else 'sqlite'}] {kind:>6}: {args.rows} rows over {CHATS} chats, "
              f"{rate:,.0f} rows/s", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
