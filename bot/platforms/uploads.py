"""Upload keys kept per app: a chart or workbook sent to several chats is uploaded once.

Feishu's `image_key`/`file_key` and DingTalk's `media_id` name an upload of one app; neither
platform documents how long they stay valid (docs/feishu.md, docs/dingtalk.md, "Uploads"). So a
key is reused only for `lifetime` after its upload, and a send that is refused with a reused key
uploads the bytes again and tries once more: both readings, "keys last" and "keys expire", work.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class UploadCache:
    def __init__(self, lifetime_seconds: float, size: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime_seconds
        self.size = size
        self.clock = clock
        self.uploads = 0  # how many uploads this cache made (metrics and tests)
        self._keys: OrderedDict[str, tuple[asyncio.Future[str], float]] = OrderedDict()

    async def use(self, what: str, content: bytes, upload: Callable[[], Awaitable[str]],
                  send: Callable[[str], Awaitable[T]]) -> T:
        """`send(key)` with the key of `content` uploaded as `what` (its kind and the name it is
        uploaded under), uploading it with `upload()` unless a valid key is kept; a refused send
        with a kept key uploads afresh and sends once more."""
        digest = hashlib.sha256(what.encode() + b"\0" + content).hexdigest()
        key, kept = await self._key(digest, upload)
        try:
            return await send(key)
        except Exception as exc:
            if not kept:
                raise
            log.info("a kept upload key was refused (%r): uploading again", exc)
            self._keys.pop(digest, None)
            key, _ = await self._key(digest, upload)
            return await send(key)

    async def _key(self, digest: str, upload: Callable[[], Awaitable[str]]) -> tuple[str, bool]:
        """The key and whether it was kept from an earlier upload; uploads of the same bytes that
        run at once share one upload."""
        found = self._keys.get(digest)
        if found is not None and self.clock() - found[1] < self.lifetime and not _failed(found[0]):
            self._keys.move_to_end(digest)
            kept = found[0].done()  # else an upload running now: as fresh as this one would be
            return await asyncio.shield(found[0]), kept
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._keys[digest] = (future, self.clock())
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)
        try:
            self.uploads += 1
            future.set_result(await upload())
        except BaseException as exc:
            self._keys.pop(digest, None)
            future.set_exception(exc)
            future.exception()  # retrieved: whoever waits on it gets it; nobody else must log it
            raise
        return future.result(), False


def _failed(future: asyncio.Future[str]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)
