"""Plan changes withdraw the notices they make moot (task done, date moved, meeting cancelled).

Notice keys start with their subject (`task:42:…`, `meeting:7:…`), so one prefix per subject
reaches every pending notice about it; rows already being sent are left to finish.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox


async def withdraw(session: AsyncSession, subject: str) -> int:
    """Cancel pending notices about `subject`, e.g. "task:42" or "report:3:5:2026-11-23"."""
    return await outbox.withdraw(session, f"{subject}:")
