"""Every recipe app (tests/recipes/*_app.py) driven in-process through ASGI, on each anyio backend
its framework runs on (tests/recipes/frameworks.py says which, and what else it has)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from tests.recipes.frameworks import FRAMEWORKS, Framework

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Recipe:
    framework: Framework
    backend: str


def recipes(where: Callable[[Framework], bool] = lambda framework: True) -> pytest.MarkDecorator:
    """Run the test on every recipe ``where`` accepts, on each backend its framework runs on."""
    cases = [
        pytest.param(Recipe(framework, backend), id=f"{framework.name}-{backend}")
        for framework in FRAMEWORKS
        if where(framework)
        for backend in framework.backends
    ]
    return pytest.mark.parametrize("recipe", cases, indirect=True)


def only(name: str) -> Callable[[Framework], bool]:
    return lambda framework: framework.name == name


@pytest.fixture
def recipe(request: pytest.FixtureRequest) -> Recipe:
    result: Recipe = request.param
    return result


@pytest.fixture
def anyio_backend(recipe: Recipe) -> str:
    return recipe.backend


@pytest.fixture
def app(recipe: Recipe) -> Any:
    return recipe.framework.app()


# ----------------------------------------------------------------------------- every recipe


@recipes()
async def test_public_route_needs_no_session(app: Any) -> None:
    async with client(app) as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert response.json() == {"page": "public"}


@recipes()
async def test_protected_route_redirects_without_a_session_and_reads_the_token_with_one(app: Any) -> None:
    async with client(app) as http:
        anonymous = await http.get("/dashboard?tab=1")
        signed_in = await http.get("/dashboard", headers=session_cookie())
    assert anonymous.status_code == 307
    assert anonymous.headers["location"].startswith("http://testserver/api/auth/signin?")
    assert callback_url(anonymous.headers["location"]) == "/dashboard?tab=1"
    assert signed_in.status_code == 200
    assert signed_in.json() == {"sub": "42"}


@recipes()
async def test_api_route_answers_401_json_without_a_session(app: Any) -> None:
    async with client(app) as http:
        anonymous = await http.get("/api/me")
        signed_in = await http.get("/api/me", headers=session_cookie())
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"] == "unauthorized"
    assert signed_in.json() == {"sub": "42"}


@recipes()
async def test_session_route_returns_the_session_and_the_refreshed_cookie(app: Any) -> None:
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


@recipes()
async def test_session_route_without_a_session_and_with_a_bad_cookie(app: Any) -> None:
    async with client(app) as http:
        anonymous = await http.get("/session")
        tampered = await http.get("/session", headers={"cookie": f"{COOKIE}=not-a-token"})
    assert anonymous.json() is None
    assert "set-cookie" not in anonymous.headers
    assert tampered.json() is None
    _, attributes = set_cookies(tampered.headers.get_list("set-cookie"))[COOKIE]
    assert attributes["max-age"] == "0"  # the broken session is cleared


@recipes()
async def test_long_session_is_written_back_in_chunks(app: Any) -> None:
    claims = {**ADA, "bio": "x" * 6000}
    async with client(app) as http:
        response = await http.get("/session", headers=session_cookie(claims))
    cookies = set_cookies(response.headers.get_list("set-cookie"))
    assert cookies[COOKIE][1]["max-age"] == "0"  # the unchunked cookie the request carried
    chunks = [cookies[f"{COOKIE}.{i}"][0] for i in range(len(cookies) - 1)]
    assert len(chunks) > 1
    assert jwt.decode("".join(chunks), SECRET)["bio"] == claims["bio"]


@recipes()
async def test_secure_session_cookie_keeps_its_prefix_and_secure_flag(app: Any) -> None:
    token = jwt.encode(ADA, SECRET)
    async with client(app, base_url="https://testserver") as http:
        response = await http.get("/session", headers={"cookie": f"__Secure-{COOKIE}={token}"})
    assert response.json()["user"] == ADA_USER
    value, attributes = set_cookies(response.headers.get_list("set-cookie"))[f"__Secure-{COOKIE}"]
    assert "secure" in attributes
    assert jwt.decode(value, SECRET)["sub"] == ADA["sub"]


@recipes()
async def test_withauth_refresh_adds_the_cookie_to_the_frameworks_responses(recipe: Recipe) -> None:
    refreshing = WithAuth(recipe.framework.framework_app(), secret=SECRET, matcher=["/dashboard"], refresh=True)
    async with client(refreshing) as http:
        response = await http.get("/dashboard", headers=session_cookie(max_age=3600))
    assert response.json() == {"sub": "42"}
    value, _ = set_cookies(response.headers.get_list("set-cookie"))[COOKIE]
    assert jwt.decode(value, SECRET)["exp"] > time.time() + THIRTY_DAYS - 60


# ----------------------------------------------------------------------------- websockets, lifespan


@recipes(lambda framework: framework.websockets)
async def test_websocket_opens_only_for_signed_in_users(app: Any) -> None:
    refused = await websocket(app, "/ws")
    assert refused == [{"type": "websocket.close", "code": 1008}]
    accepted = await websocket(app, "/ws", session_cookie())
    assert [m["type"] for m in accepted] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert json.loads(accepted[1]["text"]) == {"sub": "42"}


@recipes(lambda framework: not framework.websockets)
async def test_websockets_are_refused_by_withauth_before_a_framework_without_them(app: Any) -> None:
    """Django itself has no websockets (that is Channels); WithAuth still refuses anonymous ones."""
    assert await websocket(app, "/dashboard") == [{"type": "websocket.close", "code": 1008}]


@recipes(lambda framework: framework.startup_hook is not None)
async def test_lifespan_runs_the_frameworks_startup_hook_through_withauth(recipe: Recipe, app: Any) -> None:
    started: list[str] = []

    async def on_startup() -> None:
        started.append(recipe.framework.name)

    assert recipe.framework.startup_hook is not None
    with recipe.framework.startup_hook(app, on_startup):
        sent = await lifespan(app)
    assert started == [recipe.framework.name]
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


# ----------------------------------------------------------------------------- Django


@recipes(only("django"))
async def test_lifespan_reaches_django_through_withauth(app: Any) -> None:
    """Django has no lifespan support: its handler raises for the scope (uvicorn's default
    ``--lifespan auto`` then carries on without it). WithAuth hands the scope over untouched."""
    with pytest.raises(ValueError, match="not lifespan"):
        await lifespan(app)


@recipes(only("django"))
async def test_session_cookie_attributes_survive_djangos_cookie_jar(app: Any) -> None:
    """Django re-serialises what ``response.cookies.load`` parsed: same attributes, its order."""
    async with client(app) as http:
        response = await http.get("/session", headers=session_cookie())
    [header] = response.headers.get_list("set-cookie")
    assert header.startswith(f"{COOKIE}=eyJ")
    assert "; HttpOnly" in header
    assert "; Path=/" in header
    assert "; SameSite=Lax" in header
    assert "; expires=" in header  # Django spells it lowercase; cookie attribute names are case-insensitive
    assert "secure" not in set_cookies([header])[COOKIE][1]  # plain http: the unprefixed cookie, not Secure
