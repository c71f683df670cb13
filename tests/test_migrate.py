"""storage/migrate.py: the Alembic migrations build exactly the schema the models declare."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import make_engine
from storage.models import Base


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True,
                                                     "include_object": migrate.include_object})
    return compare_metadata(context, Base.metadata)


async def test_fresh_sqlite_upgrade_equals_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert differences == []


async def test_postgresql_upgrade_equals_the_models(request: pytest.FixtureRequest) -> None:
    engine = make_engine(request.getfixturevalue("pg_ready"))  # migrated from empty by the fixture
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def test_upgrade_twice_is_a_no_op(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


def test_head_is_the_newest_migration() -> None:
    """`serve` skips Alembic on a database at storage.migrate.HEAD: it must be the real head."""
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(migrate.alembic_config()).get_current_head() == migrate.HEAD


async def test_a_database_at_head_is_known_without_alembic(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'head.db'}")
    try:
        assert not await migrate.at_head(engine)
        await migrate.upgrade(engine, "f001")
        assert not await migrate.at_head(engine)
        await migrate.upgrade(engine)
        assert await migrate.at_head(engine)
    finally:
        await engine.dispose()
