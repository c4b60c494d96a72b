"""The Python app under test, written as the README's "beside Next.js on another origin" recipe
would write it: the Next.js app's sign-in page on its own origin, ``absolute_callback_url`` so
next-auth can send the user back here, CORS (outside ``WithAuth``) for the Next.js pages that
call the JSON API with ``credentials: "include"``."""

from __future__ import annotations

import contextlib
import html
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from asgi_withauth import Rule, WithAuth, nextauth_token
from asgi_withauth.adapters import SessionAdapter

SIGN_IN_PATH = "/api/auth/signin"


def _page(title: str, body: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}",
        status_code=status_code,
    )


def _user(token: dict[str, Any]) -> dict[str, Any]:
    """The user a token (JWT strategy) or a database session (``{"user": ...}``) stands for."""
    user = token.get("user")
    return dict(user) if isinstance(user, dict) else token


async def admins_only(token: dict[str, Any] | None, request: HTTPConnection) -> bool | Response:
    """Signed out: False (the sign-in page). Signed in without the role: a 403 page, no loop."""
    if token is None:
        return False
    if _user(token).get("role") == "admin":
        return True
    return _page("Forbidden", "<p>Only admins may see this page.</p>", status_code=403)


async def dashboard(request: Request) -> Response:
    user = _user(nextauth_token(request) or {})
    name = user.get("name") or user.get("email") or "?"
    return _page("Dashboard", f'<p id="user">Signed in as {html.escape(str(name))}</p>')


async def admin(request: Request) -> Response:
    return _page("Admin area", "<p>Welcome, admin.</p>")


async def api_me(request: Request) -> Response:
    user = _user(nextauth_token(request) or {})
    return JSONResponse({key: user.get(key) for key in ("name", "email", "role")})


def _closing(adapter: SessionAdapter | None) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A lifespan that closes the adapter (its connection pool) when the server stops."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if adapter is not None:
                await adapter.aclose()

    return lifespan


def build_app(
    *, next_origin: str, version: Literal[4, 5], secret: str | None = None, adapter: SessionAdapter | None = None
) -> Starlette:
    """The app, for a Next.js app on ``next_origin`` (next-auth ``version`` 4 or 5) sharing
    ``secret`` (JWT strategy) or the database behind ``adapter`` (database strategy, the
    adapter closed when the server stops)."""
    return Starlette(
        routes=[Route("/dashboard", dashboard), Route("/admin", admin), Route("/api/me", api_me)],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=[next_origin],
                allow_credentials=True,
                allow_methods=["*"],
                allow_headers=["*"],
            ),
            Middleware(
                WithAuth,
                secret=secret,
                adapter=adapter,
                lookup_ttl=0,  # database sessions: a session signed out in Next is gone at once
                version=version,
                sign_in_page=f"{next_origin}{SIGN_IN_PATH}",
                absolute_callback_url=True,
                rules=[
                    Rule("/admin/:path*", authorized=admins_only),
                    Rule("/api/:path*", deny="status"),
                ],
                matcher=["/dashboard/:path*"],
            ),
        ],
        lifespan=_closing(adapter),
    )
