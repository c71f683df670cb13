"""Dialect-aware INSERT … ON CONFLICT DO NOTHING: the primitive behind every unique key."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


async def insert_ignore(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]],
                        conflict: list[str]) -> int:
    """Insert rows, skipping those whose `conflict` columns already exist; returns rows added."""
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # executemany with RETURNING: compiled once and batched ("insertmanyvalues"), and the
    # returned rows are exactly the ones inserted, on both dialects.
    table = model.__table__  # the Core table: no ORM bulk-insert bookkeeping per row
    stmt = insert(table).on_conflict_do_nothing(index_elements=conflict).returning(*(table.c[c] for c in conflict))
    result = await session.execute(stmt, rows)
    return len(result.all())
