"""A real `serve`-like bot process on DingTalk, for the two-process bench (not a test module).

Runs `Bot.start()` and the real DingTalk adapter (stream client and OpenAPI sender) against the
fake DingTalk at the given URL, on the given database, with the planner off: it only sends what
is queued in the outbox.

usage: python -m tests.dingtalk_bot DB_URL FAKE_URL
"""
from __future__ import annotations

import asyncio
import logging
import sys

from bot.app import Bot
from bot.platforms.dingtalk.adapter import DingTalkAdapter
from tests.dingtalk_rig import dingtalk_config


async def main(db_url: str, fake_url: str) -> None:
    config = dingtalk_config(db_url, fake_url)
    config.scheduler.enabled = False
    bot = Bot(config)
    adapter = DingTalkAdapter(bot)
    await bot.start()
    await adapter.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(*sys.argv[1:3]))
