"""The audit log: one entry per workflow action, written in the action's own transaction."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(session: AsyncSession, at: datetime, actor_id: int | None, action: str,
           collab_id: int | None = None, detail: dict[str, Any] | None = None) -> None:
    session.add(AuditEntry(at=at, actor_id=actor_id, collab_id=collab_id, action=action, detail=detail or {}))


async def entries(session: AsyncSession, collab_id: int | None = None) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if collab_id is not None:
        stmt = stmt.where(AuditEntry.collab_id == collab_id)
    return (await session.scalars(stmt)).all()
