"""WithAuth and get_server_session over real databases (SQLite, and PostgreSQL with
@auth/pg-adapter's schema), and what they do when the database fails: deny, never a 500,
never a pass, and keep serving."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from asgi_withauth import WithAuth, load_server_session
from asgi_withauth.adapters import DRIZZLE, PG_ADAPTER, PRISMA, Layout, PostgresAdapter, SQLiteAdapter
from asgi_withauth.adapters.base import SessionAdapter
from tests.asgi import Sent, http_scope, run
from tests.pg import PgDatabase, PgServer

pytestmark = pytest.mark.anyio

COOKIE = "next-auth.session-token"
DAY = 24 * 60 * 60


class Inner:
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        token = scope["nextauth"]["token"]
        body = token["user"]["email"].encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


async def signed_in(adapter: SessionAdapter, *, expires_in: float = 30 * DAY, email: str | None = None) -> str:
    """A user and a session made through the adapter, as next-auth's sign-in would; the token."""
    token = secrets.token_hex(32)
    email = "ada@example.test" if email is None else email
    user = await adapter.create_user(name="Ada", email=email)
    expires = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
    await adapter.create_session(session_token=token, user_id=user.id, expires=expires)
    return token


async def request(app: Any, token: str, path: str = "/dashboard") -> Sent:
    return await run(app, http_scope(f"http://app.test{path}", cookies={COOKIE: token}))


# --------------------------------------------------------------------------- SQLite


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SQLiteAdapter]:
    adapter = SQLiteAdapter(tmp_path / "auth.db", layout=PG_ADAPTER, create_tables=True, timeout=0.2)
    yield adapter
    await adapter.aclose()


async def test_withauth_over_sqlite(sqlite: SQLiteAdapter) -> None:
    token = await signed_in(sqlite)
    app = WithAuth(Inner(), adapter=sqlite, deny="status")
    sent = await request(app, token)
    assert (sent.status, sent.body) == (200, b"ada@example.test")
    assert (await request(app, "0" * 64)).status == 401


async def test_get_server_session_over_sqlite_extends_a_due_row(sqlite: SQLiteAdapter) -> None:
    token = await signed_in(sqlite, expires_in=29 * DAY)  # extended a day ago: due
    before = await sqlite.get_session_and_user(token)
    result = await load_server_session(http_scope("http://app.test/", cookies={COOKIE: token}), adapter=sqlite)
    assert result.session is not None
    assert result.session["user"]["email"] == "ada@example.test"
    after = await sqlite.get_session_and_user(token)
    assert before is not None
    assert after is not None
    assert after[0].expires - before[0].expires > timedelta(hours=23)


@pytest.mark.parametrize("layout", [PG_ADAPTER, PRISMA, DRIZZLE], ids=["pg-adapter", "prisma", "drizzle"])
async def test_next_auths_rules_on_every_sqlite_layout(layout: Layout, tmp_path: Path) -> None:
    """Integer-millisecond timestamps (Prisma's and Drizzle's SQLite columns): the same rules."""
    adapter = SQLiteAdapter(tmp_path / "auth.db", layout=layout, create_tables=True)
    try:
        due = await signed_in(adapter, expires_in=29 * DAY, email="due@example.test")
        expired = await signed_in(adapter, expires_in=-1, email="expired@example.test")
        fresh = await signed_in(adapter, expires_in=30 * DAY - 60, email="fresh@example.test")

        async def load(token: str) -> Any:
            return await load_server_session(http_scope("http://app.test/", cookies={COOKIE: token}), adapter=adapter)

        before = await adapter.get_session_and_user(due)
        assert (await load(due)).session is not None
        after = await adapter.get_session_and_user(due)
        assert before is not None
        assert after is not None
        assert after[0].expires > before[0].expires  # due: extended
        result = await load(expired)
        assert result.session is None
        assert "Max-Age=0" in result.set_cookie[0]
        assert await adapter.get_session_and_user(expired) is None  # deleted
        kept = await adapter.get_session_and_user(fresh)
        assert (await load(fresh)).session is not None
        assert await adapter.get_session_and_user(fresh) == kept  # not due: untouched
        assert (await load("no-such-token")).set_cookie[0].startswith(f"{COOKIE}=;")
    finally:
        await adapter.aclose()


async def test_a_missing_table_denies_and_keeps_serving(sqlite: SQLiteAdapter, tmp_path: Path) -> None:
    token = await signed_in(sqlite)
    app = WithAuth(Inner(), adapter=sqlite, lookup_ttl=0, deny="status")
    assert (await request(app, token)).status == 200
    with sqlite3.connect(tmp_path / "auth.db") as raw:
        raw.execute("ALTER TABLE sessions RENAME TO sessions_gone")
    assert (await request(app, token)).status == 401
    result = await load_server_session(http_scope("http://app.test/", cookies={COOKIE: token}), adapter=sqlite)
    assert (result.session, result.set_cookie) == (None, [])  # an adapter failure leaves the cookie
    with sqlite3.connect(tmp_path / "auth.db") as raw:
        raw.execute("ALTER TABLE sessions_gone RENAME TO sessions")
    assert (await request(app, token)).status == 200


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
async def postgres(pg_database: PgDatabase) -> AsyncIterator[PostgresAdapter]:
    adapter = PostgresAdapter(pg_database.conninfo, timeout=2.0)
    yield adapter
    await adapter.aclose()


async def test_withauth_over_postgres(postgres: PostgresAdapter) -> None:
    token = await signed_in(postgres)
    app = WithAuth(Inner(), adapter=postgres, deny="status")
    sent = await request(app, token)
    assert (sent.status, sent.body) == (200, b"ada@example.test")
    assert (await request(app, token + "0")).status == 401


async def test_an_expired_postgres_session_is_deleted_by_get_server_session(postgres: PostgresAdapter) -> None:
    token = await signed_in(postgres, expires_in=-1)
    app = WithAuth(Inner(), adapter=postgres, deny="status")
    assert (await request(app, token)).status == 401
    assert await postgres.get_session_and_user(token) is not None  # WithAuth only reads
    scope = http_scope("http://app.test/", cookies={COOKIE: token})
    result = await load_server_session(scope, adapter=postgres)
    assert result.session is None
    assert "Max-Age=0" in result.set_cookie[0]
    assert await postgres.get_session_and_user(token) is None  # deleted


async def test_a_slow_postgres_denies_within_the_statement_timeout(
    pg_database: PgDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = PostgresAdapter(pg_database.conninfo, timeout=0.3)
    try:
        token = await signed_in(adapter)
        app = WithAuth(Inner(), adapter=adapter, lookup_ttl=0, deny="status")
        server = pg_database.server
        psql = [str(server.bindir / "psql"), "-X", "-q", "-h", str(server.socket_dir), "-p", str(server.port)]
        locker = await anyio.open_process(
            [*psql, "-U", "postgres", "-d", pg_database.name, "-c", "BEGIN; LOCK TABLE sessions; SELECT pg_sleep(3);"]
        )
        try:
            await anyio.sleep(0.5)  # the lock is held: every lookup waits on it
            assert (await request(app, token)).status == 401
            assert "statement_timeout" in caplog.text
        finally:
            locker.kill()
            await locker.aclose()
        for _ in range(20):
            if (await request(app, token)).status == 200:
                break
            await anyio.sleep(0.1)
        else:
            pytest.fail("WithAuth did not recover once the lock was gone")
    finally:
        await adapter.aclose()


async def test_a_lost_postgres_server_denies_and_recovers(postgres: PostgresAdapter, pg_server: PgServer) -> None:
    token = await signed_in(postgres)
    app = WithAuth(Inner(), adapter=postgres, lookup_ttl=0, deny="status")
    assert (await request(app, token)).status == 200
    pg_server.stop("fast")  # its connections dropped mid-use (immediate would lose unflushed commits here)
    try:
        assert (await request(app, token)).status == 401
        assert (await request(app, token, "/elsewhere")).status == 401
    finally:
        pg_server.start()
    with anyio.fail_after(30):  # the pool reconnects, with its own back-off
        while (await request(app, token)).status != 200:
            await anyio.sleep(0.2)
