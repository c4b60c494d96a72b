"""The Quart recipe (tests/recipes/quart_app.py), driven in-process through ASGI."""

from __future__ import annotations

import json
import time

import pytest

from asgi_withauth import WithAuth, jwt
from tests.recipes import SECRET
from tests.recipes._harness import (
    ADA,
    ADA_USER,
    COOKIE,
    ISO_MS,
    THIRTY_DAYS,
    callback_url,
    client,
    lifespan,
    seconds_until,
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
    async with client(app) as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert response.json() == {"page": "public"}


async def test_protected_route_redirects_without_a_session_and_reads_the_token_with_one() -> None:
    async with client(app) as http:
        anonymous = await http.get("/dashboard?tab=1")
        signed_in = await http.get("/dashboard", headers=session_cookie())
    assert anonymous.status_code == 307
    assert anonymous.headers["location"].startswith("http://testserver/api/auth/signin?")
    assert callback_url(anonymous.headers["location"]) == "/dashboard?tab=1"
    assert signed_in.status_code == 200
    assert signed_in.json() == {"sub": "42"}


async def test_api_route_answers_401_json_without_a_session() -> None:
    async with client(app) as http:
        anonymous = await http.get("/api/me")
        signed_in = await http.get("/api/me", headers=session_cookie())
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"] == "unauthorized"
    assert signed_in.json() == {"sub": "42"}


async def test_session_route_returns_the_session_and_the_refreshed_cookie() -> None:
    async with client(app) as http:
        response = await http.get("/session", headers=session_cookie(max_age=3600))
    session = response.json()
    assert session["user"] == ADA_USER
    assert ISO_MS.fullmatch(session["expires"])
    assert abs(seconds_until(session["expires"]) - THIRTY_DAYS) < 60
    cookies = set_cookies(response.headers.get_list("set-cookie"))
    value, attributes = cookies[COOKIE]
    assert attributes.keys() >= {"path", "expires", "httponly", "samesite"}
    assert (attributes["path"], attributes["samesite"]) == ("/", "Lax")
    claims = jwt.decode(value, SECRET)
    assert claims["sub"] == ADA["sub"]
    assert claims["exp"] > time.time() + THIRTY_DAYS - 60  # the sliding expiry: 30 days from now, not 1 hour


async def test_session_route_without_a_session_and_with_a_bad_cookie() -> None:
    async with client(app) as http:
        anonymous = await http.get("/session")
        tampered = await http.get("/session", headers={"cookie": f"{COOKIE}=not-a-token"})
    assert anonymous.json() is None
    assert "set-cookie" not in anonymous.headers
    assert tampered.json() is None
    _, attributes = set_cookies(tampered.headers.get_list("set-cookie"))[COOKIE]
    assert attributes["max-age"] == "0"  # the broken session is cleared


async def test_long_session_is_written_back_in_chunks() -> None:
    claims = {**ADA, "bio": "x" * 6000}
    async with client(app) as http:
        response = await http.get("/session", headers=session_cookie(claims))
    cookies = set_cookies(response.headers.get_list("set-cookie"))
    assert cookies[COOKIE][1]["max-age"] == "0"  # the unchunked cookie the request carried
    chunks = [cookies[f"{COOKIE}.{i}"][0] for i in range(len(cookies) - 1)]
    assert len(chunks) > 1
    assert jwt.decode("".join(chunks), SECRET)["bio"] == claims["bio"]


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
