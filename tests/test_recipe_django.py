"""The Django recipe (tests/recipes/django_app.py), driven in-process through ASGI.

No project folder: the settings are configured here, with ``ROOT_URLCONF`` pointing at the
recipe module, and the app is ``WithAuth(get_asgi_application(), ...)`` as in an ``asgi.py``.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from asgi_withauth import WithAuth, jwt
from tests.recipes import SECRET, django_app
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

if not settings.configured:
    settings.configure(
        ROOT_URLCONF="tests.recipes.django_app",
        ALLOWED_HOSTS=["testserver"],
        SECRET_KEY="django-recipe-test-key",
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
    )

app = django_app.asgi_application()

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """Django's ASGI handler is asyncio-only: asgiref's sync_to_async and the request signals
    need a running asyncio loop ("no current event loop" on trio)."""
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


async def test_session_cookie_attributes_survive_djangos_cookie_jar() -> None:
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


async def test_secure_session_cookie_keeps_its_prefix_and_secure_flag() -> None:
    token = jwt.encode(ADA, SECRET)
    async with client(app, base_url="https://testserver") as http:
        response = await http.get("/session", headers={"cookie": f"__Secure-{COOKIE}={token}"})
    assert response.json()["user"] == ADA_USER
    value, attributes = set_cookies(response.headers.get_list("set-cookie"))[f"__Secure-{COOKIE}"]
    assert "secure" in attributes
    assert jwt.decode(value, SECRET)["sub"] == ADA["sub"]


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


async def test_websockets_are_refused_by_withauth_before_django() -> None:
    """Django itself has no websockets (that is Channels); WithAuth still refuses anonymous ones."""
    assert await websocket(app, "/dashboard") == [{"type": "websocket.close", "code": 1008}]


async def test_lifespan_reaches_django_through_withauth() -> None:
    """Django has no lifespan support: its handler raises for the scope (uvicorn's default
    ``--lifespan auto`` then carries on without it). WithAuth hands the scope over untouched."""
    with pytest.raises(ValueError, match="not lifespan"):
        await lifespan(app)


async def test_withauth_refresh_adds_the_cookie_to_django_responses() -> None:
    refreshing = WithAuth(app.app, secret=SECRET, matcher=["/dashboard"], refresh=True)
    async with client(refreshing) as http:
        response = await http.get("/dashboard", headers=session_cookie(max_age=3600))
    assert response.json() == {"sub": "42"}
    value, _ = set_cookies(response.headers.get_list("set-cookie"))[COOKIE]
    assert jwt.decode(value, SECRET)["exp"] > time.time() + THIRTY_DAYS - 60
