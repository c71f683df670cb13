"""Retrying platform REST calls: back off on transient failures, honour the server's wait hint.

Adapters raise `Retryable` for what may work a moment later (5xx, timeouts, rate limits) and
anything else for what will not; `with_retries` retries only the former, a few times, and then
re-raises so the outbox can try again much later.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp

log = logging.getLogger(__name__)
T = TypeVar("T")


class PooledSession:
    """One keep-alive connection pool per platform API, opened on first use, instead of a client per call."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
                                                  timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def compact_json(value: Any) -> str:
    """JSON as the platforms take it inside string fields: UTF-8 text, no spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_object(text: str) -> dict[str, Any]:
    """A response body that must be a JSON object (ValueError otherwise)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


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
