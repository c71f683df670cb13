"""Client-side rate limits, so a burst of notices is paced instead of being refused with 429s.

Chat platforms count requests in windows ("50 per second per app, 5 per second per group"),
so the limiter has the same shape: at most `limit` calls in any `window` seconds. The platform
counts a request when it arrives, somewhere between our sending it and its answer coming back;
so a call holds its place from the moment it starts until its answer is in, and the window is
counted from then. However long the trip (a token fetch first, a slow network, a busy host), two
calls `limit` apart then arrive at least `window` apart. A small margin on the window absorbs
the difference between our clock and theirs.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext


class SlidingWindow:
    """At most `limit` calls in any `window`-second span; callers wait their turn in order."""

    def __init__(self, limit: int, window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be ≥ 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._ended: deque[float] = deque()  # when recent calls ended, oldest first
        self._running = 0  # calls started and not yet ended: each holds a place
        self._lock = asyncio.Lock()  # first come, first served
        self._an_end = asyncio.Event()

    def delay(self) -> float | None:
        """Seconds until one more call fits: 0 when it fits now, None until a running call ends."""
        now = self._clock()
        while self._ended and self._ended[0] <= now - self.window:
            self._ended.popleft()
        if len(self._ended) + self._running < self.limit:
            return 0.0
        return self._ended[0] + self.window - now if self._ended else None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a place, hold it while the block runs (the call), and count the window from its end."""
        async with self._lock:
            while (wait := self.delay()) != 0:
                if wait is None:
                    self._an_end.clear()
                    await self._an_end.wait()
                else:
                    await asyncio.sleep(wait)
            self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._ended.append(self._clock())
            self._an_end.set()

    @property
    def idle(self) -> bool:
        return self.delay() == 0 and not self._ended and not self._running


class KeyedWindows:
    """One `SlidingWindow` per key (a chat id), dropped again once idle so memory stays bounded."""

    def __init__(self, limit: int, window: float = 1.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._windows: dict[str, SlidingWindow] = {}

    def slot(self, key: str | None) -> AbstractAsyncContextManager[None]:
        """`SlidingWindow.slot` of the key's window; no limit for no key (a call outside any chat)."""
        if key is None:
            return nullcontext()
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self.max_keys:
                self._windows = {k: w for k, w in self._windows.items() if not w.idle}
            window = self._windows[key] = SlidingWindow(self.limit, self.window)
        return window.slot()
