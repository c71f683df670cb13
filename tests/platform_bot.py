"""A real bot process on Feishu or DingTalk, for the benches with real processes (not a test module).

Runs `Bot.start()` and the real adapter (its sender, and for DingTalk the stream client) against
the fake platform at the given URL, on the given database, with the planner off: it only sends
what is queued in the outbox. Its clock runs `SHIFT_SECONDS` ahead of real time (a restart after
downtime, on a machine whose clock has moved on).

usage: python -m tests.platform_bot feishu|dingtalk DB_URL FAKE_URL [SHIFT_SECONDS]
"""
from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime, timedelta, timezone

from bot.app import Bot
from bot.platforms.dingtalk.adapter import DingTalkAdapter
from bot.platforms.feishu.adapter import FeishuAdapter
from tests.crash_bot import RunningClock
from tests.dingtalk_rig import dingtalk_config
from tests.feishu_rig import feishu_config


async def main(platform: str, db_url: str, fake_url: str, shift: str = "0") -> None:
    config = feishu_config(db_url, fake_url, "webhook") if platform == "feishu" else dingtalk_config(db_url, fake_url)
    config.scheduler.enabled = False
    bot = Bot(config, clock=RunningClock(datetime.now(timezone.utc) + timedelta(seconds=float(shift))))
    adapter = FeishuAdapter(bot) if platform == "feishu" else DingTalkAdapter(bot)  # registers the sender
    await bot.start()
    await adapter.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(*sys.argv[1:5]))
