"""Test plumbing shared by tests/test_recipes.py and tests/test_integrations.py (not part of the
recipes): an httpx2 client, session cookies, and the two ASGI exchanges httpx2 does not drive,
lifespan and websockets."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2

from asgi_withauth import jwt
from tests.asgi import cookie_header, lifespan_scope, websocket_scope
from tests.recipes import SECRET

ADA: Final = {"sub": "42", "name": "Ada", "email": "ada@example.com", "picture": "https://example.com/ada.png"}
ADA_USER: Final = {"name": "Ada", "email": "ada@example.com", "image": "https://example.com/ada.png"}
COOKIE: Final = "next-auth.session-token"
THIRTY_DAYS: Final = 30 * 24 * 3600
ISO_MS: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
"""JavaScript's ``Date.prototype.toISOString()``, the format of a session's ``expires``."""


def session_cookie(claims: Mapping[str, Any] = ADA, *, max_age: int = THIRTY_DAYS) -> dict[str, str]:
    """A ``Cookie`` header with next-auth's session cookie for ``claims``."""
    return {"cookie": cookie_header({COOKIE: jwt.encode(claims, SECRET, max_age=max_age)})}


def callback_url(location: str) -> str:
    """The ``callbackUrl`` of a sign-in redirect."""
    return parse_qs(urlsplit(location).query)["callbackUrl"][0]


def seconds_until(iso: str) -> float:
    """Seconds from now until an ``expires`` in ``toISOString()`` form."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() - time.time()


def set_cookies(headers: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """``Set-Cookie`` values by cookie name: the value and the attributes (names lowercased,
    as frameworks differ in case and order: Django writes ``expires=`` first)."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for header in headers:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        found[name] = (value, {k.strip().lower(): v.strip() for k, _, v in (a.partition("=") for a in attributes)})
    return found


def client(app: Any, base_url: str = "http://testserver") -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=base_url)


async def lifespan(app: Any) -> list[dict[str, Any]]:
    """Start the app and shut it down, as a server does; what it sent back."""
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(lifespan_scope(), receive, send)
    return sent


async def websocket(app: Any, path: str, headers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Open a websocket on ``path``; what the app sent until it closed or refused it.

    The client says nothing after connecting and disconnects once the app has closed (frameworks
    that read the socket in the background would otherwise see the client leave at once).
    """
    sent: list[dict[str, Any]] = []
    done = anyio.Event()
    connected = False

    async def receive() -> dict[str, Any]:
        nonlocal connected
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        await done.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Any) -> None:
        sent.append(dict(message))
        if message["type"] in ("websocket.close", "websocket.http.response.body"):
            done.set()

    scope = websocket_scope(f"ws://testserver{path}", headers=headers)
    with anyio.fail_after(5):
        await app(scope, receive, send)
    return sent
