"""Layouts and presets against the adapters' schemas; names checked once; values as parameters;
times at millisecond precision."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from asgi_withauth.adapters import DRIZZLE, PG_ADAPTER, PRISMA, Layout
from asgi_withauth.adapters._sql import Statements
from asgi_withauth.adapters._values import dump_time, load_time
from asgi_withauth.errors import ConfigurationError
from tests.adapter_tables import (
    DRIZZLE_POSTGRES,
    DRIZZLE_SQLITE,
    PRISMA_POSTGRES,
    PRISMA_SQLITE,
    PRISMA_WITH_SESSION_IDS_POSTGRES,
    PRISMA_WITH_SESSION_IDS_SQLITE,
)
from tests.pg import PG_ADAPTER_SCHEMA

UTC = timezone.utc
PRISMA_IDS = replace(PRISMA, session_id="id", updated_at="updatedAt")  # a Session model with an id


def schema_columns(sql: str) -> dict[str, dict[str, str]]:
    """``{table: {column: type}}`` from CREATE TABLE statements (quoted with "" or ``, or bare)."""
    tables: dict[str, dict[str, str]] = {}
    for name, body in re.findall(r"CREATE TABLE [\"`]?(\w+)[\"`]?\s*\((.*?)\)\s*(?:;|$)", sql, flags=re.S | re.I):
        columns = tables.setdefault(name, {})
        for line in re.split(r",\s*(?![^()]*\))", body):
            match = re.match(r"\s*[\"`]?(\w+)[\"`]?\s+(\w+(?:\(\d+\))?)", line)
            if match and match.group(1).upper() not in {"PRIMARY", "CONSTRAINT", "FOREIGN"}:
                columns[match.group(1)] = match.group(2).upper()
    return tables


def layout_columns(layout: Layout) -> tuple[set[str], set[str]]:
    users = {layout.user_id, layout.user_name, layout.user_email, layout.user_email_verified, layout.user_image}
    sessions = {layout.session_token, layout.session_user_id, layout.session_expires}
    optional = {name for name in (layout.session_id, layout.updated_at) if name}
    return users | ({layout.updated_at} if layout.updated_at else set()), sessions | optional


@pytest.mark.parametrize(
    ("layout", "schema", "time_type"),
    [
        pytest.param(PG_ADAPTER, PG_ADAPTER_SCHEMA.read_text(), "TIMESTAMPTZ", id="pg-adapter schema.sql"),
        pytest.param(PRISMA, ";".join(PRISMA_POSTGRES), "TIMESTAMP(3)", id="prisma postgres"),
        pytest.param(PRISMA, ";".join(PRISMA_SQLITE), "DATETIME", id="prisma sqlite"),
        pytest.param(DRIZZLE, ";".join(DRIZZLE_POSTGRES), "TIMESTAMP", id="drizzle postgres"),
        pytest.param(DRIZZLE, ";".join(DRIZZLE_SQLITE), "INTEGER", id="drizzle sqlite"),
        pytest.param(PRISMA_IDS, ";".join(PRISMA_WITH_SESSION_IDS_POSTGRES), "TIMESTAMP(3)", id="prisma ids postgres"),
        pytest.param(PRISMA_IDS, ";".join(PRISMA_WITH_SESSION_IDS_SQLITE), "DATETIME", id="prisma ids sqlite"),
    ],
)
def test_each_preset_names_its_adapters_tables_and_columns(layout: Layout, schema: str, time_type: str) -> None:
    tables = schema_columns(schema)
    users, sessions = layout_columns(layout)
    assert users <= set(tables[layout.users_table])
    assert sessions <= set(tables[layout.sessions_table])
    assert tables[layout.sessions_table][layout.session_expires] == time_type
    assert tables[layout.users_table][layout.user_email_verified] == time_type
    id_type = tables[layout.users_table][layout.user_id]
    assert (layout.ids == "serial") == (id_type == "SERIAL")
    # a sessions table has its own id column exactly where the layout names one, of the users' kind
    session_id_type = tables[layout.sessions_table].get("id")
    assert (layout.session_id is not None) == (session_id_type is not None)
    assert session_id_type in {None, id_type}
    assert (layout.timestamps == "timestamptz") == (time_type == "TIMESTAMPTZ")


def test_the_presets_kinds() -> None:
    assert (PG_ADAPTER.users_table, PG_ADAPTER.sessions_table, PG_ADAPTER.ids) == ("users", "sessions", "serial")
    assert (PG_ADAPTER.session_id, PRISMA.session_id, DRIZZLE.session_id) == ("id", None, None)
    assert (PRISMA.users_table, PRISMA.sessions_table, PRISMA.ids, PRISMA.timestamps) == (
        "User",
        "Session",
        "cuid",
        "timestamp",
    )
    assert (DRIZZLE.users_table, DRIZZLE.sessions_table, DRIZZLE.ids, DRIZZLE.timestamps) == (
        "user",
        "session",
        "uuid",
        "timestamp",
    )
    assert PG_ADAPTER.timestamps == "timestamptz"


@pytest.mark.parametrize(
    "name", ['ses"sions', "sessions; DROP TABLE users", "two words", "1st", "per%cent", "", "x" * 64, "naïve", "a.b"]
)
def test_a_name_that_is_not_plain_is_refused_at_once(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a plain SQL name"):
        Layout(sessions_table=name)
    with pytest.raises(ConfigurationError, match="session_expires"):
        Layout(session_expires=name)
    with pytest.raises(ConfigurationError, match="session_id"):
        Layout(session_id=name)


def test_kinds_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="'serial', 'cuid', 'uuid'"):
        Layout(ids="bigserial")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'timestamptz', 'timestamp', 'epoch_ms'"):
        Layout(timestamps="date")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        Layout(users_table=None)  # type: ignore[arg-type]


def test_plain_names_keep_their_case() -> None:
    layout = Layout(users_table="AuthUser", sessions_table="auth_session$2", updated_at="updatedAt")
    sql = Statements.build(layout, placeholder="?").select_session_and_user
    assert '"AuthUser"' in sql
    assert '"auth_session$2"' in sql


def test_new_ids() -> None:
    assert PG_ADAPTER.new_id() is None
    cuid = PRISMA.new_id()
    assert cuid is not None
    assert re.fullmatch(r"c[a-z0-9]{24}", cuid)
    assert cuid != PRISMA.new_id()
    made = DRIZZLE.new_id()
    assert made is not None
    assert uuid.UUID(made).version == 4


@pytest.mark.parametrize("layout", [PG_ADAPTER, PRISMA, DRIZZLE])
def test_statements_carry_values_only_as_parameters(layout: Layout) -> None:
    statements = Statements.build(layout, placeholder="%s")
    hostile = "x'; DROP TABLE users; --"
    sql, params = statements.session_and_user(hostile)
    assert params == (hostile,)
    assert hostile not in sql
    sql, params = statements.update_session(hostile, expires=1, now=2)
    assert params == (1, hostile)
    sql, params = statements.create_user(layout.new_id(), name=hostile, email=None, image=None, now=0)
    assert hostile not in sql
    assert sql.count("%s") == len(params)
    sql, params = statements.create_session(
        layout.new_id() if layout.session_id else None, hostile, user_id=1, expires=1, now=0
    )
    assert hostile not in sql
    assert sql.count("%s") == len(params)


def test_the_updated_at_column_is_written_when_named() -> None:
    statements = Statements.build(Layout(updated_at="updatedAt"), placeholder="?")
    sql, params = statements.update_session("t", expires=1, now=2)
    assert sql == 'UPDATE "sessions" SET "expires" = ?, "updatedAt" = ? WHERE "sessionToken" = ?'
    assert params == (1, 2, "t")
    sql, params = statements.create_session(None, "t", user_id=7, expires=1, now=2)
    assert sql == (
        'INSERT INTO "sessions" ("sessionToken", "userId", "expires", "updatedAt") VALUES (?, ?, ?, ?)'
        ' RETURNING "userId", "id"'
    )
    assert params == ("t", 7, 1, 2)


@pytest.mark.parametrize(
    ("layout", "selected", "inserted", "returned"),
    [
        pytest.param(
            PG_ADAPTER, ', s."id" FROM', '("sessionToken", "userId", "expires")', '"userId", "id"', id="serial"
        ),
        pytest.param(PRISMA, " FROM", '("sessionToken", "userId", "expires")', '"userId"', id="no session id"),
        pytest.param(
            replace(PRISMA, session_id="id"),
            ', s."id" FROM',
            '("id", "sessionToken", "userId", "expires")',
            '"userId", "id"',
            id="cuid session id",
        ),
    ],
)
def test_the_sessions_own_id_is_selected_last_and_made_as_the_users(
    layout: Layout, selected: str, inserted: str, returned: str
) -> None:
    statements = Statements.build(layout, placeholder="?")
    assert f'u."image"{selected}' in statements.select_session_and_user
    assert f"{inserted} VALUES" in statements.insert_session
    assert statements.insert_session.endswith(f" RETURNING {returned}")


# --------------------------------------------------------------------------- times


def test_times_are_cut_to_milliseconds_in_each_kind() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, 678_999, tzinfo=timezone(timedelta(hours=2)))
    exact = datetime(2030, 1, 2, 1, 4, 5, 678_000, tzinfo=UTC)
    assert dump_time(moment, "timestamptz") == exact
    assert dump_time(moment, "timestamp") == exact.replace(tzinfo=None)
    assert dump_time(moment, "epoch_ms") == 1_893_553_445_678 - 2 * 3_600_000
    assert dump_time(datetime(1969, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC), "epoch_ms") == -1


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        dump_time(datetime(2030, 1, 1), "timestamptz")


def test_times_are_read_from_each_kind_as_aware_utc() -> None:
    exact = datetime(2030, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    assert load_time(exact.astimezone(timezone(timedelta(hours=-5)))) == exact
    assert load_time(exact.replace(tzinfo=None)) == exact  # timestamp without time zone holds UTC
    assert load_time(1_893_553_445_678) == exact
    assert load_time(1_893_553_445_678.0) == exact
    assert load_time(exact.replace(microsecond=678_901)) == exact
    assert load_time(exact).tzinfo is UTC


@pytest.mark.parametrize("value", [None, True, "2030-01-02T03:04:05.678Z", b"1", float("nan"), float("inf"), 10**20])
def test_what_is_not_a_time_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"not a time|out of range"):
        load_time(value)
