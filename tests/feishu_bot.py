"""A real bot process on Feishu, for the crash re-send bench (not a test module).

Runs `Bot.start()` with the real Feishu sender against the fake Feishu at the given URL, on the
given database, the planner off, its clock `SHIFT_SECONDS` ahead of real time (a restart after
downtime, on a machine whose clock has moved on).

usage: python -m tests.feishu_bot DB_URL FAKE_URL SHIFT_SECONDS
"""
from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime, timedelta, timezone

from bot.app import Bot
from bot.platforms.feishu.adapter import FeishuAdapter
from tests.crash_bot import RunningClock
from tests.feishu_rig import feishu_config


async def main(db_url: str, fake_url: str, shift: str) -> None:
    config = feishu_config(db_url, fake_url, "webhook")
    config.scheduler.enabled = False
    bot = Bot(config, clock=RunningClock(datetime.now(timezone.utc) + timedelta(seconds=float(shift))))
    FeishuAdapter(bot)  # registers the sender; no inbound needed here
    await bot.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(*sys.argv[1:4]))
