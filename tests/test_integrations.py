"""Starlette authentication and FastAPI dependencies, in real apps driven over ASGI.

(The Starlette and FastAPI recipes behind WithAuth are in tests/test_recipes.py with the others.)"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Response
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from asgi_withauth import Rule, WithAuth
from asgi_withauth.fastapi import NextAuth
from asgi_withauth.starlette_auth import NextAuthBackend
from tests.asgi import cookie_header
from tests.recipes import SECRET
from tests.recipes._harness import COOKIE, client, session_cookie

pytestmark = pytest.mark.anyio

ADMIN = {"sub": "1", "name": "Ada", "email": "ada@example.com", "roles": ["admin"]}
USER = {"sub": "2", "name": "Bob", "roles": []}


# ----------------------------------------------------------------------------- Starlette


@requires("admin")
async def admin_page(request: Request) -> JSONResponse:
    return JSONResponse({"user": request.user.display_name, "scopes": request.auth.scopes})


@requires("authenticated", redirect=None)
async def profile(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.user.identity, "signed_in": request.user.is_authenticated})


def starlette_app(*, with_auth: bool) -> Starlette:
    middleware = [
        Middleware(AuthenticationMiddleware, backend=NextAuthBackend(secret=SECRET, scopes=lambda t: t["roles"]))
    ]
    if with_auth:
        middleware.insert(0, Middleware(WithAuth, secret=SECRET, matcher="/admin"))
    return Starlette(routes=[Route("/admin", admin_page), Route("/profile", profile)], middleware=middleware)


@pytest.mark.parametrize("with_auth", [True, False])
async def test_starlette_user_auth_and_requires(with_auth: bool) -> None:
    async with client(starlette_app(with_auth=with_auth)) as http:
        admin = await http.get("/admin", headers=session_cookie(ADMIN))
        assert admin.json() == {"user": "Ada", "scopes": ["authenticated", "admin"]}
        assert (await http.get("/admin", headers=session_cookie(USER))).status_code == 403
        assert (await http.get("/profile", headers=session_cookie(USER))).json() == {"id": "2", "signed_in": True}
        assert (await http.get("/profile")).status_code == 403
        if with_auth:
            assert (await http.get("/admin")).status_code == 307  # WithAuth redirects first


async def test_backend_reuses_the_token_withauth_decoded(decodes: list[str]) -> None:
    async with client(starlette_app(with_auth=True)) as http:
        assert (await http.get("/admin", headers=session_cookie(ADMIN))).status_code == 200
    assert len(decodes) == 1


# ----------------------------------------------------------------------------- FastAPI

auth = NextAuth(secret=SECRET)


def is_admin(token: dict[str, Any], request: Any) -> bool:
    return "admin" in token.get("roles", [])


signed_in = auth.require()
admins = auth.require(is_admin)


def fastapi_app(*, with_auth: bool) -> Any:
    app = FastAPI()

    @app.get("/token")
    async def token_route(token: Annotated[dict[str, Any] | None, Depends(auth.token)]) -> Any:
        return {"token": token and token["sub"]}

    @app.get("/me")
    async def me(token: Annotated[dict[str, Any], Depends(signed_in)]) -> Any:
        return {"sub": token["sub"]}

    @app.get("/admin")
    async def admin(token: Annotated[dict[str, Any], Depends(admins)]) -> Any:
        return {"admin": token["sub"]}

    @app.get("/session")
    async def session_route(response: Response, current: Annotated[Any, Depends(auth.session)]) -> Any:
        return current

    return WithAuth(app, secret=SECRET, rules=[Rule("/admin", deny="status")], matcher=[]) if with_auth else app


@pytest.mark.parametrize("with_auth", [True, False])
async def test_fastapi_dependencies(with_auth: bool) -> None:
    async with client(fastapi_app(with_auth=with_auth)) as http:
        assert (await http.get("/token")).json() == {"token": None}
        assert (await http.get("/token", headers=session_cookie(USER))).json() == {"token": "2"}
        anonymous = await http.get("/me")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert (await http.get("/me", headers=session_cookie(USER))).json() == {"sub": "2"}
        assert (await http.get("/admin", headers=session_cookie(USER))).status_code == 403
        assert (await http.get("/admin", headers=session_cookie(ADMIN))).json() == {"admin": "1"}
        current = await http.get("/session", headers=session_cookie(ADMIN))
        assert current.json()["user"] == {"name": "Ada", "email": "ada@example.com"}  # no picture claim: no image
        refreshed = current.headers.get_list("set-cookie")
        assert len(refreshed) == 1
        assert refreshed[0].startswith("next-auth.session-token=")


async def test_fastapi_reuses_withauth_token(decodes: list[str]) -> None:
    async with client(fastapi_app(with_auth=True)) as http:
        assert (await http.get("/admin", headers=session_cookie(ADMIN))).status_code == 200
    assert len(decodes) == 1


# ----------------------------------------------------------------------------- hostile cookies

HOSTILE = "W1tb" * 334 + "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"  # a header of ~1000 nested '['


async def test_a_hostile_cookie_is_no_session_in_every_integration() -> None:
    """Once a RecursionError escaped: a 500 from the FastAPI dependencies and the Starlette backend."""
    hostile = {"cookie": cookie_header({COOKIE: HOSTILE})}
    async with client(fastapi_app(with_auth=False)) as http:
        assert (await http.get("/token", headers=hostile)).json() == {"token": None}
        assert (await http.get("/me", headers=hostile)).status_code == 401
        session_answer = await http.get("/session", headers=hostile)
        assert session_answer.status_code == 200
        assert session_answer.json() is None
    async with client(starlette_app(with_auth=False)) as http:
        assert (await http.get("/profile", headers=hostile)).status_code == 403
