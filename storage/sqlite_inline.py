"""SQLite for the async engine without a thread hop: sqlite3 runs on the event loop's thread.

aiosqlite sends every cursor, execute, fetch, commit and close to a worker thread and wakes the
loop for each result. A command makes a dozen such calls, and the hand-offs cost ten times
SQLite's own work: they capped the router at ~160 commands/s (docs/performance.md, Router). On a
local WAL file a statement takes microseconds and a commit one WAL fsync (`synchronous=FULL`,
about 0.5 ms on a local disk), so doing it in place blocks the loop little longer than the
hand-offs would; for a database on a slow disk, `sqlite+aiosqlite://` keeps the thread.

SQLAlchemy's async engine still wants awaitables, so this is aiosqlite's shape with coroutines
that finish without suspending, plugged into SQLAlchemy's own aiosqlite adapter; its cursor and
commit skip most of the adapter's greenlet switches (`_AdaptedCursor`). The engine's
one-connection pool (storage/db.py) keeps each transaction to itself. Used for `sqlite://` URLs;
`sqlite+aiosqlite://` still selects aiosqlite.
"""
from __future__ import annotations

import collections
import sqlite3
from collections.abc import Coroutine, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

DRIVER = "xiezuo_inline"


class Cursor:
    """An sqlite3 cursor behind aiosqlite's coroutine methods."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Cursor:
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class Connection:
    """An sqlite3 connection behind aiosqlite's coroutine methods."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # None once closed: commit and rollback skip

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def close(self) -> None:
        self._conn.close()
        self._connection = None

    def stop(self) -> None:  # SQLAlchemy's forced terminate
        self._conn.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


async def connect(database: str, **kw: Any) -> Connection:
    return Connection(sqlite3.connect(database, **kw))


class _AdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor adapter with one greenlet switch per statement instead of three.

    The adapter awaits the cursor's creation, its execute and fetch, and its close, each a switch
    back to the event loop and back, under an asyncio lock. Here the cursor is sqlite3's own and
    only the execute is awaited (SQLAlchemy's async connection insists that a statement awaits
    something). A sqlite3 call cannot interleave with another on the loop's thread, so the lock
    had nothing to guard. Server-side cursors (streamed results) still use `Cursor` above.
    """

    __slots__ = ()
    _awaitable_cursor_close = False  # close() closes the sqlite3 cursor in place

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection._conn.cursor()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._await(self._run(operation, parameters))

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._await(self._run_many(operation, seq_of_parameters))

    def _await(self, statement: Coroutine[Any, Any, None]) -> None:
        """The statement's one switch; its errors as the adapter raises them."""
        try:
            await_(statement)
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: Any, parameters: Any) -> None:
        cursor = cast(sqlite3.Cursor, self._cursor)  # sqlite3's own (`_make_new_cursor`), not the adapter's
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            self._rows = collections.deque(cursor.fetchall())

    async def _run_many(self, operation: Any, seq_of_parameters: Any) -> None:
        cursor = cast(sqlite3.Cursor, self._cursor)
        cursor.executemany(operation, seq_of_parameters)


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _AdaptedCursor

    def commit(self) -> None:
        self._in_place("commit")

    def rollback(self) -> None:
        self._in_place("rollback")

    def _in_place(self, method: str) -> None:
        """Commit or roll back without a switch; a closed connection has nothing to end."""
        if self._connection._connection is not None:
            try:
                getattr(self._connection._conn, method)()
            except Exception as error:
                self._handle_exception(error)

    @AsyncAdapt_aiosqlite_connection.isolation_level.setter  # type: ignore[attr-defined]  # a property to mypy too
    def isolation_level(self, value: str | None) -> None:  # in place, not through aiosqlite's queue
        self._connection._conn.isolation_level = value


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _AdaptedConnection:
        return _AdaptedConnection(self, await_(connect(*arg, **kw)))  # type: ignore[arg-type]  # aiosqlite's shape


_MODULE = SimpleNamespace(
    connect=connect, Connection=Connection, __version__=sqlite3.sqlite_version,
    **{name: getattr(sqlite3, name) for name in (
        "DatabaseError", "Error", "IntegrityError", "NotSupportedError", "OperationalError", "ProgrammingError",
        "sqlite_version", "sqlite_version_info")},
)


class SQLiteDialect_inline(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(_MODULE, sqlite3)  # type: ignore[arg-type]  # a module's shape, not a module


dialect = SQLiteDialect_inline
registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inline")
