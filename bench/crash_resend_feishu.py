"""SIGKILL mid fan-out on Feishu, restart after downtime: what users see twice, and how marked.

Queues `--notices` notices to five Feishu groups, starts a real bot process (tests/platform_bot.py:
the real sender against the fake Feishu, tests/fakes/feishu.py, which deduplicates a send's
`uuid` for one hour), kills it with SIGKILL once three eighths have been shown (mid-batch), lets `--down` minutes
pass (the fake's clock and the restarted bot's move on together), restarts it, and counts what
the fake shows: messages, distinct notices, duplicates, and how many of those carry the mark
「（补发，可能重复）」 (docs/reliability.md, "Outbound"). Inside the uuid window Feishu drops the
re-sends itself; past it they show twice, marked.

Usage: python bench/crash_resend_feishu.py --pg postgresql://postgres@127.0.0.1:5432/test
                                           [--notices 300] [--down 5,90]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Bot  # noqa: E402
from bot.messages import RESEND_MARK, CardKind, Message  # noqa: E402
from bot.testkit import fresh_postgres  # noqa: E402
from storage import outbox  # noqa: E402
from tests.fakes.feishu import FakeFeishu  # noqa: E402
from tests.feishu_rig import CHATS, PEOPLE, feishu_config  # noqa: E402

GROUPS = [CHATS[d] for d in ("市场部", "研发部", "设计部", "销售部", "客服部")]


async def queue(db_url: str, fake_url: str, notices: int) -> None:
    bot = Bot(feishu_config(db_url, fake_url, "webhook"))
    await bot.prepare_database()
    now = datetime.now(timezone.utc)
    rows = [{"key": f"bench:notice:{i}", "platform": "feishu", "chat_id": GROUPS[i % len(GROUPS)], "kind": "notice",
             "payload": Message(f"今日到期提醒 {i:03d}", "请提交交付物", template=CardKind.NOTICE).to_json(),
             "due_at": now, "created_at": now} for i in range(notices)]
    async with bot.sessions() as session, session.begin():
        await outbox.enqueue(session, rows)
    await bot.stop()


def shown(fake: FakeFeishu) -> list[str]:
    return [p.content.get("header", {}).get("title", {}).get("content", "") for p in fake.posted.values()
            if p.chat_id in GROUPS]


async def spawn(db_url: str, fake: FakeFeishu, shift_seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.platform_bot", "feishu", db_url, fake.url, str(shift_seconds), cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def until(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def run(db_url: str, notices: int, down_minutes: float) -> tuple[int, int, int, int, int]:
    await fresh_postgres(db_url)
    fake = FakeFeishu(users={oid: name for name, oid in PEOPLE.items()})
    await fake.start()
    try:
        await queue(db_url, fake.url, notices)
        first = await spawn(db_url, fake, 0)
        await until(lambda: len(shown(fake)) >= notices * 3 // 8, 60)  # mid-batch: a claim is 50 rows
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = len(shown(fake))
        fake.days_passed += down_minutes / 1440
        second = await spawn(db_url, fake, down_minutes * 60)
        distinct = lambda: len({t.removeprefix(RESEND_MARK) for t in shown(fake)})  # noqa: E731
        await until(lambda: distinct() >= notices, 120)
        await asyncio.sleep(2)  # anything still to come would be a duplicate
        second.terminate()
        await second.wait()
        titles = shown(fake)
        plain = Counter(t.removeprefix(RESEND_MARK) for t in titles)
        marked = sum(t.startswith(RESEND_MARK) for t in titles)
        return at_kill, len(titles), len(plain), sum(n - 1 for n in plain.values()), marked
    finally:
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="a PostgreSQL URL whose database may be wiped")
    parser.add_argument("--notices", type=int, default=300)
    parser.add_argument("--down", default="5,90", help="minutes of downtime before the restart, comma-separated")
    args = parser.parse_args()
    print(f"{args.notices} notices to 5 Feishu groups, SIGKILL mid-batch, restart after the downtime")
    print(f"{'down min':>8} {'at kill':>8} {'messages':>9} {'distinct':>9} {'duplicates':>11} {'marked':>7}")
    for down in (float(x) for x in args.down.split(",")):
        at_kill, messages, distinct, duplicates, marked = await run(args.pg, args.notices, down)
        print(f"{down:>8.0f} {at_kill:>8} {messages:>9} {distinct:>9} {duplicates:>11} {marked:>7}")


if __name__ == "__main__":
    asyncio.run(main())
