"""The demo app: Starlette routes behind ``WithAuth`` (what :mod:`asgi_withauth.demo` describes).

Built from the package's public face (``WithAuth``, ``Rule``, ``get_token``,
``load_server_session``, ``jwt``, ``cookies``, ``adapters``), as an application would be.
Where sessions live (the cookie itself, or a database row) is the mode's business
(:mod:`asgi_withauth.demo.modes`); the routes are the same in both.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from .. import Rule, WithAuth, get_token, load_server_session
from .._logging import logger
from .._request.cookies import chunk_session_cookie, clear_session_cookie, serialize_cookie, session_cookie_name
from ..errors import AdapterError, DemoDependencyError
from ..options import DEFAULT_LOOKUP_TTL
from . import pages
from .modes import MAX_AGE, DatabaseMode, JwtMode, Mode

__all__ = ["build_app", "cleared_session_cookies", "safe_callback_url", "serve", "session_cookies"]

SESSION_COOKIE: Final = session_cookie_name(version=4, secure=False)  # "next-auth.session-token"
"""The demo runs on plain http on a loopback address, so next-auth would use the unprefixed
name (``__Secure-next-auth.session-token`` is for https). The modes' options say
``secure_cookie=False`` so that a ``NEXTAUTH_URL`` in your environment cannot change that."""

DEFAULT_CALLBACK: Final = "/dashboard"

_MAX_FORM_BYTES: Final = 64 * 1024
_MAX_NAME_BYTES: Final = 3000  # long enough to see a chunked cookie, short enough for any server


# ----------------------------------------------------------------------------- authorization


async def admins_only(token: dict[str, Any] | None, request: HTTPConnection) -> bool | Response:
    """The ``/admin`` rule's ``authorized(token, request)``.

    ``False`` denies with the rule's ``deny`` ("redirect": to the sign-in page, which sends
    the user back here afterwards). A response is sent as is: a signed-in user without the
    role gets a 403 page rather than a sign-in loop.
    """
    user = await _viewer(request, token)
    if user is None:
        return False
    if user.get("role") == "admin":
        return True
    return _html(pages.forbidden(token=user), status_code=403)


async def is_admin(token: dict[str, Any] | None, request: HTTPConnection) -> bool:
    """The ``/api/admin`` rule's check; ``deny="status"`` turns False into 401 or 403 JSON."""
    user = await _viewer(request, token)
    return user is not None and user.get("role") == "admin"


# ----------------------------------------------------------------------------- pages


async def home(request: Request) -> Response:
    # A public page can still look at the session: get_token returns the token or None
    # (in the database mode: the session and user rows).
    mode = _mode(request)
    user = await mode.viewer(await get_token(request, options=mode.options))
    origin = str(request.base_url).rstrip("/")
    return _html(pages.home(user=user, cookie_name=SESSION_COOKIE, origin=origin, database=mode.database))


async def login_form(request: Request) -> Response:
    mode = _mode(request)
    user = await mode.viewer(await get_token(request, options=mode.options))
    callback = request.query_params.get("callbackUrl")
    going_to = safe_callback_url(callback)
    page = pages.login(callback_url=callback, user=user, values={}, database=mode.database, going_to=going_to)
    return _html(page)


async def login(request: Request) -> Response:
    """The stand-in for next-auth's sign-in: start a session and set its cookie as next-auth would."""
    mode = _mode(request)
    callback = request.query_params.get("callbackUrl")
    form = await _read_form(request)
    if form is None:
        return _html(pages.page("Sign in", '<p class="error">The form is too large.</p>'), status_code=413)
    problem = _check_sign_in(form)
    if problem:
        page = pages.login(
            callback_url=callback,
            user=None,
            error=problem,
            values=form,
            database=mode.database,
            going_to=safe_callback_url(callback),
        )
        return _html(page, status_code=400)
    try:
        value = await mode.sign_in(
            name=form["name"].strip(),
            email=form["email"].strip(),
            role=form["role"],
            previous=request.cookies.get(SESSION_COOKIE),
        )
    except AdapterError as exc:
        return _database_down(exc)
    response = RedirectResponse(safe_callback_url(callback), status_code=303)
    _set_cookies(response, session_cookies(value, existing=request.cookies))
    return response


async def logout(request: Request) -> Response:
    """next-auth's sign-out: end the session, clear its cookie and every chunk of it, then go home."""
    try:
        await _mode(request).sign_out(request.cookies.get(SESSION_COOKIE))
    except AdapterError as exc:
        return _database_down(exc)
    response = RedirectResponse("/", status_code=303)
    _set_cookies(response, cleared_session_cookies(existing=request.cookies))
    return response


def _database_down(exc: AdapterError) -> Response:
    """The session store failed: say so (503), never a traceback."""
    logger.error("demo: the session database failed: %s", exc)
    body = '<p class="error">The session database is not answering; try again in a moment.</p>'
    return _html(pages.page("Sign in", body), status_code=503)


async def dashboard(request: Request) -> Response:
    # next-auth's getServerSession. load_server_session also returns the Set-Cookie headers
    # that re-issue the cookie with a fresh expiry; .apply() puts them on our response. In
    # the database mode it also extends the session row once a day (next-auth's updateAge).
    mode = _mode(request)
    result = await load_server_session(request, options=mode.options)  # with the mode's session callback
    token = request.scope["nextauth"]["token"]
    user = await mode.viewer(token)
    page = pages.dashboard(session=result.session, token=token, user=user, database=mode.database)
    response = _html(page)
    result.apply(response)
    return response


async def admin(request: Request) -> Response:
    return _html(pages.admin(token=await _viewer(request, request.scope["nextauth"]["token"]) or {}))


async def chat(request: Request) -> Response:
    return _html(pages.chat(token=await _viewer(request, request.scope["nextauth"]["token"]) or {}))


# ----------------------------------------------------------------------------- API and websocket


async def api_me(request: Request) -> Response:
    """What ``WithAuth`` found: the token's claims (a cookie or an ``Authorization: Bearer``),
    or in the database mode the session and user rows."""
    return JSONResponse(request.scope["nextauth"]["token"], headers={"cache-control": "no-store"})


async def api_admin_users(request: Request) -> Response:
    me = await _viewer(request, request.scope["nextauth"]["token"]) or {}
    return JSONResponse({"users": [{"sub": me.get("sub"), "name": me.get("name"), "role": me.get("role")}]})


async def echo(websocket: WebSocket) -> None:
    """Open only with a session (``WithAuth`` refused the others before the handshake)."""
    user = await _viewer(websocket, websocket.scope["nextauth"]["token"]) or {}
    await websocket.accept()
    name = user.get("name") or user.get("email") or user.get("sub") or "there"
    await websocket.send_text(f"Hello, {name}! Send a message and it comes back.")
    async for text in websocket.iter_text():
        await websocket.send_text(f"echo: {text}")


# ----------------------------------------------------------------------------- the app


def build_app(
    *,
    secret: str | None = None,
    database: str | os.PathLike[str] | None = None,
    lookup_ttl: float = DEFAULT_LOOKUP_TTL,
) -> Starlette:
    """The demo app: Starlette routes behind ``WithAuth``.

    ``secret``: next-auth's JWT strategy, sessions in the cookie (the default mode).
    ``database``: next-auth's database strategy instead, sessions in this SQLite file
    (created with ``@auth/pg-adapter``'s tables if new); ``WithAuth`` trusts a lookup for
    ``lookup_ttl`` seconds. The database mode takes no secret: its cookie holds no token to decrypt.
    """
    if database is not None and secret is not None:
        raise ValueError("the database mode takes no secret: its cookie holds a random session token, not a JWE")
    mode: Mode = DatabaseMode(database, lookup_ttl=lookup_ttl) if database is not None else JwtMode(secret or "")
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/login", login_form, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["GET", "POST"]),
            Route("/dashboard", dashboard),
            Route("/admin", admin),
            Route("/chat", chat),
            Route("/api/me", api_me),
            Route("/api/admin/users", api_admin_users),
            WebSocketRoute("/ws", echo),
        ],
        middleware=[
            Middleware(
                WithAuth,
                # The mode's options: the secret (JWT) or the adapter (database), with
                # pages={"signIn": "/login"}, secure_cookie=False and auth_path="/api/auth".
                options=mode.options,
                rules=[  # tried in order, first match wins; then `matcher`
                    Rule("/admin/:path*", authorized=admins_only),  # deny="redirect" (the default)
                    Rule("/api/admin/:path*", authorized=is_admin, deny="status"),  # 401 / 403 JSON
                    Rule("/api/:path*", deny="status"),  # any session will do; 401 JSON without one
                ],
                # Next.js's `config.matcher`: the other protected paths. Unmatched paths
                # (/, /login, /logout) are public: nothing is decoded for them.
                matcher=["/dashboard/:path*", "/chat", "/ws"],
                # Sliding expiry: allowed requests get the JWT cookie re-issued. Database
                # sessions are extended by get_server_session (the dashboard), as in next-auth.
                refresh=True,
            )
        ],
        lifespan=_closing(mode),
    )
    app.state.mode = mode
    if secret is not None:
        app.state.secret = secret
    return app


def serve(*, host: str, port: int, secret: str | None = None, database: str | os.PathLike[str] | None = None) -> None:
    """Run the demo under uvicorn until interrupted (``secret`` or ``database``: see :func:`build_app`;
    the websocket implementation: see :func:`websocket_options`)."""
    try:
        import uvicorn
    except ImportError as exc:
        raise DemoDependencyError(
            "the demo server needs uvicorn, which is not installed: pip install 'asgi_withauth[demo]'"
        ) from exc
    options = websocket_options()
    uvicorn.run(build_app(secret=secret, database=database), host=host, port=port, log_level="info", **options)


HANDSHAKE_NOISE: Final = "ASGI callable returned without completing handshake."
"""What uvicorn's ``websockets`` implementations log as an ERROR after an app refuses a
websocket with an HTTP response (WithAuth's correct 403): the handshake was indeed never completed."""


class _RefusalNoise(logging.Filter):
    """Drops :data:`HANDSHAKE_NOISE`: in the demo every websocket the app serves is accepted,
    so the line only ever follows WithAuth's refusals."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != HANDSHAKE_NOISE


def websocket_options() -> dict[str, Any]:
    """uvicorn's ``ws`` option for the demo: its wsproto implementation when installed (it
    logs a refused websocket as the 403 it is and nothing more); else uvicorn's default, with
    :data:`HANDSHAKE_NOISE` filtered out of the ``uvicorn.error`` log."""
    if importlib.util.find_spec("wsproto") is not None:
        return {"ws": "wsproto"}
    errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _RefusalNoise) for f in errors.filters):
        errors.addFilter(_RefusalNoise())
    return {}


# ----------------------------------------------------------------------------- cookies


def session_cookies(token: str, *, existing: Iterable[str] = ()) -> list[str]:
    """``Set-Cookie`` values for a new session, as next-auth writes them.

    ``Path=/; Expires=<now + max age>; HttpOnly; SameSite=Lax``; a token longer than one
    cookie holds is split into ``<name>.0``, ``<name>.1``, ...; cookies of an older session
    (``existing`` are the names on the request) that are not rewritten get ``Max-Age=0``.
    """
    expires = time.time() + MAX_AGE
    return [
        serialize_cookie(write.name, "", max_age=0)
        if write.clear
        else serialize_cookie(write.name, write.value, expires=expires)  # defaults: Path=/, HttpOnly, Lax
        for write in chunk_session_cookie(SESSION_COOKIE, token, existing=existing)
    ]


def cleared_session_cookies(*, existing: Iterable[str] = ()) -> list[str]:
    """``Set-Cookie`` values that remove the session cookie and every chunk of it."""
    writes = clear_session_cookie(SESSION_COOKIE, existing=[SESSION_COOKIE, *existing])
    return [serialize_cookie(write.name, "", max_age=0) for write in writes]


def safe_callback_url(value: str | None, default: str = DEFAULT_CALLBACK) -> str:
    """``callbackUrl`` if it is a path on this site, else ``default``.

    ``//evil.example`` and ``/\\evil.example`` are other hosts to a browser, and
    ``https://evil.example`` obviously is: following them would be an open redirect.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(char.isspace() or not char.isprintable() for char in value):
        return default  # browsers drop tabs and newlines: "/\t/evil.example" is "//evil.example"
    return value


# ----------------------------------------------------------------------------- helpers


def _mode(conn: HTTPConnection) -> Mode:
    mode: Mode = conn.app.state.mode
    return mode


async def _viewer(conn: HTTPConnection, token: dict[str, Any] | None) -> dict[str, Any] | None:
    """Who ``token`` is (name, email, sub, role), as the app's mode sees it."""
    return await _mode(conn).viewer(token)


def _closing(mode: Mode) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: nothing at start; the mode's connections closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await mode.aclose()

    return lifespan


def _html(text: str, *, status_code: int = 200) -> HTMLResponse:
    # Pages show session data: keep them out of shared caches and the back-forward cache.
    return HTMLResponse(text, status_code=status_code, headers={"cache-control": "no-store"})


def _set_cookies(response: Response, cookies: Iterable[str]) -> None:
    response.raw_headers.extend((b"set-cookie", cookie.encode("latin-1")) for cookie in cookies)


async def _read_form(request: Request) -> dict[str, str] | None:
    """An urlencoded form body (first value of each field); None when it is too large.

    Parsed by hand because Starlette's ``request.form()`` needs python-multipart.
    """
    body = bytearray()
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            body += chunk
            if len(body) > _MAX_FORM_BYTES:
                return None
    form: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(key, value)
    return form


def _check_sign_in(form: dict[str, str]) -> str | None:
    """What is wrong with the sign-in form, or None."""
    name, email = form.get("name", "").strip(), form.get("email", "").strip()
    if not name:
        return "Enter a name."
    if len(name.encode()) > _MAX_NAME_BYTES:
        return f"The name is too long (at most {_MAX_NAME_BYTES} bytes)."
    if not email or "@" not in email or len(email) > 254 or any(char.isspace() for char in email):
        return "Enter an email address."
    if form.get("role") not in ("user", "admin"):
        return "Choose the role user or admin."
    return None
