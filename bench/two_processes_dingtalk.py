"""Several `serve` processes on one PostgreSQL, sending to one DingTalk group: sends and duplicates.

DingTalk paces a group to 20 messages a minute, so a batch of notices to one group takes minutes
to go out: longer than a send lease. The bench queues `--notices` notices to one group, starts
one process, then (on a fresh database) `--processes` processes, each a real bot
(tests/platform_bot.py) with the real stream client and OpenAPI sender against the fake DingTalk
(tests/fakes/dingtalk.py), and counts at the fake what arrived: messages, distinct notices,
duplicates, and how long the last one took. docs/reliability.md says why none may be doubled.

Usage: python bench/two_processes_dingtalk.py --pg postgresql://postgres@127.0.0.1:5432/test
                                              [--notices 30] [--processes 2]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Bot  # noqa: E402
from bot.messages import CardKind, Message  # noqa: E402
from bot.testkit import fresh_postgres  # noqa: E402
from storage import outbox  # noqa: E402
from tests.dingtalk_rig import CHATS, CLIENT_ID, CLIENT_SECRET, dingtalk_config  # noqa: E402
from tests.fakes.dingtalk import FakeDingTalk  # noqa: E402

GROUP = CHATS["市场部"]


async def queue(db_url: str, fake_url: str, notices: int) -> None:
    bot = Bot(dingtalk_config(db_url, fake_url))
    await bot.prepare_database()
    now = datetime.now(timezone.utc)
    rows = [{"key": f"bench:notice:{i}", "platform": "dingtalk", "chat_id": GROUP, "kind": "notice",
             "payload": Message(f"今日到期提醒 {i:03d}", "请提交交付物", template=CardKind.NOTICE).to_json(),
             "due_at": now, "created_at": now} for i in range(notices)]
    async with bot.sessions() as session, session.begin():
        await outbox.enqueue(session, rows)
    await bot.stop()


async def run(db_url: str, notices: int, processes: int) -> tuple[int, int, int, float]:
    await fresh_postgres(db_url)
    fake = FakeDingTalk(CLIENT_ID, CLIENT_SECRET, CLIENT_ID).start()
    fake.add_group(GROUP, "市场部群")
    procs = []
    try:
        await queue(db_url, fake.url, notices)
        started = time.monotonic()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for _ in range(processes):
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.platform_bot", "dingtalk", db_url, fake.url, cwd=ROOT, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL))
        last = started
        seen = 0
        while time.monotonic() - last < 75:  # DingTalk's pacing: a minute and more between bursts
            now_seen = len(fake.messages(GROUP))
            if now_seen != seen:
                seen, last = now_seen, time.monotonic()
            if seen >= notices and time.monotonic() - last > 10:
                break
            await asyncio.sleep(0.5)
        titles = Counter(s.title for s in fake.messages(GROUP))
        return sum(titles.values()), len(titles), sum(n - 1 for n in titles.values()), last - started
    finally:
        for proc in procs:
            proc.terminate()
            await proc.wait()
        fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="a PostgreSQL URL whose database may be wiped")
    parser.add_argument("--notices", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.notices} notices to one DingTalk group (20 a minute), PostgreSQL")
    print(f"{'processes':>9} {'messages':>9} {'distinct':>9} {'duplicates':>11} {'last after s':>13}")
    for n in sorted({1, args.processes}):
        messages, distinct, duplicates, took = await run(args.pg, args.notices, n)
        print(f"{n:>9} {messages:>9} {distinct:>9} {duplicates:>11} {took:>13.1f}")


if __name__ == "__main__":
    asyncio.run(main())
