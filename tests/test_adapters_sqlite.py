"""SQLiteAdapter's own behaviour: files in WAL mode, connect functions, locks, closing, the
``updated_at`` column; the presets' shared behaviour is in test_adapters.py."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import anyio
import pytest

from asgi_withauth.adapters import DRIZZLE, PG_ADAPTER, PRISMA, AdapterError, SQLiteAdapter

pytestmark = pytest.mark.anyio

EXPIRES = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


@pytest.fixture
async def adapter(tmp_path: Path) -> AsyncIterator[SQLiteAdapter]:
    made = SQLiteAdapter(tmp_path / "auth.db", create_tables=True, timeout=0.2)
    try:
        yield made
    finally:
        await made.aclose()


async def seed(adapter: SQLiteAdapter, token: str = "t") -> str | int:  # noqa: S107
    user = await adapter.create_user(name="Ada", email=f"{token}@example.test")
    await adapter.create_session(session_token=token, user_id=user.id, expires=EXPIRES)
    return user.id


def test_every_layout_keeps_integer_milliseconds_on_sqlite() -> None:
    for layout in (PG_ADAPTER, PRISMA, DRIZZLE):
        adapter = SQLiteAdapter(":memory:", layout=layout)
        assert adapter.layout == replace(layout, timestamps="epoch_ms")


async def test_a_file_is_in_wal_mode_and_its_tables_are_made_once(tmp_path: Path) -> None:
    path = tmp_path / "auth.db"
    first = SQLiteAdapter(path, create_tables=True)
    await seed(first)
    second = SQLiteAdapter(str(path), create_tables=True)  # tables exist: left as they are
    assert await second.get_session_and_user("t") is not None
    await first.aclose()
    await second.aclose()
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert other.execute("SELECT expires FROM sessions").fetchall() == [(1_893_553_445_678,)]


async def test_an_in_memory_database_lives_as_long_as_the_adapter() -> None:
    adapter = SQLiteAdapter(":memory:", layout=DRIZZLE, create_tables=True)
    user_id = await seed(adapter)
    found = await adapter.get_session_and_user("t")
    assert found is not None
    assert found[1].id == user_id
    await adapter.aclose()


async def test_a_connect_function_is_used_and_its_writes_committed(tmp_path: Path) -> None:
    path = tmp_path / "own.db"
    opened: list[sqlite3.Connection] = []

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, check_same_thread=False)  # default isolation: not autocommit
        opened.append(connection)
        return connection

    adapter = SQLiteAdapter(connect, layout=PRISMA, create_tables=True)
    await seed(adapter)
    await adapter.update_session("t", expires=EXPIRES.replace(year=2031))
    with sqlite3.connect(path) as other:  # another connection sees it: committed
        assert other.execute('SELECT expires FROM "Session"').fetchall() == [(1_925_089_445_678,)]
    await adapter.aclose()
    assert len(opened) == 1


async def test_a_failing_connect_function_is_an_adapter_error() -> None:
    def connect() -> sqlite3.Connection:
        raise OSError("no disk")

    adapter = SQLiteAdapter(connect)
    with pytest.raises(AdapterError, match="connect function failed: no disk"):
        await adapter.get_session_and_user("t")


async def test_a_file_that_cannot_be_opened_is_an_adapter_error(tmp_path: Path) -> None:
    adapter = SQLiteAdapter(tmp_path / "missing-directory" / "auth.db")
    with pytest.raises(AdapterError, match="unable to open database file"):
        await adapter.get_session_and_user("t")


async def test_a_locked_database_is_an_adapter_error_after_the_timeout(adapter: SQLiteAdapter, tmp_path: Path) -> None:
    await seed(adapter)
    holder = sqlite3.connect(tmp_path / "auth.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(AdapterError, match=r"locked.*raise it"):
            await adapter.update_session("t", expires=EXPIRES.replace(year=2031))
        assert time.monotonic() - started < 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    found = await adapter.get_session_and_user("t")  # and then it serves again, nothing written
    assert found is not None
    assert found[0].expires == EXPIRES


async def test_a_closed_adapter_is_an_adapter_error(adapter: SQLiteAdapter) -> None:
    await seed(adapter)
    await adapter.aclose()
    with pytest.raises(AdapterError, match="closed"):
        await adapter.get_session_and_user("t")
    await adapter.aclose()  # twice is fine


async def test_concurrent_calls_share_the_connection(adapter: SQLiteAdapter) -> None:
    user_id = await seed(adapter)

    async def write_and_read(n: int) -> None:
        await adapter.create_session(session_token=f"s{n}", user_id=user_id, expires=EXPIRES)
        assert await adapter.get_session_and_user(f"s{n}") is not None

    async with anyio.create_task_group() as tasks:
        for n in range(30):
            tasks.start_soon(write_and_read, n)


async def test_a_nul_in_a_token_is_just_a_value(adapter: SQLiteAdapter) -> None:
    await seed(adapter)
    assert await adapter.get_session_and_user("t\x00") is None


async def test_the_updated_at_column_is_set_on_every_write(tmp_path: Path) -> None:
    """For Prisma schemas with ``updatedAt DateTime @updatedAt`` (filled by Prisma's client, not the database)."""
    layout = replace(PRISMA, updated_at="updatedAt")
    adapter = SQLiteAdapter(tmp_path / "auth.db", layout=layout, create_tables=True)
    before = int(time.time() * 1000)
    await seed(adapter)
    await adapter.update_session("t", expires=EXPIRES)
    after = int(time.time() * 1000)
    await adapter.aclose()
    with sqlite3.connect(tmp_path / "auth.db") as other:
        stamps = [
            row
            for (row,) in other.execute('SELECT "updatedAt" FROM "User" UNION ALL SELECT "updatedAt" FROM "Session"')
        ]
    assert len(stamps) == 2
    assert all(before <= stamp <= after for stamp in stamps)
