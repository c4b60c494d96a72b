"""The Django recipe (tests/recipes/django_app.py), driven in-process through ASGI.

No project folder: the settings are configured here, with ``ROOT_URLCONF`` pointing at the
recipe module, and the app is ``WithAuth(get_asgi_application(), ...)`` as in an ``asgi.py``.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from asgi_withauth import WithAuth, jwt
from tests.recipes import SECRET, checks, django_app
from tests.recipes._harness import (
    ADA,
    ADA_USER,
    COOKIE,
    THIRTY_DAYS,
    client,
    lifespan,
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
