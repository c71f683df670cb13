"""Dialect-aware INSERT … ON CONFLICT DO NOTHING: the primitive behind every unique key."""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Row, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


async def insert_ignore(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]],
                        conflict: list[str]) -> int:
    """Insert rows, skipping those whose `conflict` columns already exist; returns rows added."""
    return len(await insert_new(session, model, rows, conflict))


async def insert_new(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]],
                     conflict: list[str]) -> Sequence[Row[Any]]:
    """`insert_ignore` returning the `conflict` columns of the rows it added."""
    if not rows:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (await session.execute(_statement(dialect, model, tuple(conflict)), rows)).all()


@cache
def _statement(dialect: str, model: type[Base], conflict: tuple[str, ...]) -> Insert:
    """Built once per table: the inbox and outbox run it for every event, and building a statement
    costs as much as running it on SQLite."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # executemany with RETURNING: compiled once and batched ("insertmanyvalues"), and the
    # returned rows are exactly the ones inserted, on both dialects.
    table = cast(Table, model.__table__)  # the Core table: no ORM bulk-insert bookkeeping per row
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict)).returning(
        *(table.c[c] for c in conflict))
