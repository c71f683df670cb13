"""Upload keys kept per app (bot/platforms/uploads.py): the same bytes uploaded once while the key
is taken as valid, again after its lifetime, again when a send refuses a kept key, once for
concurrent sends; a failed upload is not kept."""
from __future__ import annotations

import asyncio

import pytest

from bot.platforms.uploads import UploadCache


class Platform:
    """Keys it accepts, and the uploads it was asked for."""

    def __init__(self) -> None:
        self.valid: set[str] = set()
        self.uploads = 0
        self.sent: list[str] = []

    async def upload(self) -> str:
        self.uploads += 1
        await asyncio.sleep(0.01)
        key = f"k{self.uploads}"
        self.valid.add(key)
        return key

    async def send(self, key: str) -> str:
        if key not in self.valid:
            raise RuntimeError(f"230017 unknown key {key}")
        self.sent.append(key)
        return key


async def test_the_same_bytes_are_uploaded_once_while_the_key_lives() -> None:
    now = [0.0]
    cache, platform = UploadCache(3600, clock=lambda: now[0]), Platform()
    for _ in range(3):
        await cache.use("image", b"png", platform.upload, platform.send)
    await cache.use("image", b"other", platform.upload, platform.send)
    await cache.use("file:a.xlsx", b"png", platform.upload, platform.send)  # same bytes, other name: its own key
    assert platform.uploads == 3 and platform.sent == ["k1", "k1", "k1", "k2", "k3"]
    now[0] = 3601
    await cache.use("image", b"png", platform.upload, platform.send)
    assert platform.uploads == 4


async def test_a_kept_key_the_platform_refuses_is_uploaded_again() -> None:
    cache, platform = UploadCache(3600), Platform()
    await cache.use("image", b"png", platform.upload, platform.send)
    platform.valid.clear()  # the platform forgot it sooner than we assumed
    assert await cache.use("image", b"png", platform.upload, platform.send) == "k2"
    assert platform.uploads == 2


async def test_a_fresh_key_that_is_refused_is_not_tried_twice() -> None:
    cache, platform = UploadCache(3600), Platform()

    async def refuse(key: str) -> str:
        raise RuntimeError("230002 bot not in group")
    with pytest.raises(RuntimeError, match="230002"):
        await cache.use("image", b"png", platform.upload, refuse)
    assert platform.uploads == 1


async def test_concurrent_sends_of_one_chart_share_one_upload() -> None:
    cache, platform = UploadCache(3600), Platform()
    keys = await asyncio.gather(*(cache.use("image", b"png", platform.upload, platform.send) for _ in range(5)))
    assert platform.uploads == 1 and keys == ["k1"] * 5


async def test_a_failed_upload_is_not_kept() -> None:
    cache, platform = UploadCache(3600), Platform()

    async def broken() -> str:
        raise ConnectionError("reset")
    with pytest.raises(ConnectionError):
        await cache.use("image", b"png", broken, platform.send)
    assert await cache.use("image", b"png", platform.upload, platform.send) == "k1"
