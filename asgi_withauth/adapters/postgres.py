"""PostgreSQL through psycopg 3 and psycopg_pool, in anyio worker threads (asyncio and trio).

Needs the ``postgres`` extra (``pip install 'asgi_withauth[postgres]'``)::

    adapter = PostgresAdapter("postgresql://app@db/app")              # @auth/pg-adapter's tables
    adapter = PostgresAdapter(pool=my_pool, layout=PRISMA)            # your own ConnectionPool
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asgi_withauth.adapters._threaded import ThreadedAdapter
from asgi_withauth.adapters.layout import PG_ADAPTER, Layout
from asgi_withauth.errors import ConfigurationError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresAdapter"]

INSTALL_HINT = "PostgresAdapter needs psycopg 3 and psycopg_pool: pip install 'asgi_withauth[postgres]'"


class PostgresAdapter(ThreadedAdapter):
    """Auth.js's session tables in PostgreSQL.

    ``conninfo``: a libpq connection string or ``postgresql://`` URL (empty or None: libpq's
    ``PG*`` environment variables). The adapter then owns a pool of up to ``max_size``
    autocommit connections, opened on first use and closed by :meth:`aclose`; its statements
    stop after ``timeout`` seconds (``statement_timeout``).
    ``pool``: your own ``psycopg_pool.ConnectionPool``, opened, used as it is and never closed here.
    ``timeout``: seconds to wait for a pooled connection before failing.
    """

    def __init__(
        self,
        conninfo: str | None = None,
        *,
        pool: ConnectionPool[Any] | None = None,
        layout: Layout = PG_ADAPTER,
        timeout: float = 5.0,
        max_size: int = 10,
    ) -> None:
        if conninfo is not None and pool is not None:
            raise ConfigurationError("PostgresAdapter takes conninfo or pool, not both")
        try:
            from asgi_withauth.adapters import _psycopg
        except ImportError as exc:
            raise ConfigurationError(INSTALL_HINT) from exc
        owned = pool is None
        if pool is None:
            pool = _psycopg.own_pool(conninfo or "", timeout=timeout, max_size=max_size)
        engine = _psycopg.PostgresEngine(pool, owned=owned, timeout=timeout)
        super().__init__(engine, layout=layout, placeholder="%s")
