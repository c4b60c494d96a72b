"""Database sessions against the real next-auth 4.24.15 and Auth.js 5 (@auth/core 0.41.3), both
over @auth/pg-adapter on a real PostgreSQL server.

The bridge ops of ``interop/ops_database.mjs`` run, with a frozen clock (``now``):

- ``v4``: next-auth's ``getServerSession(req, res, {adapter: PostgresAdapter(pool), ...})``;
- ``v5``: @auth/core's ``Auth()`` on ``GET /api/auth/session`` with the same adapter;
- @auth/pg-adapter's own ``createUser`` / ``createSession`` / ``getSessionAndUser``, and a
  whole e-mail sign-in through next-auth's routes (it creates the user, the row and the cookie).

Ours is ``load_server_session(scope, adapter=PostgresAdapter(...), version=...)`` at the same
clock (``asgi_withauth.sessions.database.now`` replaced). Each comparison seeds the same rows,
runs theirs, reads the ``sessions`` table, seeds the same rows again, runs ours, reads the table
again: the session JSON, the session cookie's ``Set-Cookie`` (the whole string: value,
attributes, ``Expires``) and the rows left behind must be equal. next-auth's csrf-token and
callback-url cookies belong to its own routes and are left out (DESIGN.md 3).

Open differences are strict xfails (``KNOWN``): when fixed, the marker must go.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import psycopg
import pytest

from asgi_withauth import ServerSession, WithAuth, load_server_session
from asgi_withauth.adapters import PostgresAdapter
from asgi_withauth.jwt import Version
from asgi_withauth.sessions import database
from tests.asgi import http_scope, run
from tests.nodebridge import NodeBridge, running_bridge
from tests.pg import PgDatabase, free_port

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def nextauth_bridge() -> Iterator[NodeBridge]:
    """This module's own bridge process. Auth.js keeps module-level flags once it has seen an
    e-mail provider (``hasEmail`` in @auth/core's lib/utils/assert.js, never reset), after
    which every configuration without an adapter fails with MissingAdapter; the e-mail
    sign-ins here must not leak that into other modules' bridge."""
    with running_bridge() as bridge:
        yield bridge


SECRET = "database-interop-secret"
DAY = 24 * 60 * 60
MAX_AGE = 30 * DAY  # next-auth's defaults
UPDATE_AGE = DAY
NOW_MS = 1_900_000_000_123  # 2030-03-17T17:46:40.123Z: milliseconds on purpose
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
VERSIONS = [pytest.param(4, id="v4"), pytest.param(5, id="v5")]
ADA = {"name": "Ada Lovelace", "email": "ada@example.com", "image": "https://example.com/a.png"}
ADA_VERIFIED_MS = 1_800_000_000_456


def at_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def iso(ms: int) -> str:
    """JavaScript's ``toISOString()`` of ``ms``."""
    return at_ms(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def cookie_name(version: Version, *, secure: bool = False) -> str:
    return ("__Secure-" if secure else "") + ("next-auth.session-token" if version == 4 else "authjs.session-token")


# ----------------------------------------------------------------- canned callbacks
# Same names and behaviour as DB_CALLBACKS in interop/ops_database.mjs.

Callbacks = dict[str, Callable[..., Any]]


def _add_id(session: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    session["user"]["id"] = user["id"]
    return session


def _identity(session: dict[str, Any]) -> dict[str, Any]:
    return session


def _user_row(session: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    return {**session, "user": {**session["user"], "id": user["id"], "emailVerified": user["emailVerified"]}}


def _session_throws(session: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("session callback failed")


def _returns_none(session: dict[str, Any]) -> None:
    return None


CALLBACKS: dict[str, Callbacks] = {
    "none": {},
    "add_id": {"session": _add_id},
    "identity": {"session": _identity},
    "user_row": {"session": _user_row},
    "session_throws": {"session": _session_throws},
    "session_returns_null": {"session": _returns_none},
}

# Open differences from the real packages, by (callbacks, version): strict xfails (when fixed,
# the marker must go). None open: pg-adapter's int4 ids reach the callbacks as numbers on both
# sides, and the v5 `session` argument carries the session row's own `id` on both.
KNOWN: dict[tuple[str, Version], str] = {}


# ----------------------------------------------------------------- the database, as a judge


@dataclass(frozen=True)
class SessionRow:
    token: str
    expires_ms: int
    user: int = 1  # the users row (serial ids from 1, in seeding order)


class Tables:
    """The pg-adapter tables through psycopg: seeding and inspecting, apart from both adapters."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def seed(self, *rows: SessionRow, users: int = 1) -> None:
        """Empty tables (ids from 1 again), ``users`` copies of Ada, then ``rows``."""
        with self.conn.cursor() as cur:
            cur.execute("TRUNCATE users, sessions, accounts, verification_token RESTART IDENTITY CASCADE")
            for i in range(users):
                cur.execute(
                    'INSERT INTO users (name, email, "emailVerified", image) VALUES (%s, %s, %s, %s)',
                    (
                        ADA["name"],
                        ADA["email"] if i == 0 else f"ada{i}@example.com",
                        at_ms(ADA_VERIFIED_MS),
                        ADA["image"],
                    ),
                )
            for row in rows:
                cur.execute(
                    'INSERT INTO sessions ("userId", expires, "sessionToken") VALUES (%s, %s, %s)',
                    (row.user, at_ms(row.expires_ms), row.token),
                )

    def sessions(self) -> dict[str, datetime]:
        """Every session row: token -> expires (as stored, microseconds and all)."""
        with self.conn.cursor() as cur:
            cur.execute('SELECT "sessionToken", expires FROM sessions ORDER BY id')
            return dict(cur.fetchall())

    def foreign_key(self, table: str, references: str) -> tuple[str, str] | None:
        """(name, definition) of ``table``'s foreign key to ``references``, if it has one."""
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND confrelid = %s::regclass AND contype = 'f'",
                (table, references),
            )
            row = cur.fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def execute(self, sql: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql)


@pytest.fixture(scope="module")
def tables(pg_database: PgDatabase) -> Iterator[Tables]:
    with psycopg.connect(pg_database.conninfo, autocommit=True) as conn:
        yield Tables(conn)


@contextlib.asynccontextmanager
async def our_adapter(conninfo: str) -> AsyncIterator[PostgresAdapter]:
    adapter = PostgresAdapter(conninfo)
    try:
        yield adapter
    finally:
        await adapter.aclose()


@contextlib.contextmanager
def our_clock(now_ms: int) -> Iterator[None]:
    """Ours at ``now_ms``: the strategy's clock hook, as the op's frozen ``Date``."""
    with mock.patch.object(database, "now", return_value=now_ms / 1000):
        yield


# ----------------------------------------------------------------- running both


@dataclass(frozen=True)
class Settings:
    """What both sides are configured with (``None``: the package's default)."""

    max_age: int | None = None
    update_age: int | None = None
    callbacks: str = "none"
    secure: bool = False

    def node(self) -> dict[str, Any]:
        ages = {"maxAge": self.max_age, "updateAge": self.update_age}
        return {
            "callbacks": self.callbacks,
            "secure": self.secure,
            **{key: value for key, value in ages.items() if value is not None},
        }

    def python(self) -> dict[str, Any]:
        ages = {"max_age": self.max_age, "update_age": self.update_age}
        return {"callbacks": CALLBACKS[self.callbacks], **{k: v for k, v in ages.items() if v is not None}}


DEFAULTS = Settings()


@dataclass
class Side:
    session: Any
    set_cookie: list[str]  # the session cookie's Set-Cookie headers only
    rows: dict[str, datetime]


@dataclass
class Pair:
    theirs: Side
    ours: Side
    logged: list[str]  # what next-auth logged


def scope_for(cookie: str, *, secure: bool = False) -> dict[str, Any]:
    url = f"{'https' if secure else 'http'}://localhost:3000/api/me"
    return http_scope(url, headers={"cookie": cookie} if cookie else None)


def session_set_cookies(headers: list[str], name: str) -> list[str]:
    return [h for h in headers if h.split("=", 1)[0] == name]


def run_theirs(
    bridge: NodeBridge, url: str, version: Version, cookie: str, now_ms: int, settings: Settings = DEFAULTS
) -> dict[str, Any]:
    """The op ``dbServerSession``: {session, status, setCookie, logged}."""
    result = bridge.call(
        "dbServerSession", version=version, url=url, cookie=cookie, now=now_ms, secret=SECRET, **settings.node()
    )
    assert result["status"] == 200, result
    return dict(result)


async def run_ours(
    conninfo: str, version: Version, cookie: str, now_ms: int, settings: Settings = DEFAULTS
) -> ServerSession:
    async with our_adapter(conninfo) as adapter:
        with our_clock(now_ms):
            return await load_server_session(
                scope_for(cookie, secure=settings.secure),
                adapter=adapter,
                secret=SECRET,
                version=version,
                **settings.python(),
            )


async def run_both(
    bridge: NodeBridge,
    db: PgDatabase,
    tables: Tables,
    version: Version,
    rows: tuple[SessionRow, ...],
    cookie: str,
    settings: Settings = DEFAULTS,
) -> Pair:
    """Theirs, then ours, each on a fresh copy of ``rows`` at ``NOW_MS``."""
    name = cookie_name(version, secure=settings.secure)
    tables.seed(*rows)
    raw = run_theirs(bridge, db.url, version, cookie, NOW_MS, settings)
    theirs = Side(raw["session"], session_set_cookies(raw["setCookie"], name), tables.sessions())
    tables.seed(*rows)
    result = await run_ours(db.conninfo, version, cookie, NOW_MS, settings)
    ours = Side(json.loads(json.dumps(result.session)), list(result.set_cookie), tables.sessions())
    return Pair(theirs, ours, raw["logged"])


def assert_agree(pair: Pair) -> None:
    assert pair.ours.session == pair.theirs.session, (pair.ours.session, pair.theirs.session)
    assert pair.ours.set_cookie == pair.theirs.set_cookie, (pair.ours.set_cookie, pair.theirs.set_cookie)
    assert pair.ours.rows == pair.theirs.rows, (pair.ours.rows, pair.theirs.rows)


def default_session(expires_ms: int) -> dict[str, Any]:
    return {"user": dict(ADA), "expires": iso(expires_ms)}


def refreshed_cookie(version: Version, token: str, now_ms: int, max_age: int = MAX_AGE) -> str:
    """The Set-Cookie both write on a read: the same token, ``Expires = now + maxAge`` (whole seconds)."""
    expires = at_ms(now_ms + max_age * 1000).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return f"{cookie_name(version)}={token}; Path=/; Expires={expires}; HttpOnly; SameSite=Lax"


def cleared_cookie(version: Version, *, secure: bool = False) -> str:
    flags = "HttpOnly; Secure; SameSite=Lax" if secure else "HttpOnly; SameSite=Lax"
    return f"{cookie_name(version, secure=secure)}=; Max-Age=0; Path=/; {flags}"


# ----------------------------------------------------------------- updateAge and expiry

TOKEN = "0b9a4a34-5f7e-4c8e-9d55-3f1d2c0e8a71"
H = 3600 * 1000  # an hour in ms

# (id, the row's expires relative to NOW_MS in ms, updated?, deleted?) with the default
# maxAge (30 days) and updateAge (24 hours): due when expires - maxAge + updateAge <= now.
CLOCK_CASES = [
    pytest.param(MAX_AGE * 1000 - H, False, False, id="extended-an-hour-ago"),
    pytest.param(MAX_AGE * 1000 - 25 * H, True, False, id="extended-25-hours-ago"),
    pytest.param((MAX_AGE - UPDATE_AGE) * 1000, True, False, id="due-to-the-millisecond"),
    pytest.param((MAX_AGE - UPDATE_AGE) * 1000 + 1, False, False, id="one-millisecond-before-due"),
    pytest.param(1, True, False, id="expires-in-one-millisecond"),
    pytest.param(0, True, False, id="expires-now"),
    pytest.param(-1, False, True, id="expired-one-millisecond-ago"),
    pytest.param(-40 * DAY * 1000, False, True, id="expired-long-ago"),
]


@pytest.mark.parametrize(("offset", "updated", "deleted"), CLOCK_CASES)
@pytest.mark.parametrize("version", VERSIONS)
async def test_clock_rules_agree(
    nextauth_bridge: NodeBridge,
    pg_database: PgDatabase,
    tables: Tables,
    version: Version,
    offset: int,
    updated: bool,
    deleted: bool,
) -> None:
    row = SessionRow(TOKEN, NOW_MS + offset)
    pair = await run_both(nextauth_bridge, pg_database, tables, version, (row,), f"{cookie_name(version)}={TOKEN}")
    assert_agree(pair)
    if deleted:
        assert pair.theirs.session is None
        assert pair.theirs.set_cookie == [cleared_cookie(version)]
        assert pair.theirs.rows == {}
        return
    assert pair.theirs.session == default_session(NOW_MS + offset)  # the expiry before the update
    assert pair.theirs.set_cookie == [refreshed_cookie(version, TOKEN, NOW_MS)]
    expected = NOW_MS + MAX_AGE * 1000 if updated else NOW_MS + offset
    assert pair.theirs.rows == {TOKEN: at_ms(expected)}


# (maxAge, updateAge, the row's expires relative to now in ms, updated?)
CUSTOM_AGES = [
    pytest.param(3600, 0, 3600 * 1000, True, id="updateAge-0-always"),
    pytest.param(3600, 60, 3600 * 1000 - 59_999, False, id="hour-minute-not-due"),
    pytest.param(3600, 60, 3600 * 1000 - 60_000, True, id="hour-minute-due"),
    pytest.param(60, 3600, 60_000, True, id="updateAge-above-maxAge"),
    pytest.param(7 * DAY, DAY, 7 * DAY * 1000 + 5000, False, id="row-longer-than-maxAge"),
]


@pytest.mark.parametrize(("max_age", "update_age", "offset", "updated"), CUSTOM_AGES)
@pytest.mark.parametrize("version", VERSIONS)
async def test_custom_max_age_and_update_age_agree(
    nextauth_bridge: NodeBridge,
    pg_database: PgDatabase,
    tables: Tables,
    version: Version,
    max_age: int,
    update_age: int,
    offset: int,
    updated: bool,
) -> None:
    row = SessionRow(TOKEN, NOW_MS + offset)
    cookie = f"{cookie_name(version)}={TOKEN}"
    pair = await run_both(
        nextauth_bridge, pg_database, tables, version, (row,), cookie, Settings(max_age=max_age, update_age=update_age)
    )
    assert_agree(pair)
    assert pair.theirs.set_cookie == [refreshed_cookie(version, TOKEN, NOW_MS, max_age)]
    expected = NOW_MS + max_age * 1000 if updated else NOW_MS + offset
    assert pair.theirs.rows == {TOKEN: at_ms(expected)}


@pytest.mark.parametrize("version", VERSIONS)
async def test_only_the_requests_row_is_touched(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    rows = (
        SessionRow(TOKEN, NOW_MS + 25 * H),  # due
        SessionRow("other-due", NOW_MS + 25 * H),
        SessionRow("other-expired", NOW_MS - 1),
    )
    pair = await run_both(nextauth_bridge, pg_database, tables, version, rows, f"{cookie_name(version)}={TOKEN}")
    assert_agree(pair)
    assert pair.theirs.rows == {
        TOKEN: at_ms(NOW_MS + MAX_AGE * 1000),
        "other-due": at_ms(NOW_MS + 25 * H),
        "other-expired": at_ms(NOW_MS - 1),
    }


# ----------------------------------------------------------------- callbacks


def xfail_if_known(request: pytest.FixtureRequest, callbacks: str, version: Version) -> None:
    reason = KNOWN.get((callbacks, version))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason))


@pytest.mark.parametrize("due", [pytest.param(False, id="not-due"), pytest.param(True, id="due")])
@pytest.mark.parametrize("callbacks", list(CALLBACKS))
@pytest.mark.parametrize("version", VERSIONS)
async def test_callbacks_agree(
    nextauth_bridge: NodeBridge,
    pg_database: PgDatabase,
    tables: Tables,
    request: pytest.FixtureRequest,
    version: Version,
    callbacks: str,
    due: bool,
) -> None:
    xfail_if_known(request, callbacks, version)
    row = SessionRow(TOKEN, NOW_MS + (MAX_AGE * 1000 - (25 if due else 1) * H))
    cookie = f"{cookie_name(version)}={TOKEN}"
    pair = await run_both(nextauth_bridge, pg_database, tables, version, (row,), cookie, Settings(callbacks=callbacks))
    assert_agree(pair)
    # The row is extended before the callback runs, whatever the callback does.
    assert pair.theirs.rows == {TOKEN: at_ms(NOW_MS + MAX_AGE * 1000 if due else row.expires_ms)}
    if callbacks == "session_throws":  # logged; no session; the cookie left alone
        assert pair.theirs.session is None
        assert pair.theirs.set_cookie == []
    elif callbacks == "session_returns_null":  # no session, but the cookie is re-set
        assert pair.theirs.session is None
        assert pair.theirs.set_cookie == [refreshed_cookie(version, TOKEN, NOW_MS)]


# ----------------------------------------------------------------- no session, bad cookies


@pytest.mark.parametrize("version", VERSIONS)
async def test_no_row_clears_the_cookie(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    rows = (SessionRow("someone-else", NOW_MS + H),)
    pair = await run_both(nextauth_bridge, pg_database, tables, version, rows, f"{cookie_name(version)}={TOKEN}")
    assert_agree(pair)
    assert pair.theirs.session is None
    assert pair.theirs.set_cookie == [cleared_cookie(version)]
    assert pair.theirs.rows == {"someone-else": at_ms(NOW_MS + H)}


HOSTILE_TOKENS = [
    pytest.param("'OR'1'='1'--", id="sql-quote"),
    pytest.param("x';DROP-TABLE-sessions;--", id="sql-drop"),  # ';' ends the cookie: "x'" is sent
    pytest.param("a" * 256, id="longer-than-the-column"),
    pytest.param("b" * 10_000, id="10-kb"),
    pytest.param("%E2%98%83", id="percent-encoded"),
]


@pytest.mark.parametrize("token", HOSTILE_TOKENS)
@pytest.mark.parametrize("version", VERSIONS)
async def test_hostile_tokens_find_no_row_and_clear(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version, token: str
) -> None:
    rows = (SessionRow(TOKEN, NOW_MS + H),)
    pair = await run_both(nextauth_bridge, pg_database, tables, version, rows, f"{cookie_name(version)}={token}")
    assert_agree(pair)
    assert pair.theirs.session is None
    assert pair.theirs.set_cookie == [cleared_cookie(version)]
    assert pair.theirs.rows == {TOKEN: at_ms(NOW_MS + H)}


@pytest.mark.parametrize("version", VERSIONS)
async def test_no_cookie_no_query_no_cookie(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    rows = (SessionRow(TOKEN, NOW_MS - 1),)  # expired: a lookup would delete it
    pair = await run_both(nextauth_bridge, pg_database, tables, version, rows, "other=1")
    assert_agree(pair)
    assert pair.theirs.session is None
    assert pair.theirs.set_cookie == []
    assert pair.theirs.rows == {TOKEN: at_ms(NOW_MS - 1)}


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_without_its_user_row(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    """pg-adapter's getSessionAndUser finds the row, not its user: null, so the cookie is
    cleared and the row stays (the foreign key is dropped for the test, then put back)."""
    constraint = tables.foreign_key("sessions", "users")
    if constraint:
        tables.execute(f'ALTER TABLE sessions DROP CONSTRAINT "{constraint[0]}"')
    try:
        rows = (SessionRow(TOKEN, NOW_MS + H, user=7),)
        pair = await run_both(nextauth_bridge, pg_database, tables, version, rows, f"{cookie_name(version)}={TOKEN}")
    finally:
        tables.seed()
        if constraint:
            tables.execute(f'ALTER TABLE sessions ADD CONSTRAINT "{constraint[0]}" {constraint[1]}')
    assert_agree(pair)
    assert pair.theirs.session is None
    assert pair.theirs.set_cookie == [cleared_cookie(version)]
    assert pair.theirs.rows == {TOKEN: at_ms(NOW_MS + H)}


@pytest.mark.parametrize("version", VERSIONS)
async def test_secure_cookie_over_https(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    name = cookie_name(version, secure=True)
    rows = (SessionRow(TOKEN, NOW_MS + 25 * H),)
    pair = await run_both(nextauth_bridge, pg_database, tables, version, rows, f"{name}={TOKEN}", Settings(secure=True))
    assert_agree(pair)
    expires = at_ms(NOW_MS + MAX_AGE * 1000).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert pair.theirs.set_cookie == [f"{name}={TOKEN}; Path=/; Expires={expires}; HttpOnly; Secure; SameSite=Lax"]
    gone = await run_both(nextauth_bridge, pg_database, tables, version, (), f"{name}={TOKEN}", Settings(secure=True))
    assert_agree(gone)
    assert gone.theirs.set_cookie == [cleared_cookie(version, secure=True)]


# ----------------------------------------------------------------- adapter failures


@pytest.fixture
def renamed_sessions(tables: Tables) -> Iterator[None]:
    """The sessions table gone (renamed away) for the test."""
    tables.seed(SessionRow(TOKEN, NOW_MS + 25 * H))
    tables.execute("ALTER TABLE sessions RENAME TO sessions_away")
    try:
        yield
    finally:
        tables.execute("ALTER TABLE sessions_away RENAME TO sessions")


@pytest.mark.parametrize("version", VERSIONS)
async def test_missing_table_no_session_cookie_left_alone(
    nextauth_bridge: NodeBridge,
    pg_database: PgDatabase,
    renamed_sessions: None,
    caplog: pytest.LogCaptureFixture,
    version: Version,
) -> None:
    cookie = f"{cookie_name(version)}={TOKEN}"
    theirs = run_theirs(nextauth_bridge, pg_database.url, version, cookie, NOW_MS)
    with caplog.at_level(logging.ERROR):
        ours = await run_ours(pg_database.conninfo, version, cookie, NOW_MS)
    assert theirs["session"] is None
    assert session_set_cookies(theirs["setCookie"], cookie_name(version)) == []
    assert any('relation "sessions" does not exist' in line for line in theirs["logged"]), theirs["logged"]
    assert ours.session is None
    assert ours.set_cookie == []
    assert any(r.levelno >= logging.ERROR for r in caplog.records), caplog.text


@pytest.mark.parametrize("version", VERSIONS)
async def test_database_down_no_session_cookie_left_alone(
    nextauth_bridge: NodeBridge,
    tables: Tables,
    caplog: pytest.LogCaptureFixture,
    version: Version,
) -> None:
    port = free_port()  # nothing listens there
    cookie = f"{cookie_name(version)}={TOKEN}"
    tables.seed(SessionRow(TOKEN, NOW_MS + 25 * H))
    theirs = run_theirs(nextauth_bridge, f"postgresql://postgres@127.0.0.1:{port}/x", version, cookie, NOW_MS)
    conninfo = f"host=127.0.0.1 port={port} user=postgres dbname=x connect_timeout=2"
    with caplog.at_level(logging.ERROR):
        ours = await run_ours(conninfo, version, cookie, NOW_MS)
    assert theirs["session"] is None
    assert session_set_cookies(theirs["setCookie"], cookie_name(version)) == []
    assert any("ECONNREFUSED" in line for line in theirs["logged"]), theirs["logged"]
    assert ours.session is None
    assert ours.set_cookie == []
    assert any(r.levelno >= logging.ERROR for r in caplog.records), caplog.text
    assert tables.sessions() == {TOKEN: at_ms(NOW_MS + 25 * H)}


# ----------------------------------------------------------------- one side writes, the other reads


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_from_a_real_sign_in_is_read_by_ours(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    """next-auth's own e-mail sign-in creates the user, the row and the cookie; ours reads it,
    as theirs does, an hour later."""
    tables.seed(users=0)
    signed = nextauth_bridge.call(
        "dbSignIn", version=version, url=pg_database.url, email="grace@example.com", now=NOW_MS, secret=SECRET
    )
    token = signed["sessionToken"]
    assert token, signed
    assert signed["setCookie"] == [refreshed_cookie(version, token, NOW_MS)]
    cookie = f"{cookie_name(version)}={token}"
    later = NOW_MS + H
    theirs = run_theirs(nextauth_bridge, pg_database.url, version, cookie, later)
    ours = await run_ours(pg_database.conninfo, version, cookie, later)
    expected = {
        "user": {"name": None, "email": "grace@example.com", "image": None},
        "expires": iso(NOW_MS + MAX_AGE * 1000),
    }
    assert theirs["session"] == expected
    assert json.loads(json.dumps(ours.session)) == expected
    assert ours.set_cookie == session_set_cookies(theirs["setCookie"], cookie_name(version))
    assert tables.sessions() == {token: at_ms(NOW_MS + MAX_AGE * 1000)}  # not due: untouched


class TokenSeen:
    """An app behind WithAuth that records ``scope["nextauth"]["token"]``."""

    def __init__(self) -> None:
        self.tokens: list[Any] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.tokens.append(scope.get("nextauth", {}).get("token"))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize("version", VERSIONS)
async def test_withauth_over_a_session_from_a_real_sign_in(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    """WithAuth (which next-auth's middleware cannot do for database sessions) lets the
    signed-in request through with the rows; once next-auth deleted the row, it denies."""
    tables.seed(users=0)
    signed = nextauth_bridge.call(
        "dbSignIn", version=version, url=pg_database.url, email="grace@example.com", now=NOW_MS, secret=SECRET
    )
    token = signed["sessionToken"]
    rows = nextauth_bridge.call("dbGetSessionAndUser", version=version, url=pg_database.url, sessionToken=token)
    scope = scope_for(f"{cookie_name(version)}={token}")
    inner = TokenSeen()
    async with our_adapter(pg_database.conninfo) as adapter:
        app = WithAuth(inner, adapter=adapter, secret=SECRET, lookup_ttl=0)
        with our_clock(NOW_MS + H):
            assert (await run(app, scope)).status == 200
        (seen,) = inner.tokens
        assert seen["user"]["email"] == "grace@example.com"
        assert seen["user"]["id"] == rows["user"]["id"] == 1  # int4: a number on both sides
        assert seen["user"]["emailVerified"] == rows["user"]["emailVerified"] == iso(NOW_MS)
        assert seen["session"]["expires"] == rows["session"]["expires"] == iso(NOW_MS + MAX_AGE * 1000)
        # next-auth reads it after it expired: the row is deleted; WithAuth then denies.
        gone = NOW_MS + MAX_AGE * 1000 + 1
        theirs = run_theirs(nextauth_bridge, pg_database.url, version, f"{cookie_name(version)}={token}", gone)
        assert theirs["session"] is None
        assert tables.sessions() == {}
        with our_clock(NOW_MS + 2 * H):  # before the old expiry: only the missing row denies
            assert (await run(app, scope)).status == 307


async def test_rows_made_by_their_adapter_read_by_ours(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables
) -> None:
    tables.seed(users=0)
    user = nextauth_bridge.call(
        "dbCreateUser", version=5, url=pg_database.url, user={**ADA, "emailVerified": iso(ADA_VERIFIED_MS)}
    )
    made = nextauth_bridge.call(
        "dbCreateSession",
        version=5,
        url=pg_database.url,
        sessionToken=TOKEN,
        userId=user["id"],
        expires=iso(NOW_MS + MAX_AGE * 1000),
    )
    async with our_adapter(pg_database.conninfo) as adapter:
        found = await adapter.get_session_and_user(TOKEN)
    assert found is not None
    session, our_user = found
    assert (session.session_token, session.user_id, session.expires, session.id) == (
        made["sessionToken"],
        made["userId"],
        at_ms(NOW_MS + MAX_AGE * 1000),
        made["id"],
    )
    assert (our_user.id, our_user.name, our_user.email, our_user.image, our_user.email_verified) == (
        user["id"],
        ADA["name"],
        ADA["email"],
        ADA["image"],
        at_ms(ADA_VERIFIED_MS),
    )


async def test_rows_made_by_our_adapter_read_by_theirs(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables
) -> None:
    tables.seed(users=0)
    async with our_adapter(pg_database.conninfo) as adapter:
        user = await adapter.create_user(name=ADA["name"], email=ADA["email"], image=ADA["image"])
        made = await adapter.create_session(
            session_token=TOKEN, user_id=user.id, expires=at_ms(NOW_MS + MAX_AGE * 1000)
        )
    found = nextauth_bridge.call("dbGetSessionAndUser", version=5, url=pg_database.url, sessionToken=TOKEN)
    assert found["session"] == {"id": 1, "userId": 1, "sessionToken": TOKEN, "expires": iso(NOW_MS + MAX_AGE * 1000)}
    assert found["user"] == {"id": 1, **ADA, "emailVerified": None}
    assert (made.id, made.user_id, user.id) == (1, 1, 1)  # as theirs reads them: numbers
    for version in (4, 5):
        theirs = run_theirs(nextauth_bridge, pg_database.url, version, f"{cookie_name(version)}={TOKEN}", NOW_MS)
        assert theirs["session"] == default_session(NOW_MS + MAX_AGE * 1000)


@pytest.mark.parametrize("reader", VERSIONS)
@pytest.mark.parametrize("writer", VERSIONS)
async def test_after_ours_extends_a_row_theirs_reads_it(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, writer: Version, reader: Version
) -> None:
    first = SessionRow(TOKEN, NOW_MS + MAX_AGE * 1000 - 25 * H)  # due
    tables.seed(first)
    ours = await run_ours(pg_database.conninfo, writer, f"{cookie_name(writer)}={TOKEN}", NOW_MS)
    assert ours.session == default_session(first.expires_ms)
    extended = NOW_MS + MAX_AGE * 1000
    assert tables.sessions() == {TOKEN: at_ms(extended)}
    later = NOW_MS + H  # not due again yet
    theirs = run_theirs(nextauth_bridge, pg_database.url, reader, f"{cookie_name(reader)}={TOKEN}", later)
    assert theirs["session"] == default_session(extended)
    assert session_set_cookies(theirs["setCookie"], cookie_name(reader)) == [refreshed_cookie(reader, TOKEN, later)]
    assert tables.sessions() == {TOKEN: at_ms(extended)}


@pytest.mark.parametrize("reader", VERSIONS)
@pytest.mark.parametrize("writer", VERSIONS)
async def test_after_theirs_extends_a_row_ours_reads_it(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, writer: Version, reader: Version
) -> None:
    first = SessionRow(TOKEN, NOW_MS + MAX_AGE * 1000 - 25 * H)
    tables.seed(first)
    theirs = run_theirs(nextauth_bridge, pg_database.url, writer, f"{cookie_name(writer)}={TOKEN}", NOW_MS)
    assert theirs["session"] == default_session(first.expires_ms)
    extended = NOW_MS + MAX_AGE * 1000
    assert tables.sessions() == {TOKEN: at_ms(extended)}
    later = NOW_MS + H
    ours = await run_ours(pg_database.conninfo, reader, f"{cookie_name(reader)}={TOKEN}", later)
    assert ours.session == default_session(extended)
    assert ours.set_cookie == [refreshed_cookie(reader, TOKEN, later)]
    assert tables.sessions() == {TOKEN: at_ms(extended)}


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_row_ours_deleted_is_gone_for_theirs(
    nextauth_bridge: NodeBridge, pg_database: PgDatabase, tables: Tables, version: Version
) -> None:
    tables.seed(SessionRow(TOKEN, NOW_MS - 1))
    cookie = f"{cookie_name(version)}={TOKEN}"
    ours = await run_ours(pg_database.conninfo, version, cookie, NOW_MS)
    assert (ours.session, ours.set_cookie) == (None, [cleared_cookie(version)])
    assert tables.sessions() == {}
    found = nextauth_bridge.call("dbGetSessionAndUser", version=version, url=pg_database.url, sessionToken=TOKEN)
    assert found is None
