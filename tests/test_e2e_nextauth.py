"""End to end: a real Next.js app (next-auth 4, then Auth.js 5) signs users in, and the Python
app behind WithAuth on another 127.0.0.1 port sees them, in a real headless Chromium.

Run alone with ``python -m pytest -p no:cacheprovider tests/test_e2e_nextauth.py``. Needs Node.js
and npm (the apps are installed from their lockfiles and built once, then cached) and Chromium;
skipped without them unless ``ASGI_WITHAUTH_REQUIRE_NODE=1`` / ``ASGI_WITHAUTH_REQUIRE_BROWSER=1``.
Screenshots of every step go to the test's ``tmp_path`` (the path is printed).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from tests.e2e import fixtures
from tests.e2e.app import build_app
from tests.e2e.fixtures import SECRET, serving
from tests.e2e.flows import Session, Stack
from tests.e2e.nextapp import NEXT4, NEXT5, NextApp

chromium = fixtures.chromium
session = fixtures.session


@pytest.fixture(scope="module", params=[NEXT4, NEXT5], ids=lambda app: app.name)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The Next.js app (JWT sessions, fixed users) and the Python app, both serving."""
    app: NextApp = request.param

    def python(next_origin: str) -> Starlette:
        return build_app(next_origin=next_origin, version=app.version, secret=SECRET)

    with serving(app, python, logs=tmp_path_factory.mktemp(f"{app.name}-server")) as serving_stack:
        yield serving_stack


def test_sign_in_call_the_api_and_sign_out(session: Session) -> None:
    stack = session.stack
    session.visit_signed_out("/dashboard")
    session.sign_in("ada", back_to="/dashboard")
    assert session.page.locator("#user").inner_text() == "Signed in as Ada Lovelace"
    assert session.session_cookies() == [stack.app.cookie_name]

    assert session.api_from_next_page() == (200, {"name": "Ada Lovelace", "email": "ada@example.com", "role": "admin"})

    session.page.goto(f"{stack.python_origin}/admin")
    assert session.page.locator("h1").inner_text() == "Admin area"
    session.shot("admin-as-ada")

    session.sign_out()
    assert session.session_cookies() == []
    session.visit_signed_out("/dashboard")
    assert session.api_from_next_page()[0] == 401


def test_non_admin_is_refused_the_admin_area(session: Session) -> None:
    session.visit_signed_out("/admin")
    session.sign_in("bob", back_to="/admin")
    response = session.page.goto(f"{session.stack.python_origin}/admin")
    assert response is not None
    assert response.status == 403
    assert session.page.url == f"{session.stack.python_origin}/admin"  # no redirect, so no loop
    assert session.page.locator("h1").inner_text() == "Forbidden"
    session.shot("admin-refused-as-bob")

    session.page.goto(f"{session.stack.python_origin}/dashboard")
    assert session.page.locator("#user").inner_text() == "Signed in as Bob Builder"


def test_chunked_session(session: Session) -> None:
    name = session.stack.app.cookie_name
    session.visit_signed_out("/dashboard")
    session.sign_in("big", back_to="/dashboard")
    assert session.page.locator("#user").inner_text() == "Signed in as Big Claims"
    cookies = session.session_cookies()
    assert cookies[:2] == [f"{name}.0", f"{name}.1"]
    assert name not in cookies

    response = session.page.request.get(f"{session.stack.python_origin}/api/me")
    assert response.status == 200
    assert response.json()["name"] == "Big Claims"
