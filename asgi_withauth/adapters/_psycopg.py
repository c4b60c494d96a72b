"""PostgreSQL through psycopg 3: connections from a psycopg_pool ``ConnectionPool``, used from
anyio worker threads. Imported only when a :class:`PostgresAdapter` is made (psycopg is an extra)."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from asgi_withauth.adapters._threaded import Row
from asgi_withauth.errors import AdapterError, ConfigurationError

Pool = ConnectionPool[Any]


def own_pool(conninfo: str, *, timeout: float, max_size: int) -> Pool:
    """A pool of autocommit connections whose statements stop after ``timeout`` seconds; not yet open."""
    try:
        given = conninfo_to_dict(conninfo)
    except psycopg.Error:
        raise ConfigurationError("conninfo is neither a libpq connection string nor a postgresql:// URL") from None
    kwargs: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in given:
        kwargs["connect_timeout"] = max(2, math.ceil(timeout))  # libpq waits at least 2 s
    statement_timeout = str(max(1, round(timeout * 1000)))

    def configure(connection: psycopg.Connection[Any]) -> None:
        connection.execute("SELECT set_config('statement_timeout', %s, false)", (statement_timeout,))

    return ConnectionPool(
        conninfo,
        kwargs=kwargs,
        min_size=1,
        max_size=max_size,
        timeout=timeout,
        configure=configure,
        open=False,
        name="asgi_withauth",
    )


def explain(exc: psycopg.Error, *, timeout: float) -> str:
    """What went wrong, and what to check."""
    text = next(iter(str(exc).strip().splitlines()), "") or type(exc).__name__
    if isinstance(exc, PoolTimeout):
        check = (
            f"no connection within {timeout:g} s: check that the server is up and reachable at the conninfo, "
            "and that the pool's max_size fits the load"
        )
    elif isinstance(exc, PoolClosed):
        check = "open the pool before use (pool.open()); an adapter cannot be used after aclose()"
    elif isinstance(exc, (errors.UndefinedTable, errors.UndefinedColumn)):
        check = (
            "check that the tables exist (@auth/pg-adapter's schema.sql, or your Prisma or Drizzle migrations) "
            "and that the Layout's table and column names match them"
        )
    elif isinstance(exc, errors.QueryCanceled):
        check = "the query ran past statement_timeout: the database is slow, or a lock is held"
    elif isinstance(exc, psycopg.DataError):
        check = "check that the Layout's id and timestamp kinds match the columns' types, and the row's values"
    elif isinstance(exc, psycopg.OperationalError):
        check = "check that the server is running and reachable at the conninfo"
    else:
        check = "check the Layout against the tables, and the database role's privileges"
    return f"PostgreSQL: {text}: {check}"


class _BrokenConnection(Exception):
    """The pooled connection died under the statement (a server restart): worth one more try."""


class PostgresEngine:
    """Statements over a pool; an owned pool is opened on first use and closed by :meth:`close`."""

    def __init__(self, pool: Pool, *, owned: bool, timeout: float) -> None:
        self._pool = pool
        self._owned = owned
        self._timeout = timeout
        self._opened = not owned
        self._closed = False
        self._lock = threading.Lock()

    def _ready(self) -> Pool:
        with self._lock:
            if self._closed:
                raise AdapterError("PostgreSQL: the adapter is closed")
            if not self._opened:
                self._pool.open(wait=False)
                self._opened = True
        return self._pool

    def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        pool = self._ready()
        try:
            try:
                return self._attempt(pool, sql, params, retry=True)
            except _BrokenConnection:
                pool.check()  # a restart leaves every idle connection dead: replace them all, once
                return self._attempt(pool, sql, params, retry=False)
        except psycopg.Error as exc:
            raise AdapterError(explain(exc, timeout=self._timeout)) from exc

    def _attempt(self, pool: Pool, sql: str, params: Sequence[object], *, retry: bool) -> Row | None:
        with pool.connection(timeout=self._timeout) as connection:
            try:
                cursor = connection.execute(sql, params)
            except psycopg.OperationalError as exc:
                if retry and connection.broken:
                    raise _BrokenConnection from exc
                raise
            row: Row | None = cursor.fetchone() if cursor.description is not None else None
            return row

    def close(self) -> None:
        with self._lock:
            self._closed, opened = True, self._opened
        if self._owned and opened:
            self._pool.close()
