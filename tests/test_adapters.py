"""The session adapters on every preset, on SQLite and on a real PostgreSQL.

Each test runs on six cases (SQLite and PostgreSQL, each with the @auth/pg-adapter, Prisma and
Drizzle layouts, the tables made as those adapters' migrations make them) and on asyncio and
trio. Rows are also written and read straight through the driver (``case.raw``), as the
JavaScript adapters would. Faults particular to one database: test_adapters_postgres.py and
test_adapters_sqlite.py.
"""

# ruff: noqa: S608  (raw SQL here names the tables of the test's own layouts; values are parameters)
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
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
from tests.adapter_tables import ALL_POSTGRES_TABLES, TABLES, PostgresRaw, Raw, SQLiteRaw
from tests.pg import PgDatabase

pytestmark = pytest.mark.anyio

PRESETS = {"pg_adapter": PG_ADAPTER, "prisma": PRISMA, "drizzle": DRIZZLE}
UTC = timezone.utc
WRITTEN_BY_JS = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)  # new Date("2030-01-02T03:04:05.678Z")

HOSTILE_TOKENS = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    "x'; DROP TABLE sessions; --",
    'x"; DROP TABLE "users"; --',
    "x\\'; DELETE FROM sessions; --",
    "%s",
    "%(token)s",
    "?",
    "$1",
    "') UNION SELECT 1, 2, 3, 4, 5, 6, 7, 8 --",
    "x*/; SELECT pg_sleep(5); /*",
    "é'\u2019\u02bc;--",
]


@dataclass
class Case:
    backend: str
    preset: str
    adapter: SQLiteAdapter | PostgresAdapter
    raw: Raw

    @property
    def layout(self) -> Layout:
        return self.adapter.layout

    @property
    def sessions(self) -> str:
        return f'"{self.layout.sessions_table}"'

    @property
    def users(self) -> str:
        return f'"{self.layout.users_table}"'

    def js_time(self, moment: datetime) -> object:
        """A time as the JavaScript adapters hand it to their driver: integer ms on SQLite, an ISO string to pg."""
        if self.backend == "sqlite":
            return int(moment.timestamp() * 1000)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def add_user(self, name: str = "Ada", email: str = "ada@example.test") -> str | int:
        """A user row written straight to the table; its id as the driver returns it."""
        if self.layout.ids == "serial":
            (row,) = self.raw.run(f'INSERT INTO {self.users} (name, email) VALUES (?, ?) RETURNING "id"', name, email)
            assert isinstance(row[0], int)
            return row[0]
        user_id = self.layout.new_id()
        self.raw.run(f'INSERT INTO {self.users} ("id", name, email) VALUES (?, ?, ?)', user_id, name, email)
        assert user_id is not None
        return user_id

    def add_session(self, token: str, user_id: str | int, expires: object) -> int | None:
        """A session row written straight to the table; its own (serial) id where the layout has one."""
        returning = ' RETURNING "id"' if self.layout.session_id else ""
        rows = self.raw.run(
            f'INSERT INTO {self.sessions} ("sessionToken", "userId", expires) VALUES (?, ?, ?){returning}',
            token,
            user_id,
            expires,
        )
        return int(rows[0][0]) if rows else None

    def stored_expires(self, token: str) -> Any:
        rows = self.raw.run(f'SELECT expires FROM {self.sessions} WHERE "sessionToken" = ?', token)
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        return int(self.raw.run(f"SELECT count(*) FROM {table}")[0][0])

    def make_expires_nullable(self) -> None:
        if self.backend == "postgres":
            self.raw.run(f"ALTER TABLE {self.sessions} ALTER COLUMN expires DROP NOT NULL")
        else:  # SQLite cannot drop NOT NULL: the table is made again without it
            self.raw.run(f"DROP TABLE {self.sessions}")
            own_id = '"id" INTEGER PRIMARY KEY, ' if self.layout.session_id else ""
            user_id = "INTEGER" if self.layout.ids == "serial" else "TEXT"
            self.raw.run(f'CREATE TABLE {self.sessions} ({own_id}"sessionToken" TEXT, "userId" {user_id}, expires)')


CASES = [
    pytest.param((backend, preset), id=f"{backend}-{preset}")
    for backend in ("sqlite", "postgres")
    for preset in PRESETS
]


@pytest.fixture(scope="module")
def pg_raw(pg_database: PgDatabase) -> Iterator[PostgresRaw]:
    """The module's database with the Prisma and Drizzle tables beside @auth/pg-adapter's."""
    raw = PostgresRaw(pg_database.conninfo)
    for statement in TABLES["postgres", "prisma"] + TABLES["postgres", "drizzle"]:
        raw.run(statement)
    try:
        yield raw
    finally:
        raw.close()


def sqlite_case(preset: str, path: Path) -> Case:
    raw = SQLiteRaw(path)
    for statement in TABLES.get(("sqlite", preset), ()):
        raw.run(statement)
    adapter = SQLiteAdapter(path, layout=PRESETS[preset], create_tables=preset == "pg_adapter")
    return Case("sqlite", preset, adapter, raw)


def postgres_case(preset: str, request: pytest.FixtureRequest) -> Case:
    database: PgDatabase = request.getfixturevalue("pg_database")
    raw: PostgresRaw = request.getfixturevalue("pg_raw")
    raw.run(f"TRUNCATE {', '.join(ALL_POSTGRES_TABLES)} RESTART IDENTITY")
    # A session time zone far from UTC: what the adapter reads and writes must not depend on it.
    adapter = PostgresAdapter(f"{database.conninfo} options='-c TimeZone=Pacific/Auckland'", layout=PRESETS[preset])
    return Case("postgres", preset, adapter, raw)


@pytest.fixture(params=CASES)
async def case(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Case]:
    backend, preset = request.param
    made = sqlite_case(preset, tmp_path / "auth.db") if backend == "sqlite" else postgres_case(preset, request)
    await made.adapter.get_session_and_user("first use")  # opens the database (and makes its tables)
    try:
        yield made
    finally:
        await made.adapter.aclose()
        if backend == "sqlite":
            made.raw.close()


def in_a_day() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


# --------------------------------------------------------------------------- round trips


async def test_create_get_update_delete(case: Case) -> None:
    user = await case.adapter.create_user(name="Ada", email="ada@example.test", image="https://img.test/a.png")
    expires = in_a_day().replace(microsecond=250_000)
    session = await case.adapter.create_session(session_token="token-1", user_id=user.id, expires=expires)
    assert session == AdapterSession(session_token="token-1", user_id=user.id, expires=expires, id=session.id)

    found = await case.adapter.get_session_and_user("token-1")
    assert found is not None
    assert found == (session, user)
    assert found[1].name == "Ada"
    assert found[1].image == "https://img.test/a.png"
    assert found[1].email_verified is None

    later = expires + timedelta(days=30)
    await case.adapter.update_session("token-1", expires=later)
    found = await case.adapter.get_session_and_user("token-1")
    assert found is not None
    assert found[0].expires == later

    await case.adapter.delete_session("token-1")
    assert await case.adapter.get_session_and_user("token-1") is None
    assert case.count(case.users) == 1  # the user stays


async def test_ids_keep_the_columns_type(case: Case) -> None:
    """As the JavaScript adapters hand them to the callbacks: pg-adapter's serial ids as numbers
    (its sessions have one too), Prisma's cuid and Drizzle's UUID text ids as strings (and their
    sessions have no id)."""
    user = await case.adapter.create_user(name=None, email="b@example.test")
    second = await case.adapter.create_user(name=None, email="c@example.test")
    created = await case.adapter.create_session(session_token="t", user_id=second.id, expires=in_a_day())
    found = await case.adapter.get_session_and_user("t")
    assert found is not None
    session, owner = found
    assert session == created
    assert owner == second
    if case.preset == "pg_adapter":
        assert (user.id, second.id, session.user_id, session.id) == (1, 2, 2, 1)
        assert all(type(value) is int for value in (user.id, session.user_id, owner.id, session.id))
    else:
        pattern = {"prisma": r"c[a-z0-9]{24}", "drizzle": r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"}[case.preset]
        assert isinstance(owner.id, str)
        assert re.fullmatch(pattern, owner.id)
        assert session.user_id == owner.id
        assert session.id is None


async def test_the_sessions_own_id_is_read_where_the_layout_has_one(case: Case) -> None:
    user_id = case.add_user()
    first = case.add_session("first", user_id, case.js_time(WRITTEN_BY_JS))
    second = case.add_session("second", user_id, case.js_time(WRITTEN_BY_JS))
    found = await case.adapter.get_session_and_user("second")
    assert found is not None
    assert found[0].id == second
    if case.preset == "pg_adapter":
        assert (first, second) == (1, 2)
    else:
        assert second is None


async def test_times_are_milliseconds_kept_as_the_column_kind_says(case: Case) -> None:
    user_id = case.add_user()
    expires = datetime(2031, 5, 6, 7, 8, 9, 123_456, tzinfo=UTC)
    created = await case.adapter.create_session(session_token="t", user_id=user_id, expires=expires)
    exact = expires.replace(microsecond=123_000)  # a JavaScript Date keeps milliseconds
    assert created.expires == exact

    stored = case.stored_expires("t")
    if case.backend == "sqlite":
        assert stored == 1_935_817_689_123  # Date.UTC(2031, 4, 6, 7, 8, 9, 123): what Prisma and Drizzle write
    elif case.preset == "pg_adapter":
        assert stored == exact  # timestamptz
    else:
        assert stored == exact.replace(tzinfo=None)  # timestamp without time zone, holding UTC

    found = await case.adapter.get_session_and_user("t")
    assert found is not None
    assert found[0].expires == exact
    assert found[0].expires.tzinfo == UTC

    # an aware time in another zone is the same instant
    other_zone = timezone(timedelta(hours=-7))
    await case.adapter.update_session("t", expires=exact.astimezone(other_zone))
    assert case.stored_expires("t") == stored


async def test_rows_written_by_the_javascript_adapters_are_read(case: Case) -> None:
    user_id = case.add_user(name="Grace", email="grace@example.test")
    case.raw.run(f'UPDATE {case.users} SET "emailVerified" = ?', case.js_time(WRITTEN_BY_JS))
    session_id = case.add_session("from-js", user_id, case.js_time(WRITTEN_BY_JS))

    found = await case.adapter.get_session_and_user("from-js")
    assert found is not None
    session, user = found
    assert session == AdapterSession(session_token="from-js", user_id=user_id, expires=WRITTEN_BY_JS, id=session_id)
    assert (user.id, user.name, user.email, user.image) == (user_id, "Grace", "grace@example.test", None)
    assert user.email_verified == WRITTEN_BY_JS


async def test_an_update_is_read_back_by_the_table_as_javascript_writes_it(case: Case) -> None:
    user_id = case.add_user()
    case.add_session("t", user_id, case.js_time(WRITTEN_BY_JS))
    await case.adapter.update_session("t", expires=WRITTEN_BY_JS + timedelta(milliseconds=1))
    stored = case.stored_expires("t")
    expected = WRITTEN_BY_JS + timedelta(milliseconds=1)
    if case.backend == "sqlite":
        assert stored == case.js_time(expected)
    else:
        assert stored.replace(tzinfo=stored.tzinfo or UTC) == expected


# --------------------------------------------------------------------------- missing rows


async def test_missing_rows(case: Case) -> None:
    assert await case.adapter.get_session_and_user("nope") is None
    await case.adapter.update_session("nope", expires=in_a_day())  # nothing to update: no row made
    await case.adapter.delete_session("nope")
    assert case.count(case.sessions) == 0


async def test_a_session_whose_user_is_gone_is_no_session(case: Case) -> None:
    """As @auth/pg-adapter's getSessionAndUser (and the Prisma and Drizzle joins): null."""
    user_id = case.add_user()
    case.add_session("orphan", user_id, case.js_time(WRITTEN_BY_JS))
    case.raw.run(f'DELETE FROM {case.users} WHERE "id" = ?', user_id)  # foreign keys are off for raw writes
    assert case.count(case.sessions) == 1
    assert await case.adapter.get_session_and_user("orphan") is None


async def test_a_10_kb_token_is_no_session(case: Case) -> None:
    assert await case.adapter.get_session_and_user("a" * 10_240) is None


async def test_tokens_shaped_like_sql_injection_are_values(case: Case) -> None:
    user_id = case.add_user()
    case.add_session("bystander", user_id, case.js_time(WRITTEN_BY_JS))
    for token in HOSTILE_TOKENS:
        assert await case.adapter.get_session_and_user(token) is None, token
        await case.adapter.update_session(token, expires=in_a_day())
        await case.adapter.delete_session(token)
        assert case.count(case.sessions) == 1, token

        await case.adapter.create_session(session_token=token, user_id=user_id, expires=WRITTEN_BY_JS)
        found = await case.adapter.get_session_and_user(token)
        assert found is not None
        assert found[0].session_token == token
        await case.adapter.delete_session(token)
    assert case.count(case.users) == 1
    assert await case.adapter.get_session_and_user("bystander") is not None


# --------------------------------------------------------------------------- faults


async def test_a_null_expires_is_an_adapter_error(case: Case) -> None:
    user_id = case.add_user()
    case.make_expires_nullable()
    case.add_session("t", user_id, None)
    with pytest.raises(AdapterError, match=rf"{case.layout.sessions_table}\.expires is NULL") as caught:
        await case.adapter.get_session_and_user("t")
    assert caught.value.code == "adapter_failed"


async def test_a_malformed_expires_is_an_adapter_error(case: Case) -> None:
    user_id = case.add_user()
    # SQLite keeps whatever it is given; PostgreSQL keeps 'infinity', which no JavaScript Date holds
    case.add_session("t", user_id, "next tuesday" if case.backend == "sqlite" else "infinity")
    with pytest.raises(AdapterError) as caught:
        await case.adapter.get_session_and_user("t")
    assert "check" in str(caught.value)
    assert not isinstance(caught.value, (ValueError, TypeError))


async def test_a_missing_column_is_an_adapter_error_naming_the_layout(case: Case) -> None:
    case.raw.run(f"ALTER TABLE {case.sessions} RENAME COLUMN expires TO expires_at")
    try:
        with pytest.raises(AdapterError, match="Layout"):
            await case.adapter.get_session_and_user("t")
        with pytest.raises(AdapterError, match="Layout"):
            await case.adapter.update_session("t", expires=in_a_day())
        with pytest.raises(AdapterError, match="Layout"):
            await case.adapter.create_session(session_token="t", user_id="1", expires=in_a_day())
    finally:
        case.raw.run(f"ALTER TABLE {case.sessions} RENAME COLUMN expires_at TO expires")


async def test_a_missing_table_is_an_adapter_error_naming_the_layout(case: Case) -> None:
    case.raw.run(f'ALTER TABLE {case.sessions} RENAME TO "elsewhere"')
    try:
        with pytest.raises(AdapterError, match="Layout"):
            await case.adapter.get_session_and_user("t")
        with pytest.raises(AdapterError, match="Layout"):
            await case.adapter.delete_session("t")
    finally:
        case.raw.run(f'ALTER TABLE "elsewhere" RENAME TO {case.sessions}')


@pytest.mark.parametrize("token", [None, 42, b"token", ["token"]])
async def test_a_token_that_is_not_a_string_is_an_adapter_error(case: Case, token: Any) -> None:
    with pytest.raises(AdapterError, match="str"):
        await case.adapter.get_session_and_user(token)
    with pytest.raises(AdapterError, match="str"):
        await case.adapter.update_session(token, expires=in_a_day())
    with pytest.raises(AdapterError, match="str"):
        await case.adapter.delete_session(token)


async def test_a_naive_time_is_refused_before_any_write(case: Case) -> None:
    user_id = case.add_user()
    with pytest.raises(ValueError, match="aware"):
        await case.adapter.create_session(session_token="t", user_id=user_id, expires=datetime(2030, 1, 1))
    assert case.count(case.sessions) == 0
