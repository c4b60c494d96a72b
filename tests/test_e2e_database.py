"""End to end on the database strategy: the Next.js apps (next-auth 4, then Auth.js 5) with
@auth/pg-adapter sign users in by magic link, and the Python app behind WithAuth reads the same
sessions table through ``PostgresAdapter``, in a real headless Chromium.

Run alone with ``python -m pytest -p no:cacheprovider tests/test_e2e_database.py``. Needs what
tests/test_e2e_nextauth.py needs, and PostgreSQL (tests/pg.py; skipped without it unless
``ASGI_WITHAUTH_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from asgi_withauth.adapters import PostgresAdapter
from tests.e2e import fixtures
from tests.e2e.app import build_app
from tests.e2e.fixtures import serving
from tests.e2e.flows import Session, Stack
from tests.e2e.nextapp import NEXT4, NEXT5, NextApp
from tests.pg import PgDatabase

chromium = fixtures.chromium
session = fixtures.session

USERS = "insert into users (name, email) values ('Ada Lovelace', 'ada@example.com'), ('Bob Builder', 'bob@example.com')"


@pytest.fixture(scope="module")
def users(pg_database: PgDatabase) -> PgDatabase:
    """The database, with users whom the magic links will sign in."""
    pg_database.psql(USERS)
    return pg_database


@pytest.fixture(scope="module")
def magic_links(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the Next.js apps record the magic links they would have mailed (JSON lines)."""
    links = tmp_path_factory.mktemp("database-servers") / "magic-links.jsonl"
    links.touch()
    return links


@pytest.fixture(scope="module", params=[NEXT4, NEXT5], ids=lambda app: app.name)
def stack(request: pytest.FixtureRequest, users: PgDatabase, magic_links: Path) -> Iterator[Stack]:
    """The Next.js app on the database strategy and the Python app on the same database."""
    app: NextApp = request.param
    adapter = PostgresAdapter(users.conninfo)

    def python(next_origin: str) -> Starlette:
        return build_app(next_origin=next_origin, version=app.version, adapter=adapter)

    env = {"E2E_DATABASE_URL": users.url, "E2E_MAGIC_LINKS": str(magic_links)}
    logs = magic_links.parent / app.name
    logs.mkdir()
    with serving(app, python, logs=logs, env=env) as serving_stack:  # its shutdown closes the adapter
        yield serving_stack


def session_rows(pg_database: PgDatabase) -> int:
    """How many sessions the database holds (the module's one test is the only one signing in)."""
    return int(pg_database.psql("select count(*) from sessions").strip())


def test_magic_link_sign_in_call_the_api_and_sign_out(
    session: Session, pg_database: PgDatabase, magic_links: Path
) -> None:
    stack = session.stack
    session.visit_signed_out("/dashboard")
    session.sign_in_by_email("ada@example.com", links=magic_links, back_to="/dashboard")
    assert session.page.locator("#user").inner_text() == "Signed in as Ada Lovelace"
    assert session.session_cookies() == [stack.app.cookie_name]
    assert session_rows(pg_database) == 1

    assert session.api_from_next_page() == (200, {"name": "Ada Lovelace", "email": "ada@example.com", "role": None})

    session.sign_out()
    assert session_rows(pg_database) == 0
    assert session.session_cookies() == []
    session.visit_signed_out("/dashboard")
    assert session.api_from_next_page()[0] == 401
