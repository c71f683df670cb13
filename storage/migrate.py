"""Alembic, driven from async code: `xiezuo db upgrade` and `serve` on an empty database.

Alembic is imported only when a migration runs: a database already at `HEAD` (every start but
the first) is told by one query, which keeps 0.1 s of imports off `serve`'s start
(docs/performance.md, "Start-up").
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest revision in storage/migrations/versions (tests/test_migrate.py holds it to Alembic's head).
HEAD = "t001"


async def at_head(engine: AsyncEngine) -> bool:
    """Whether the database is migrated to `HEAD` already."""
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except DBAPIError:  # no alembic_version yet
        return False
    return list(versions) == [HEAD]


def include_object(_obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
    """Whether a schema object is the models' to compare: the full-text index that migration f001
    builds beside kb_docs (SQLite's kb_fts tables, PostgreSQL's tsv column and its GIN index) is not."""
    return not (name or "").startswith("kb_fts") and not (type_ == "column" and name == "tsv") \
        and name != "ix_kb_docs_tsv"


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` inside one connection (alembic runs sync, in run_sync)."""
    async with engine.begin() as conn:
        from alembic import command

        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back to `revision` (tests of a migration's backfill)."""
    async with engine.begin() as conn:
        from alembic import command

        await conn.run_sync(lambda sync_conn: command.downgrade(alembic_config(sync_conn), revision))


async def reset_postgres(engine: AsyncEngine) -> None:
    """Empty a PostgreSQL test database (drops its public schema!) and migrate it to the newest."""
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
