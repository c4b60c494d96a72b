"""The apps the middleware benchmark serves and calls: the bare app, the floors, the variants.

The bare app counts the requests it served and those that carried
``scope["nextauth"]["token"]`` (its ``/_bench/stats`` route tells), so that every
measurement can check that it measured what it claims to.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Final

from _floor import aes_gcm_floor
from _session import SECRET
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import asgi_withauth
from asgi_withauth import WithAuth, jwt

PACKAGE_ROOT: Final = Path(asgi_withauth.__file__).resolve().parent.parent
"""Where the measured asgi_withauth lives: ``PYTHONPATH=/some/copy`` measures a modified copy."""
HOST: Final = "127.0.0.1"
MATCHER: Final = ["/app/:path*", "/account/:path*"]
PROTECTED_PATH: Final = "/app/dashboard"
UNMATCHED_PATH: Final = "/public/hello"
STATS_PATH: Final = "/_bench/stats"

VARIANT_ENV: Final = "ASGI_WITHAUTH_BENCH_VARIANT"
BARE: Final = "bare"
OURS: Final = "ours"
OURS_NO_CACHE: Final = "ours (cache_size=0)"
FLOOR_CACHED: Final = "floor, cached"
FLOOR_DECRYPT: Final = "floor, decrypts"
FLOOR_PASS: Final = "floor, passes through"
CANDIDATE: Final = "candidate"
CANDIDATE_NO_CACHE: Final = "candidate (cache_size=0)"
CANDIDATE_OF: Final = {OURS: CANDIDATE, OURS_NO_CACHE: CANDIDATE_NO_CACHE}
VARIANTS: Final = {
    BARE: "bare",
    OURS: "ours",
    OURS_NO_CACHE: "ours-nocache",
    FLOOR_CACHED: "floor-cached",
    FLOOR_DECRYPT: "floor-decrypt",
    FLOOR_PASS: "floor-pass",
    CANDIDATE: "ours",  # the same app, served with --candidate's asgi_withauth
    CANDIDATE_NO_CACHE: "ours-nocache",
}
"""Server variant -> value of ``ASGI_WITHAUTH_BENCH_VARIANT`` in the server process."""
WITH_AUTH: Final = frozenset({OURS, OURS_NO_CACHE, CANDIDATE, CANDIDATE_NO_CACHE})


class CheckFailed(RuntimeError):
    """The benchmark did not measure what it claims to (wrong statuses, no token)."""


# ================================================================== the app under test

_COUNTS: dict[str, Any] = {"dashboard": 0, "with_token": 0, "last_sub": None}


async def dashboard(request: Request) -> Response:
    """The protected route: a small plain-text page. Counts what it served, for the checks."""
    _COUNTS["dashboard"] += 1
    nextauth = request.scope.get("nextauth")
    if nextauth is not None and (token := nextauth.get("token")) is not None:
        _COUNTS["with_token"] += 1
        _COUNTS["last_sub"] = token.get("sub")
    return PlainTextResponse("dashboard")


async def items(request: Request) -> Response:
    return JSONResponse({"items": [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}]})


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


async def stats(request: Request) -> Response:
    return JSONResponse(_COUNTS)


def bare_app() -> Starlette:
    """A few routes with small plain-text and JSON responses."""
    return Starlette(
        routes=[
            Route(PROTECTED_PATH, dashboard),
            Route("/app/items", items),
            Route(UNMATCHED_PATH, hello),
            Route(STATS_PATH, stats),
        ]
    )


async def page(request: Request) -> Response:
    """Any other path, for the in-process rows' rules: a small plain-text page."""
    return PlainTextResponse("page")


def in_process_app() -> Starlette:
    """The in-process rows' inner app: a Starlette app like the server's (the same middleware
    stack and responses, so the same memory traffic around the middleware) whose one route
    answers every path at the same cost, so that each row's own cost is its total minus bare."""
    return Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST"])])


async def tiny_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The smallest complete HTTP response, so the middleware's own cost shows (in process)."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


# ================================================================== the reference points

_SESSION_COOKIE: Final = b"next-auth.session-token="


class FloorMiddleware:
    """A reference point, not a contender: about the least a pure ASGI middleware can do to
    put the session's claims in the scope. One ``startswith`` for the path; the Cookie
    header's bytes found with one loop; with ``cache=True``, the claims looked up by those
    bytes (``exp`` checked, a copy handed out); else, or on a miss, the session cookie cut
    out with ``bytes.find``, AES-GCM with ``cryptography`` (key derived beforehand) and
    ``json.loads``. No chunked cookies, no redirects, no header or claims validation, no
    cache bound, no path normalisation."""

    def __init__(self, app: ASGIApp, *, cache: bool, prefix: str = "/app/") -> None:
        self.app = app
        self.prefix = prefix
        self.decrypt = aes_gcm_floor(jwt.derive_key(SECRET, version=4))
        self.cache: dict[bytes, dict[str, Any]] | None = {} if cache else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            claims = None
            for key, value in scope["headers"]:
                if key == b"cookie":
                    claims = self._claims(value)
                    break
            scope["nextauth"] = {"token": claims}
        await self.app(scope, receive, send)

    def _claims(self, header: bytes) -> dict[str, Any] | None:
        if self.cache is not None:
            hit = self.cache.get(header)
            if hit is not None and hit["exp"] > time.time():
                return dict(hit)
        start = header.find(_SESSION_COOKIE)
        if start < 0:
            return None
        start += len(_SESSION_COOKIE)
        end = header.find(b";", start)
        claims: dict[str, Any] = self.decrypt(header[start:] if end < 0 else header[start:end])
        if self.cache is not None:
            self.cache[header] = claims
        return claims


class PassThrough:
    """A reference point: an ASGI middleware that does nothing but call the app, the cost
    of one more layer (what an unmatched path can cost at the very least)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


# ================================================================== what a server serves


def server_app() -> ASGIApp:
    """The uvicorn factory: the variant named by ``ASGI_WITHAUTH_BENCH_VARIANT``."""
    variant = os.environ.get(VARIANT_ENV, "bare")
    if variant == VARIANTS[BARE]:
        return bare_app()
    if variant == VARIANTS[OURS]:
        return WithAuth(bare_app(), secret=SECRET, matcher=MATCHER)
    if variant == VARIANTS[OURS_NO_CACHE]:
        return WithAuth(bare_app(), secret=SECRET, matcher=MATCHER, cache_size=0)
    if variant == VARIANTS[FLOOR_CACHED]:
        return FloorMiddleware(bare_app(), cache=True)
    if variant == VARIANTS[FLOOR_DECRYPT]:
        return FloorMiddleware(bare_app(), cache=False)
    if variant == VARIANTS[FLOOR_PASS]:
        return PassThrough(bare_app())
    raise ValueError(f"unknown {VARIANT_ENV}={variant!r}")
