"""Client-side rate limits, so a burst of notices is paced instead of being refused with 429s.

Chat platforms count requests in windows ("50 per second per app, 5 per second per group"),
so the limiter has the same shape: at most `limit` acquisitions in any `window` seconds. A
small extra margin on the window absorbs network jitter between our clock and theirs.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` acquisitions in any `window`-second span; callers wait their turn in order."""

    def __init__(self, limit: int, window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be ≥ 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until one more acquisition fits (0 when it fits now)."""
        now = self._clock()
        while self._stamps and self._stamps[0] <= now - self.window:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[0] + self.window - now

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := self.delay()) > 0:
                await asyncio.sleep(wait)
            self._stamps.append(self._clock())

    @property
    def idle(self) -> bool:
        return self.delay() == 0 and not self._stamps


class KeyedWindows:
    """One `SlidingWindow` per key (a chat id), dropped again once idle so memory stays bounded."""

    def __init__(self, limit: int, window: float = 1.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._windows: dict[str, SlidingWindow] = {}

    async def acquire(self, key: str) -> None:
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self.max_keys:
                self._windows = {k: w for k, w in self._windows.items() if not w.idle}
            window = self._windows[key] = SlidingWindow(self.limit, self.window)
        await window.acquire()
