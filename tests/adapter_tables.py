"""The session tables each Auth.js adapter's migrations make, and raw access to them, for the
adapter tests (tests/test_adapters*.py).

- PostgreSQL, @auth/pg-adapter: tests/fixtures/pg-adapter-schema.sql (applied by ``pg_database``).
- Prisma: what ``prisma migrate`` makes of @auth/prisma-adapter's models (``DateTime`` is
  ``TIMESTAMP(3)`` on PostgreSQL and ``DATETIME``, holding integer milliseconds, on SQLite).
- Drizzle: what drizzle-kit makes of @auth/drizzle-adapter's tables (``timestamp`` with
  ``mode: "date"`` on PostgreSQL, ``integer`` with ``mode: "timestamp_ms"`` on SQLite).
- Prisma with session ids: what ``prisma migrate`` makes of the Prisma docs' SQLite schema
  (``Session.id String @id @default(cuid())``, ``createdAt``/``updatedAt`` on both models; older
  @auth/prisma-adapter schemas had the same ``id``), on SQLite and PostgreSQL.
- SQLite, pg-adapter layout: ``SQLiteAdapter(create_tables=True)`` makes those.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Protocol

import psycopg

PRISMA_POSTGRES = (
    'CREATE TABLE "User" ("id" TEXT NOT NULL, "name" TEXT, "email" TEXT NOT NULL, "emailVerified" TIMESTAMP(3),'
    ' "image" TEXT, CONSTRAINT "User_pkey" PRIMARY KEY ("id"))',
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    'CREATE TABLE "Session" ("sessionToken" TEXT NOT NULL, "userId" TEXT NOT NULL, "expires" TIMESTAMP(3) NOT NULL)',
    'CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken")',
    'ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id")'
    " ON DELETE CASCADE ON UPDATE CASCADE",
)

DRIZZLE_POSTGRES = (
    'CREATE TABLE "user" ("id" text PRIMARY KEY NOT NULL, "name" text, "email" text, "emailVerified" timestamp,'
    ' "image" text, CONSTRAINT "user_email_unique" UNIQUE("email"))',
    'CREATE TABLE "session" ("sessionToken" text PRIMARY KEY NOT NULL, "userId" text NOT NULL,'
    ' "expires" timestamp NOT NULL)',
    'ALTER TABLE "session" ADD CONSTRAINT "session_userId_user_id_fk" FOREIGN KEY ("userId") REFERENCES "user"("id")'
    " ON DELETE cascade ON UPDATE no action",
)

PRISMA_SQLITE = (
    'CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT, "email" TEXT NOT NULL,'
    ' "emailVerified" DATETIME, "image" TEXT)',
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    'CREATE TABLE "Session" ("sessionToken" TEXT NOT NULL, "userId" TEXT NOT NULL, "expires" DATETIME NOT NULL,'
    ' CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id")'
    " ON DELETE CASCADE ON UPDATE CASCADE)",
    'CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken")',
)

DRIZZLE_SQLITE = (
    "CREATE TABLE `user` (`id` text PRIMARY KEY NOT NULL, `name` text, `email` text, `emailVerified` integer,"
    " `image` text)",
    "CREATE UNIQUE INDEX `user_email_unique` ON `user` (`email`)",
    "CREATE TABLE `session` (`sessionToken` text PRIMARY KEY NOT NULL, `userId` text NOT NULL,"
    " `expires` integer NOT NULL, FOREIGN KEY (`userId`) REFERENCES `user`(`id`)"
    " ON UPDATE no action ON DELETE cascade)",
)

PRISMA_WITH_SESSION_IDS_SQLITE = (
    'CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT, "email" TEXT, "emailVerified" DATETIME,'
    ' "image" TEXT, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)',
    'CREATE TABLE "Session" ("id" TEXT NOT NULL PRIMARY KEY, "sessionToken" TEXT NOT NULL, "userId" TEXT NOT NULL,'
    ' "expires" DATETIME NOT NULL, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,'
    ' "updatedAt" DATETIME NOT NULL, CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id")'
    " ON DELETE CASCADE ON UPDATE CASCADE)",
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    'CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken")',
)

PRISMA_WITH_SESSION_IDS_POSTGRES = (
    'CREATE TABLE "User" ("id" TEXT NOT NULL, "name" TEXT, "email" TEXT, "emailVerified" TIMESTAMP(3), "image" TEXT,'
    ' "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,'
    ' CONSTRAINT "User_pkey" PRIMARY KEY ("id"))',
    'CREATE TABLE "Session" ("id" TEXT NOT NULL, "sessionToken" TEXT NOT NULL, "userId" TEXT NOT NULL,'
    ' "expires" TIMESTAMP(3) NOT NULL, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,'
    ' "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "Session_pkey" PRIMARY KEY ("id"))',
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
    'CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken")',
    'ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id")'
    " ON DELETE CASCADE ON UPDATE CASCADE",
)

TABLES = {
    ("postgres", "prisma"): PRISMA_POSTGRES,
    ("postgres", "drizzle"): DRIZZLE_POSTGRES,
    ("sqlite", "prisma"): PRISMA_SQLITE,
    ("sqlite", "drizzle"): DRIZZLE_SQLITE,
}

ALL_POSTGRES_TABLES = ('"users"', '"sessions"', '"User"', '"Session"', '"user"', '"session"')


class Raw(Protocol):
    """SQL straight to the database, beside the adapter: ``?`` placeholders on both backends."""

    def run(self, sql: str, *params: object) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class SQLiteRaw:
    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)  # foreign keys off, as SQLite's default

    def run(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, params).fetchall()

    def close(self) -> None:
        self.connection.close()


class PostgresRaw:
    def __init__(self, conninfo: str) -> None:
        self.connection = psycopg.connect(conninfo, autocommit=True)
        # rows whose user is missing can be written despite the foreign keys (superuser only)
        self.connection.execute("SET session_replication_role = replica")

    def run(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        cursor = self.connection.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description is not None else []

    def close(self) -> None:
        self.connection.close()
