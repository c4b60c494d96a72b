"""Ids as the tables keep them: serial columns read as ``int``, text ones as ``str``; the session
row's own id where the layout names one (made by the database, or by the client as the users'
ids are); tables made by ``create_tables`` with it; any other kind of id an AdapterError.

The six presets' round trips are in test_adapters.py; this module adds a Prisma schema whose
``Session`` has ``id String @id @default(cuid())`` (the Prisma docs' SQLite and MySQL schemas,
and older @auth/prisma-adapter ones), on SQLite and on a real PostgreSQL.
"""

# ruff: noqa: S608  (raw SQL here names the tables of the test's own layouts; values are parameters)
from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from asgi_withauth.adapters import (
    DRIZZLE,
    PG_ADAPTER,
    PRISMA,
    AdapterError,
    AdapterSession,
    Layout,
    PostgresAdapter,
    SQLiteAdapter,
)
from asgi_withauth.adapters._values import RowReader
from tests.adapter_tables import (
    PRISMA_WITH_SESSION_IDS_POSTGRES,
    PRISMA_WITH_SESSION_IDS_SQLITE,
    TABLES,
    PostgresRaw,
    Raw,
    SQLiteRaw,
)
from tests.pg import PgDatabase

pytestmark = pytest.mark.anyio

UTC = timezone.utc
EXPIRES = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
PRISMA_WITH_SESSION_IDS = replace(PRISMA, session_id="id", updated_at="updatedAt")
CUID = re.compile(r"c[a-z0-9]{24}")


def table_info(path: Path, table: str) -> dict[str, tuple[str, int]]:
    """``{column: (declared type, primary key position)}`` of a SQLite table."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
    return {name: (kind, pk) for _, name, kind, _, _, pk in rows}


# --------------------------------------------------------------------------- a Prisma schema with Session.id


Adapter = SQLiteAdapter | PostgresAdapter


@pytest.fixture(params=["sqlite", "postgres"])
async def prisma_ids(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Adapter, Raw]]:
    """An adapter over the Prisma tables with session ids, and raw access to them."""
    adapter: Adapter
    raw: Raw
    statements: tuple[str, ...]
    if request.param == "sqlite":
        raw = SQLiteRaw(tmp_path / "auth.db")
        statements = PRISMA_WITH_SESSION_IDS_SQLITE
        adapter = SQLiteAdapter(tmp_path / "auth.db", layout=PRISMA_WITH_SESSION_IDS)
    else:
        database: PgDatabase = request.getfixturevalue("pg_database")
        raw = PostgresRaw(database.conninfo)
        raw.run('DROP TABLE IF EXISTS "Session", "User"')
        statements = PRISMA_WITH_SESSION_IDS_POSTGRES
        adapter = PostgresAdapter(database.conninfo, layout=PRISMA_WITH_SESSION_IDS)
    for statement in statements:
        raw.run(statement)
    try:
        yield adapter, raw
    finally:
        await adapter.aclose()
        raw.close()


async def test_a_session_id_made_by_the_client_is_written_and_read_back(prisma_ids: tuple[Adapter, Raw]) -> None:
    adapter, raw = prisma_ids
    user = await adapter.create_user(name="Ada", email="ada@example.test")
    created = await adapter.create_session(session_token="t", user_id=user.id, expires=EXPIRES)
    assert isinstance(created.id, str)
    assert CUID.fullmatch(created.id)
    assert created == AdapterSession(session_token="t", user_id=user.id, expires=EXPIRES, id=created.id)
    assert await adapter.get_session_and_user("t") == (created, user)
    assert raw.run('SELECT "id", "userId" FROM "Session"') == [(created.id, user.id)]

    other = await adapter.create_session(session_token="u", user_id=user.id, expires=EXPIRES)
    assert other.id != created.id


async def test_a_session_id_written_by_prisma_is_read(prisma_ids: tuple[Adapter, Raw]) -> None:
    adapter, raw = prisma_ids

    def as_prisma_writes(moment: datetime) -> object:  # integer ms on SQLite; timestamp(3) holding UTC
        return int(moment.timestamp() * 1000) if isinstance(adapter, SQLiteAdapter) else moment.replace(tzinfo=None)

    stamp = as_prisma_writes(EXPIRES - timedelta(days=30))
    raw.run(
        'INSERT INTO "User" ("id", "email", "updatedAt") VALUES (?, ?, ?)', "cuser0000000000000000000a", "a@x", stamp
    )
    raw.run(
        'INSERT INTO "Session" ("id", "sessionToken", "userId", "expires", "updatedAt") VALUES (?, ?, ?, ?, ?)',
        "csess0000000000000000000a",
        "t",
        "cuser0000000000000000000a",
        as_prisma_writes(EXPIRES),
        stamp,
    )
    found = await adapter.get_session_and_user("t")
    assert found is not None
    assert found[0] == AdapterSession(
        session_token="t", user_id="cuser0000000000000000000a", expires=EXPIRES, id="csess0000000000000000000a"
    )
    assert found[1].id == "cuser0000000000000000000a"


# --------------------------------------------------------------------------- create_tables


@pytest.mark.parametrize(
    ("layout", "id_type", "token_key"),
    [
        pytest.param(PG_ADAPTER, "INTEGER", 0, id="pg-adapter: serial"),
        pytest.param(replace(PRISMA, session_id="id"), "TEXT", 0, id="prisma with session ids: cuid"),
        pytest.param(PRISMA, None, 1, id="prisma: the token is the key"),
    ],
)
async def test_created_tables_have_the_session_id_the_layout_names(
    tmp_path: Path, layout: Layout, id_type: str | None, token_key: int
) -> None:
    path = tmp_path / "auth.db"
    adapter = SQLiteAdapter(path, layout=layout, create_tables=True)
    user = await adapter.create_user(name="Ada", email="ada@example.test")
    first = await adapter.create_session(session_token="t", user_id=user.id, expires=EXPIRES)
    second = await adapter.create_session(session_token="u", user_id=user.id, expires=EXPIRES)
    found = await adapter.get_session_and_user("u")
    await adapter.aclose()
    assert found is not None
    assert found[0] == second

    columns = table_info(path, layout.sessions_table)
    assert columns["sessionToken"][1] == token_key
    if id_type is None:
        assert "id" not in columns
        assert first.id is second.id is None
    else:
        assert columns["id"] == (id_type, 1)
    if id_type == "INTEGER":
        assert (user.id, first.id, second.id) == (1, 1, 2)
    if id_type == "TEXT":
        assert isinstance(second.id, str)
        assert CUID.fullmatch(second.id)
    with sqlite3.connect(path) as other, pytest.raises(sqlite3.IntegrityError):  # tokens stay unique
        other.execute(
            f'INSERT INTO "{layout.sessions_table}" ("sessionToken", "userId", expires) VALUES (?, ?, 1)',
            ("t", user.id),
        )


# --------------------------------------------------------------------------- ids of other kinds


@pytest.mark.parametrize("value", [True, False, 1.0, b"1", None, bytearray(b"1")])
def test_an_id_of_another_kind_in_a_row_is_an_adapter_error(value: object) -> None:
    reader = RowReader(PG_ADAPTER)
    good: list[object] = ["t", 1, 0, 1, None, None, None, None, 1]
    for index, column in ((1, "sessions.userId"), (3, "users.id"), (8, "sessions.id")):
        row = list(good)
        row[index] = value
        with pytest.raises(AdapterError, match=rf"{re.escape(column)} holds {type(value).__name__}, not an id"):
            reader.session_and_user(row)
    assert reader.session_and_user(good)[0].id == 1


async def test_a_blob_id_in_sqlite_is_an_adapter_error(tmp_path: Path) -> None:
    """SQLite keeps whatever it is given: a blob in a text id column joins, and is refused."""
    path = tmp_path / "auth.db"
    with sqlite3.connect(path, isolation_level=None) as raw:
        for statement in TABLES["sqlite", "drizzle"]:
            raw.execute(statement)
        raw.execute('INSERT INTO "user" ("id", "email") VALUES (?, ?)', (b"\x01", "a@x"))
        raw.execute('INSERT INTO "session" ("sessionToken", "userId", expires) VALUES (?, ?, 1)', ("t", b"\x01"))
    adapter = SQLiteAdapter(path, layout=DRIZZLE)
    with pytest.raises(AdapterError, match=r"session\.userId holds bytes, not an id"):
        await adapter.get_session_and_user("t")
    await adapter.aclose()


@pytest.mark.parametrize("user_id", [True, 1.5, None, b"1", ["1"]])
async def test_a_user_id_of_another_kind_is_refused_before_any_write(tmp_path: Path, user_id: Any) -> None:
    adapter = SQLiteAdapter(tmp_path / "auth.db", create_tables=True)
    with pytest.raises(AdapterError, match="a user id is a str or an int"):
        await adapter.create_session(session_token="t", user_id=user_id, expires=EXPIRES)
    assert await adapter.get_session_and_user("t") is None
    await adapter.aclose()
    with sqlite3.connect(tmp_path / "auth.db") as other:
        assert other.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
