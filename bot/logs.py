"""A quiet console for `xiezuo serve` (README, "Quick start"): warnings and the bot's own notes at INFO,
the libraries' chatter (migrations, APScheduler's jobs) and every HTTP request at DEBUG, and one
line a minute at INFO saying how much HTTP traffic there was, when there was some.

`XIEZUO_LOG_LEVEL=DEBUG` shows everything, each request included.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

#: Libraries whose INFO lines describe their own workings, not the bot's: DEBUG unless asked for.
CHATTY = ("alembic", "apscheduler", "aiohttp.access")
log = logging.getLogger("xiezuo.http")


def setup(env: dict[str, str] | None = None) -> int:
    """Configure the console; returns the level chosen (`XIEZUO_LOG_LEVEL`, default INFO)."""
    name = (env if env is not None else os.environ).get("XIEZUO_LOG_LEVEL", "INFO").upper()
    level = logging.getLevelName(name) if isinstance(logging.getLevelName(name), int) else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING))
    return level


@dataclass
class Traffic:
    """HTTP requests since the last summary, by status class, and the slowest."""

    statuses: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0

    def add(self, status: int, seconds: float) -> None:
        self.statuses[f"{status // 100}xx"] += 1
        self.slowest = max(self.slowest, seconds)

    def summary(self) -> str | None:
        """One line for the minute gone, and a fresh count; None when no request came."""
        total = sum(self.statuses.values())
        if not total:
            return None
        by_class = ", ".join(f"{n} {k}" for k, n in sorted(self.statuses.items()))
        line = f"HTTP: {total} request{'s' if total > 1 else ''} in the last minute ({by_class}), " \
               f"slowest {self.slowest * 1000:.0f} ms"
        self.statuses.clear()
        self.slowest = 0.0
        return line


TRAFFIC = web.AppKey("traffic", Traffic)


def access_logger(traffic: Traffic) -> type[AbstractAccessLogger]:
    """aiohttp's access logger for the server: each request at DEBUG, counted into `traffic`."""
    class Quiet(AbstractAccessLogger):
        def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
            traffic.add(response.status, time)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s %s %d %.1f ms", request.remote, request.method, request.path_qs, response.status,
                          time * 1000)

        @property
        def enabled(self) -> bool:
            return True
    return Quiet


async def summarise(traffic: Traffic, every: float = 60.0) -> None:
    """Log `traffic`'s summary every `every` seconds, when there was traffic."""
    while True:
        await asyncio.sleep(every)
        line = traffic.summary()
        if line:
            log.info(line)

