"""Human-readable sequences (XZ-2026-0001) that stay gap-free and unique under concurrency."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Counter
from storage.upsert import insert_ignore


async def next_value(session: AsyncSession, name: str) -> int:
    """Bump counter `name` inside the caller's transaction (the UPDATE holds the row lock)."""
    await insert_ignore(session, Counter, [{"name": name, "value": 0}], ["name"])
    result = await session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value))
    return int(result.scalar_one())
