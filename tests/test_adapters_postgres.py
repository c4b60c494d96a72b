"""PostgresAdapter's faults on a real PostgreSQL: down at start, lost mid-request, pool exhausted,
slow, closed; the pool you pass in; and psycopg missing. Every failure is an AdapterError that
says what to check, and the adapter serves again once the database is back."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import psycopg
import pytest
from psycopg_pool import ConnectionPool

import asgi_withauth.adapters
from asgi_withauth.adapters import AdapterError, PostgresAdapter
from asgi_withauth.errors import ConfigurationError
from tests.pg import PgDatabase, PgServer, free_port, started_server

pytestmark = pytest.mark.anyio

EXPIRES = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def seed(conninfo: str, token: str = "t") -> None:  # noqa: S107
    with psycopg.connect(conninfo, autocommit=True) as connection:
        (user_id,) = connection.execute("INSERT INTO users (name) VALUES ('Ada') RETURNING id").fetchone() or (0,)
        connection.execute(
            'INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (%s, %s, %s)', (user_id, EXPIRES, token)
        )


@pytest.fixture(scope="module")
def seeded(pg_database: PgDatabase) -> PgDatabase:
    seed(pg_database.conninfo)
    return pg_database


@pytest.fixture
async def adapter(seeded: PgDatabase) -> AsyncIterator[PostgresAdapter]:
    made = PostgresAdapter(seeded.conninfo, timeout=0.5)
    try:
        yield made
    finally:
        await made.aclose()


@pytest.fixture(scope="module")
def own_server() -> Iterator[PgServer]:
    """A second server, for the tests that stop one (the shared one stays up for everyone else)."""
    with started_server() as server:
        yield server


# --------------------------------------------------------------------------- the database goes away


async def test_a_server_that_is_down_at_start_is_an_adapter_error() -> None:
    down = PostgresAdapter(f"host=127.0.0.1 port={free_port()} user=postgres dbname=none", timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(AdapterError, match=r"no connection within 0\.3 s: check that the server is up") as caught:
            await down.get_session_and_user("t")
    finally:
        await down.aclose()
    assert time.monotonic() - started < 3
    assert caught.value.code == "adapter_failed"
    assert isinstance(caught.value.__cause__, psycopg.Error)  # kept as the cause, never raised as is


async def test_a_server_lost_mid_request_is_an_adapter_error_and_the_adapter_recovers(own_server: PgServer) -> None:
    database = own_server.create_database("lost")
    seed(database.conninfo)
    adapter = PostgresAdapter(database.conninfo, timeout=1.0)
    try:
        assert await adapter.get_session_and_user("t") is not None
        # The request is under way (waiting for a lock) when the server goes.
        holder = psycopg.connect(database.conninfo)
        try:
            holder.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
            async with anyio.create_task_group() as tasks:

                async def stop_soon() -> None:
                    await anyio.sleep(0.2)
                    await anyio.to_thread.run_sync(own_server.stop, "immediate")

                tasks.start_soon(stop_soon)
                with pytest.raises(AdapterError, match="PostgreSQL"):
                    await adapter.get_session_and_user("t")
        finally:
            holder.close()
        with pytest.raises(AdapterError, match="check that the server is"):
            await adapter.get_session_and_user("t")  # still down
        await anyio.to_thread.run_sync(own_server.start)
        found = await _once_back(adapter)  # back: the pool replaces its dead connections
        assert found is not None
        assert found[0].expires == EXPIRES
    finally:
        await adapter.aclose()
        if not own_server.running:
            own_server.start()


async def _once_back(adapter: PostgresAdapter, *, within: float = 20.0) -> Any:
    """The session, as soon as the pool has reconnected: its reconnection backs off after
    failures, so on a loaded machine the first tries after a restart may still time out."""
    deadline = anyio.current_time() + within
    while True:
        try:
            return await adapter.get_session_and_user("t")
        except AdapterError:
            if anyio.current_time() > deadline:
                raise
            await anyio.sleep(0.2)


async def test_a_stale_pooled_connection_is_replaced_without_an_error(own_server: PgServer) -> None:
    """After a server restart the pool's idle connections are dead: the first use of one retries once."""
    database = own_server.create_database("restart")
    seed(database.conninfo)
    adapter = PostgresAdapter(database.conninfo)
    try:
        assert await adapter.get_session_and_user("t") is not None
        await anyio.to_thread.run_sync(own_server.stop, "fast")
        await anyio.to_thread.run_sync(own_server.start)
        assert await adapter.get_session_and_user("t") is not None
    finally:
        await adapter.aclose()


# --------------------------------------------------------------------------- pools and slowness


async def test_an_exhausted_pool_is_an_adapter_error_and_a_given_pool_is_left_open(seeded: PgDatabase) -> None:
    with ConnectionPool(seeded.conninfo, min_size=1, max_size=1, open=True) as pool:
        adapter = PostgresAdapter(pool=pool, timeout=0.3)
        with pool.connection(), pytest.raises(AdapterError, match=r"max_size"):  # the only connection is taken
            await adapter.get_session_and_user("t")
        assert await adapter.get_session_and_user("t") is not None
        await adapter.aclose()
        assert not pool.closed  # the caller's pool: the caller closes it


async def test_writes_through_a_given_pool_are_committed(seeded: PgDatabase) -> None:
    """A pool of ordinary (not autocommit) connections: each statement is committed on return."""
    with ConnectionPool(seeded.conninfo, min_size=1, max_size=2, open=True) as pool:
        adapter = PostgresAdapter(pool=pool)
        user = await adapter.create_user(name="Lin", email="lin@example.test")
        await adapter.create_session(session_token="given", user_id=user.id, expires=EXPIRES)
    with psycopg.connect(seeded.conninfo) as other:
        row = other.execute('SELECT expires FROM sessions WHERE "sessionToken" = %s', ("given",)).fetchone()
    assert row == (EXPIRES,)


async def test_a_slow_database_is_an_adapter_error_after_the_timeout(seeded: PgDatabase) -> None:
    adapter = PostgresAdapter(seeded.conninfo, timeout=0.5)
    try:
        assert await adapter.get_session_and_user("t") is not None
        with psycopg.connect(seeded.conninfo) as holder:
            holder.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            with pytest.raises(AdapterError, match="statement_timeout"):
                await adapter.get_session_and_user("t")
            assert time.monotonic() - started < 3
        assert await adapter.get_session_and_user("t") is not None  # the connection is still good
    finally:
        await adapter.aclose()


async def test_concurrent_lookups_share_the_pool(adapter: PostgresAdapter) -> None:
    results: list[object] = []

    async def look() -> None:
        results.append(await adapter.get_session_and_user("t"))

    async with anyio.create_task_group() as tasks:
        for _ in range(30):
            tasks.start_soon(look)
    assert len(results) == 30
    assert all(found is not None for found in results)


# --------------------------------------------------------------------------- odd input, set-up mistakes


async def test_a_nul_in_a_token_is_an_adapter_error(adapter: PostgresAdapter) -> None:
    """PostgreSQL text cannot hold NUL, so no session token has one: refused, not looked up."""
    with pytest.raises(AdapterError, match="NUL"):
        await adapter.get_session_and_user("a\x00b")


async def test_a_closed_adapter_is_an_adapter_error(seeded: PgDatabase) -> None:
    adapter = PostgresAdapter(seeded.conninfo)
    assert await adapter.get_session_and_user("t") is not None
    await adapter.aclose()
    with pytest.raises(AdapterError, match="closed"):
        await adapter.get_session_and_user("t")
    await adapter.aclose()  # twice is fine


async def test_an_adapter_never_used_closes_without_connecting() -> None:
    adapter = PostgresAdapter(f"host=127.0.0.1 port={free_port()} dbname=none")
    await adapter.aclose()


async def test_an_update_changes_that_row_only(adapter: PostgresAdapter, seeded: PgDatabase) -> None:
    token = f"u-{uuid.uuid4()}"
    seed(seeded.conninfo, token=token)
    later = EXPIRES + timedelta(days=1)
    await adapter.update_session(token, expires=later)
    with psycopg.connect(seeded.conninfo) as other:
        rows = other.execute('SELECT expires FROM sessions WHERE "sessionToken" IN (%s, %s) ORDER BY id', ("t", token))
        assert rows.fetchall() == [(EXPIRES,), (later,)]


def test_conninfo_and_pool_together_are_a_configuration_error(seeded: PgDatabase) -> None:
    pool = ConnectionPool(seeded.conninfo, min_size=1, open=False)
    with pytest.raises(ConfigurationError, match="not both"):
        PostgresAdapter(seeded.conninfo, pool=pool)


def test_an_unreadable_conninfo_is_a_configuration_error_that_does_not_echo_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PostgresAdapter("host=db password=hunter2 oops")
    assert "hunter2" not in str(caught.value)


def test_without_psycopg_the_adapter_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "asgi_withauth.adapters._psycopg")
    monkeypatch.delattr(asgi_withauth.adapters, "_psycopg")
    with pytest.raises(ConfigurationError, match=r"asgi_withauth\[postgres\]"):
        PostgresAdapter("dbname=x")
