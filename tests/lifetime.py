"""Rigs that start servers, connections and tasks, closed again however the test ends."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar


class Closable(Protocol):
    async def close(self) -> None: ...


R = TypeVar("R", bound=Closable)


@asynccontextmanager
async def running(starting: Awaitable[R]) -> AsyncIterator[R]:
    """`async with running(FeishuRig.create(...)) as rig:`: the rig, closed on the way out."""
    rig = await starting
    try:
        yield rig
    finally:
        await rig.close()
