"""What the platforms' REST clients share (docs/platforms.md): `RestClient`, one pooled session,
an app token shared until shortly before it expires, pacing by the app's and a chat's limits;
and retries that back off on transient failures and honour the server's wait hint.

Clients raise `Retryable` for what may work a moment later (5xx, timeouts, rate limits) and
anything else for what will not; `with_retries` retries only the former, a few times, and then
re-raises so the outbox can try again much later.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp

from bot.platforms.ratelimit import KeyedWindows, SlidingWindow

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


class RestClient:
    """A platform's REST API: `paced` calls through one pooled session, and the app's access
    token fetched once (`fetch_token`, the platform's own) and shared until `token_margin`
    seconds before it expires, or until the platform refuses it (`forget_token`)."""

    def __init__(self, base_url: str, timeout: float, max_attempts: int, app_limit: SlidingWindow,
                 chat_limit: KeyedWindows, token_margin: float) -> None:
        self.base = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.app_limit = app_limit
        self.chat_limit = chat_limit
        self.token_margin = token_margin
        self._pool = PooledSession(timeout)
        self._token = ""
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._pool.session

    async def close(self) -> None:
        await self._pool.close()

    async def fetch_token(self) -> tuple[str, float]:
        """A new access token and its lifetime in seconds."""
        raise NotImplementedError

    async def token(self) -> str:
        async with self._token_lock:
            if not self._token or time.monotonic() >= self._token_expires:
                token, lifetime = await self.fetch_token()
                self._token, self._token_expires = token, time.monotonic() + max(60.0, lifetime - self.token_margin)
            return self._token

    def forget_token(self, stale: str) -> None:
        """The platform refused `stale`: the next call fetches a new one (unless another did)."""
        if self._token == stale:
            self._token = ""

    async def paced(self, chat_key: str | None, call: Callable[[], Awaitable[T]]) -> T:
        """`call()` within the app's limit and the chat's (none for no chat), retried on
        transient failures."""
        async def attempt() -> T:
            async with self.chat_limit.slot(chat_key), self.app_limit.slot():
                return await call()
        return await with_retries(attempt, attempts=self.max_attempts)

    async def exchange(self, method: str, url: str, **kwargs: Any) -> tuple[int, str, Mapping[str, str]]:
        """One HTTP request: (status, body text, headers); a timeout or a broken connection is
        `Retryable`."""
        try:
            async with self.session.request(method, url, **kwargs) as resp:
                return resp.status, await resp.text(), resp.headers
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise Retryable(f"{method} {url.removeprefix(self.base)}: {exc!r}") from exc
