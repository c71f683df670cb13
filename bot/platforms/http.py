"""Retrying platform REST calls: back off on transient failures, honour the server's wait hint.

Adapters raise `Retryable` for what may work a moment later (5xx, timeouts, rate limits) and
anything else for what will not; `with_retries` retries only the former, a few times, and then
re-raises so the outbox can try again much later.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

log = logging.getLogger(__name__)
T = TypeVar("T")


def pooled_session(timeout: float) -> aiohttp.ClientSession:
    """One keep-alive connection pool per platform API, instead of a new client per call."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
                                 timeout=aiohttp.ClientTimeout(total=timeout))


class Retryable(Exception):
    """A failure worth retrying; `after` is the server's own wait hint in seconds, if it gave one."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


async def with_retries(call: Callable[[], Awaitable[T]], attempts: int = 4, base: float = 0.2,
                       cap: float = 10.0) -> T:
    """Run `call`, retrying `Retryable` failures with jittered exponential backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except Retryable as exc:
            if attempt == attempts:
                raise
            backoff = base * 2 ** (attempt - 1) * (1 + random.random() / 2)
            wait = min(cap, exc.after if exc.after is not None else backoff)
            log.info("retrying after %.2fs (attempt %d/%d): %s", wait, attempt, attempts, exc)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises
