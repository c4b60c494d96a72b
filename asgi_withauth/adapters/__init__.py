"""Session adapters: next-auth's database strategy reads Auth.js adapters' tables through these.

    from asgi_withauth.adapters import DRIZZLE, PostgresAdapter, SQLiteAdapter

    adapter = PostgresAdapter("postgresql://app@db/app")        # @auth/pg-adapter's schema.sql
    adapter = SQLiteAdapter("auth.db", layout=DRIZZLE)          # Drizzle's SQLite tables

Any object with :class:`SessionAdapter`'s methods will do. Every failure (database down or
slow, pool exhausted, table or column missing, a malformed row) is an :class:`AdapterError`.
"""

from __future__ import annotations

from asgi_withauth.adapters.base import AdapterSession, AdapterUser, SessionAdapter
from asgi_withauth.adapters.layout import DRIZZLE, PG_ADAPTER, PRISMA, IdKind, Layout, TimestampKind
from asgi_withauth.adapters.postgres import PostgresAdapter
from asgi_withauth.adapters.sqlite import SQLiteAdapter
from asgi_withauth.errors import AdapterError

__all__ = [
    "DRIZZLE",
    "PG_ADAPTER",
    "PRISMA",
    "AdapterError",
    "AdapterSession",
    "AdapterUser",
    "IdKind",
    "Layout",
    "PostgresAdapter",
    "SQLiteAdapter",
    "SessionAdapter",
    "TimestampKind",
]
