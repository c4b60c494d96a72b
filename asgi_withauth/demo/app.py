"""The demo app: Starlette routes behind ``WithAuth`` (what :mod:`asgi_withauth.demo` describes).

Built from the package's public face (``WithAuth``, ``Rule``, ``get_token``,
``load_server_session``, ``jwt``, ``cookies``), as an application would be.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from contextlib import aclosing
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from .. import Rule, WithAuth, get_token, jwt, load_server_session
from .._request.cookies import chunk_session_cookie, clear_session_cookie, serialize_cookie, session_cookie_name
from ..errors import DemoDependencyError
from . import pages

__all__ = ["build_app", "cleared_session_cookies", "safe_callback_url", "serve", "session_cookies"]

SESSION_COOKIE: Final = session_cookie_name(version=4, secure=False)  # "next-auth.session-token"
"""The demo runs on plain http on a loopback address, so next-auth would use the unprefixed
name (``__Secure-next-auth.session-token`` is for https). Every reader below is told
``secure_cookie=False`` so that a ``NEXTAUTH_URL`` in your environment cannot change that."""

MAX_AGE: Final = jwt.DEFAULT_MAX_AGE  # next-auth's default session lifetime: 30 days
DEFAULT_CALLBACK: Final = "/dashboard"

_MAX_FORM_BYTES: Final = 64 * 1024
_MAX_NAME_BYTES: Final = 3000  # long enough to see a chunked cookie, short enough for any server


# ----------------------------------------------------------------------------- authorization


def admins_only(token: dict[str, Any] | None, request: HTTPConnection) -> bool | Response:
    """The ``/admin`` rule's ``authorized(token, request)``.

    ``False`` denies with the rule's ``deny`` ("redirect": to the sign-in page, which sends
    the user back here afterwards). A response is sent as is: a signed-in user without the
    role gets a 403 page rather than a sign-in loop.
    """
    if token is None:
        return False
    if token.get("role") == "admin":
        return True
    return _html(pages.forbidden(token=token), status_code=403)


def is_admin(token: dict[str, Any] | None, request: HTTPConnection) -> bool:
    """The ``/api/admin`` rule's check; ``deny="status"`` turns False into 401 or 403 JSON."""
    return token is not None and token.get("role") == "admin"


# ----------------------------------------------------------------------------- pages


async def home(request: Request) -> Response:
    # A public page can still look at the session: get_token returns the claims or None.
    token = await get_token(request, secret=_secret(request), secure_cookie=False)
    origin = str(request.base_url).rstrip("/")
    return _html(pages.home(user=token, cookie_name=SESSION_COOKIE, origin=origin))


async def login_form(request: Request) -> Response:
    token = await get_token(request, secret=_secret(request), secure_cookie=False)
    callback = request.query_params.get("callbackUrl")
    return _html(pages.login(callback_url=callback, user=token, values={}))


async def login(request: Request) -> Response:
    """The stand-in for next-auth's sign-in: mint a session token and set it as next-auth would."""
    callback = request.query_params.get("callbackUrl")
    form = await _read_form(request)
    if form is None:
        return _html(pages.page("Sign in", '<p class="error">The form is too large.</p>'), status_code=413)
    problem = _check_sign_in(form)
    if problem:
        page = pages.login(callback_url=callback, user=None, error=problem, values=form)
        return _html(page, status_code=400)
    email = form["email"].strip()
    claims = {  # next-auth v4's default token, plus the role a jwt callback would add
        "name": form["name"].strip(),
        "email": email,
        "picture": None,
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, "mailto:" + email.lower())),  # a stable user id
        "role": form["role"],
    }
    token = jwt.encode(claims, _secret(request), max_age=MAX_AGE)  # adds iat, exp, jti
    response = RedirectResponse(safe_callback_url(callback), status_code=303)
    _set_cookies(response, session_cookies(token, existing=request.cookies))
    return response


async def logout(request: Request) -> Response:
    """next-auth's sign-out: clear the session cookie and every chunk of it, then go home."""
    response = RedirectResponse("/", status_code=303)
    _set_cookies(response, cleared_session_cookies(existing=request.cookies))
    return response


async def dashboard(request: Request) -> Response:
    # next-auth's getServerSession. load_server_session also returns the Set-Cookie headers
    # that re-issue the cookie with a fresh expiry; .apply() puts them on our response.
    result = await load_server_session(
        request, secret=_secret(request), secure_cookie=False, callbacks={"session": add_user_fields}
    )
    page = pages.dashboard(session=result.session, token=request.scope["nextauth"]["token"])
    response = _html(page)
    result.apply(response)
    return response


def add_user_fields(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    """A next-auth ``session`` callback: expose the user's id and role to the session."""
    session["user"]["id"] = token.get("sub")
    session["user"]["role"] = token.get("role")
    return session


async def admin(request: Request) -> Response:
    return _html(pages.admin(token=request.scope["nextauth"]["token"]))


async def chat(request: Request) -> Response:
    return _html(pages.chat(token=request.scope["nextauth"]["token"]))


# ----------------------------------------------------------------------------- API and websocket


async def api_me(request: Request) -> Response:
    """The claims of the token ``WithAuth`` decoded (a cookie or an ``Authorization: Bearer``)."""
    return JSONResponse(request.scope["nextauth"]["token"], headers={"cache-control": "no-store"})


async def api_admin_users(request: Request) -> Response:
    me = request.scope["nextauth"]["token"]
    return JSONResponse({"users": [{"sub": me.get("sub"), "name": me.get("name"), "role": me.get("role")}]})


async def echo(websocket: WebSocket) -> None:
    """Open only with a session (``WithAuth`` refused the others before the handshake)."""
    token = websocket.scope["nextauth"]["token"]
    await websocket.accept()
    name = token.get("name") or token.get("email") or token.get("sub") or "there"
    await websocket.send_text(f"Hello, {name}! Send a message and it comes back.")
    async for text in websocket.iter_text():
        await websocket.send_text(f"echo: {text}")


# ----------------------------------------------------------------------------- the app


def build_app(*, secret: str) -> Starlette:
    """The demo app: Starlette routes behind ``WithAuth``."""
    if not secret:
        raise ValueError("the demo needs a secret (the one a next-auth front end would share)")
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
                secret=secret,
                pages={"signIn": "/login"},  # next-auth's spelling; sign_in_page="/login" also works
                rules=[  # tried in order, first match wins; then `matcher`
                    Rule("/admin/:path*", authorized=admins_only),  # deny="redirect" (the default)
                    Rule("/api/admin/:path*", authorized=is_admin, deny="status"),  # 401 / 403 JSON
                    Rule("/api/:path*", deny="status"),  # any session will do; 401 JSON without one
                ],
                # Next.js's `config.matcher`: the other protected paths. Unmatched paths
                # (/, /login, /logout) are public: nothing is decoded for them.
                matcher=["/dashboard/:path*", "/chat", "/ws"],
                refresh=True,  # sliding expiry: allowed requests get the session cookie re-issued
                secure_cookie=False,  # see SESSION_COOKIE
                auth_path="/api/auth",  # next-auth's own routes (none here), whatever NEXTAUTH_URL says
            )
        ],
    )
    app.state.secret = secret
    return app


def serve(*, host: str, port: int, secret: str) -> None:
    """Run the demo under uvicorn until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:
        raise DemoDependencyError(
            "the demo server needs uvicorn, which is not installed: pip install 'asgi_withauth[demo]'"
        ) from exc
    uvicorn.run(build_app(secret=secret), host=host, port=port, log_level="info")


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


def _secret(conn: HTTPConnection) -> str:
    return str(conn.app.state.secret)


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
