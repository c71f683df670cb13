"""A real bot process for the crash and two-process tests (not a test module itself).

Runs `Bot.start()` — migrations, the APScheduler planner jobs and the outbox dispatcher — on the
given database, sending to the fake platform at the given URL. Its clock starts at the given
instant and then runs in real time, so the planner finds the seeded notices due at once.

usage: python crash_bot.py DB_URL PLATFORM_URL START_ISO DIGEST_MAX
"""
from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import datetime, timedelta

from bot.app import Bot
from bot.platforms.memory import PLATFORM
from bot.testkit import demo_config
from tests.fake_platform import HttpSender


class RunningClock:
    """Real time, shifted to start at a chosen instant."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


async def main(db_url: str, platform_url: str, start: str, digest_max: str) -> None:
    config = demo_config(db_url)
    config.scheduler.lease_seconds = 2
    config.scheduler.tick_seconds = 1
    config.scheduler.digest_max_items = int(digest_max)
    bot = Bot(config, clock=RunningClock(datetime.fromisoformat(start)))
    bot.add_sender(PLATFORM, HttpSender(platform_url))
    await bot.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(*sys.argv[1:5]))
