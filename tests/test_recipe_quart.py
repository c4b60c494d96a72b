"""The Quart recipe (tests/recipes/quart_app.py), driven in-process through ASGI."""

from __future__ import annotations

import json
import time

import pytest

from asgi_withauth import WithAuth, jwt
from tests.recipes import SECRET, checks
from tests.recipes._harness import (
    COOKIE,
    THIRTY_DAYS,
    client,
    lifespan,
    session_cookie,
    set_cookies,
    websocket,
)
from tests.recipes.quart_app import app, quart_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """Quart is built on asyncio (its ASGI glue makes asyncio tasks and queues): on trio it fails
    with "no current event loop". Trio users need the separate quart-trio package."""
    return "asyncio"


async def test_public_route_needs_no_session() -> None:
    await checks.public_route_needs_no_session(app)


async def test_protected_route_redirects_without_a_session_and_reads_the_token_with_one() -> None:
    await checks.protected_route_redirects_without_a_session_and_reads_the_token_with_one(app)


async def test_api_route_answers_401_json_without_a_session() -> None:
    await checks.api_route_answers_401_json_without_a_session(app)


async def test_session_route_returns_the_session_and_the_refreshed_cookie() -> None:
    await checks.session_route_returns_the_session_and_the_refreshed_cookie(app)


async def test_session_route_without_a_session_and_with_a_bad_cookie() -> None:
    await checks.session_route_without_a_session_and_with_a_bad_cookie(app)


async def test_long_session_is_written_back_in_chunks() -> None:
    await checks.long_session_is_written_back_in_chunks(app)


async def test_websocket_opens_only_for_signed_in_users() -> None:
    refused = await websocket(app, "/ws")
    assert refused == [{"type": "websocket.close", "code": 1008}]
    accepted = await websocket(app, "/ws", session_cookie())
    assert [m["type"] for m in accepted] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert json.loads(accepted[1]["text"]) == {"sub": "42"}


async def test_lifespan_runs_quarts_before_serving_hook_through_withauth() -> None:
    started: list[str] = []

    async def on_startup() -> None:
        started.append("quart")

    quart_app.before_serving(on_startup)
    try:
        sent = await lifespan(app)
    finally:
        quart_app.before_serving_funcs.remove(on_startup)
    assert started == ["quart"]
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


async def test_withauth_refresh_adds_the_cookie_to_quart_responses() -> None:
    refreshing = WithAuth(quart_app, secret=SECRET, matcher=["/dashboard"], refresh=True)
    async with client(refreshing) as http:
        response = await http.get("/dashboard", headers=session_cookie(max_age=3600))
    assert response.json() == {"sub": "42"}
    value, _ = set_cookies(response.headers.get_list("set-cookie"))[COOKIE]
    assert jwt.decode(value, SECRET)["exp"] > time.time() + THIRTY_DAYS - 60
