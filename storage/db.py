"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production)."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from storage import kb, sqlite_inline


def make_engine(url: str, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, enforced foreign keys, a busy timeout and one connection.

    A plain `sqlite://` URL (or `sqlite+pysqlite://`) runs sqlite3 on the event loop's thread
    (storage/sqlite_inline.py); `sqlite+aiosqlite://` hands each call to aiosqlite's thread.

    One pooled connection serialises the process's SQLite transactions in an asyncio queue:
    SQLite has one writer anyway, and with several connections a waiting writer polls in
    SQLite's busy handler (sleeps of up to 100 ms: seconds of tail latency under load), while
    pysqlite's late BEGIN leaves the reads before a transaction's first write unisolated from
    the other connections' writes.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    url = async_url(url)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)  # see the docstring
    else:
        kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


#: SQLSTATEs worth another try: serialization failure, deadlock, the server shutting a connection
#: (pg_terminate_backend, restart), and every connection exception (class 08).
_TRANSIENT_STATES = {"40001", "40P01", "57P01", "57P02", "57P03"}


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a database failure that a new transaction may not meet again: a lost
    connection, a serialization failure or deadlock, a locked SQLite file."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        state = str(getattr(seen, "sqlstate", "") or getattr(seen, "pgcode", "") or "")
        if state in _TRANSIENT_STATES or state.startswith("08"):
            return True
        if "database is locked" in str(seen) or isinstance(seen, ConnectionError):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False


def async_url(url: str) -> str:
    """The URL with a default synchronous driver swapped for the async one the bot runs on:
    `sqlite://` (or `sqlite+pysqlite://`) → the inline driver, `postgresql://` → asyncpg."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() == "pysqlite":
        return parsed.set(drivername=f"sqlite+{sqlite_inline.DRIVER}").render_as_string(hide_password=False)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    return url


def shown_url(url: str) -> str:
    """The URL as logs and messages may show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


#: What `make_engine` runs on, per database: SQLite inline or through aiosqlite, PostgreSQL through asyncpg.
_ASYNC_DRIVERS = {"sqlite": (sqlite_inline.DRIVER, "aiosqlite"), "postgresql": ("asyncpg",)}


def url_problem(url: str) -> str | None:
    """What keeps `url` from working as the bot's database, said for a config error; None if nothing.

    Checked at start-up, so that a typo fails with the key named rather than as a driver's
    ImportError (and so that no secret in the URL is echoed back).
    """
    try:
        parsed = make_url(async_url(url))
        parsed.port  # noqa: B018 - a port that is not a number fails only when read
    except (ArgumentError, ValueError):
        return "is not a database URL; write e.g. sqlite:///./xiezuo.db or postgresql://user:password@host/xiezuo"
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        return f"names {backend!r}; xiezuo keeps its data in SQLite or PostgreSQL"
    if parsed.get_driver_name() not in _ASYNC_DRIVERS[backend]:
        return (f"asks for the {parsed.get_driver_name()!r} driver; write sqlite:///… or postgresql://… "
                "and the bot picks its own")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        return ("must name a SQLite file, e.g. sqlite:///./xiezuo.db: an in-memory database would forget "
                "every collaboration when the bot stops")
    return None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # synchronous=FULL: a commit the user was told about survives a power loss, not only a crash
    # (docs/performance.md, "SQLite durability").
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor result)."""
    return cast(CursorResult[Any], result).rowcount or 0


class BotSession(Session):
    """The bot's transactions: each queues the texts it writes for the knowledge base's index."""


event.listen(BotSession, "after_flush", kb.mark_texts)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=BotSession)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers a trivial query (for /healthz)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def is_migrated(engine: AsyncEngine) -> bool:
    """Whether Alembic has ever run on this database."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: inspect(c).has_table("alembic_version"))
