"""SQLite through the standard library's ``sqlite3``, in anyio worker threads (asyncio and trio).

One connection per adapter, opened on first use and guarded by a lock: SQLite serialises
writers anyway, and a lookup by primary key takes microseconds. Files are put in WAL mode so
the Next.js app (Prisma, Drizzle) and this adapter can read while the other writes.

    adapter = SQLiteAdapter("auth.db", layout=DRIZZLE)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from asgi_withauth.adapters._sql import sqlite_tables
from asgi_withauth.adapters._threaded import Row, ThreadedAdapter
from asgi_withauth.adapters.layout import PG_ADAPTER, Layout
from asgi_withauth.errors import AdapterError

__all__ = ["SQLiteAdapter"]

Connect = Callable[[], sqlite3.Connection]


def _hint(exc: sqlite3.Error) -> str:
    text = str(exc)
    if text.startswith(("no such table", "no such column")) or "has no column" in text:
        return "check that the Layout's table and column names match the database (or pass create_tables=True)"
    if "locked" in text or "busy" in text:
        return "another connection held the database longer than the timeout; raise it or shorten that writer"
    if "same thread" in text:
        return "a connect function must create the connection with check_same_thread=False"
    if "RETURNING" in text:
        return "creating users and sessions needs SQLite 3.35 or later"
    return "check the database file and that the Layout matches its tables"


class _SQLiteEngine:
    def __init__(self, connect: Connect, *, setup: Sequence[str], label: str) -> None:
        self._connect = connect
        self._setup = setup
        self._label = label
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise AdapterError(f"SQLite ({self._label}): {exc}: {_hint(exc)}") from exc

    def _open(self) -> sqlite3.Connection:
        if self._closed:
            raise AdapterError(f"SQLite ({self._label}): the adapter is closed")
        if self._connection is None:
            try:
                connection = self._connect()
            except sqlite3.Error:
                raise
            except Exception as exc:
                raise AdapterError(f"SQLite ({self._label}): the connect function failed: {exc}") from exc
            try:
                for statement in self._setup:
                    connection.execute(statement)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        with self._lock, self._translated():
            connection = self._open()
            try:
                row: Row | None = connection.execute(sql, params).fetchone()
            finally:
                if connection.in_transaction:  # a connect function's connection may not autocommit
                    connection.commit()
            return row

    def close(self) -> None:
        with self._lock, self._translated():
            self._closed = True
            connection, self._connection = self._connection, None
            if connection is not None:
                connection.close()


class SQLiteAdapter(ThreadedAdapter):
    """Auth.js's session tables in SQLite, times as integer milliseconds (as Prisma and Drizzle keep them).

    ``path_or_connect``: a database file (``":memory:"`` for a private in-memory one), or a
    function returning a ``sqlite3.Connection`` made with ``check_same_thread=False``.
    ``create_tables``: create the Layout's users and sessions tables if missing (demo, quick start).
    ``timeout``: seconds to wait for another writer's lock.
    """

    def __init__(
        self,
        path_or_connect: str | os.PathLike[str] | Connect,
        *,
        layout: Layout = PG_ADAPTER,
        create_tables: bool = False,
        timeout: float = 5.0,
    ) -> None:
        layout = layout if layout.timestamps == "epoch_ms" else replace(layout, timestamps="epoch_ms")
        setup = list(sqlite_tables(layout)) if create_tables else []
        if callable(path_or_connect):
            connect, label = path_or_connect, getattr(path_or_connect, "__name__", "connect function")
        else:
            path = os.fspath(path_or_connect)
            connect, label = _file_connect(path, timeout=timeout), path
            setup.insert(0, "PRAGMA journal_mode=WAL")
        super().__init__(_SQLiteEngine(connect, setup=setup, label=label), layout=layout, placeholder="?")


def _file_connect(path: str, *, timeout: float) -> Connect:
    def connect() -> sqlite3.Connection:
        # autocommit (isolation_level=None): each statement is its own transaction
        return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)

    return connect
