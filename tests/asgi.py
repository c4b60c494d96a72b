"""A tiny in-process ASGI client: build a scope, run an app, collect what it sent.

One place builds the test tree's scopes and Cookie headers: :func:`http_scope` (also for
websockets), :func:`websocket_scope`, :func:`lifespan_scope` and :func:`cookie_header`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""Header names and values, in order (repeats kept when given as pairs)."""
Cookies = Mapping[str, str] | Iterable[tuple[str, str]]
"""Cookie names and values, in order (repeats kept when given as pairs)."""


@dataclass
class Sent:
    """What an app sent back for one request."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> int:
        start = self.messages[0]
        return int(start["status"]) if "status" in start else 0

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0].get("headers", [])}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def cookie_header(cookies: Cookies) -> str:
    """A ``Cookie`` header's value, as a browser writes it: ``a=1; b=2`` (values as given)."""
    pairs = cookies.items() if isinstance(cookies, Mapping) else cookies
    return "; ".join(f"{name}={value}" for name, value in pairs)


def http_scope(
    url: str = "http://testserver/",
    *,
    method: str = "GET",
    headers: Headers | None = None,
    cookies: Cookies | None = None,
    root_path: str = "",
    kind: str = "http",
    raw_path: bytes | None = None,
    path: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A scope as uvicorn builds it: ``path`` percent-decoded, ``raw_path`` as sent.

    ``url`` may be a path alone (``"/x?y=1"``: host ``testserver``, plain http). ``raw_path``
    replaces the URL's path; ``path`` sets the decoded path apart from it (servers that
    disagree with themselves). The ``Host`` header comes first, then ``headers``, then one
    ``Cookie`` header made of ``cookies``."""
    parts = urlsplit(url if "://" in url else "http://testserver" + url)
    raw = raw_path if raw_path is not None else (parts.path or "/").encode()
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
    if cookies is not None:
        pairs.append(("cookie", cookie_header(cookies)))
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": parts.scheme,
        "path": unquote(raw.decode("latin-1")) if path is None else path,
        "raw_path": raw,
        "root_path": root_path,
        "query_string": parts.query.encode(),
        "headers": [(b"host", parts.netloc.encode()), *((k.lower().encode(), v.encode()) for k, v in pairs)],
        "server": (parts.hostname, parts.port),
        "client": ("127.0.0.1", 50000),
        "extensions": extensions or {},
    }


def session_scope(url: str, *, cookie: str | None = None, bearer: str | None = None) -> dict[str, Any]:
    """An http scope for ``url`` with a raw Cookie header and/or a Bearer token, when given."""
    headers = {}
    if cookie is not None:
        headers["cookie"] = cookie
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    return http_scope(url, headers=headers)


def websocket_scope(
    url: str = "ws://testserver/", *, headers: Headers | None = None, cookies: Cookies | None = None
) -> dict[str, Any]:
    """A websocket handshake's scope (``ws://`` or ``wss://``), no subprotocols asked for."""
    scope = http_scope(url, headers=headers, cookies=cookies, kind="websocket")
    del scope["method"]
    host, port = scope["server"]
    scope["server"] = (host, port or (443 if scope["scheme"] == "wss" else 80))
    scope["asgi"] = {"version": "3.0", "spec_version": "2.3"}
    return {**scope, "subprotocols": [], "state": {}}


def lifespan_scope() -> dict[str, Any]:
    """The scope of a server's lifespan exchange (startup, then shutdown)."""
    return {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}


async def run_following(app: Any, scope: dict[str, Any], *, limit: int = 2) -> tuple[Sent, Sent]:
    """Run ``app``, and while it answers WithAuth's 308 to the canonical path, send the request
    again there, as a browser does. The first response and the last one."""
    first = sent = await run(app, scope)
    for _ in range(limit):
        if sent.status != 308:
            break
        path, _, query = sent.headers["location"].partition("?")
        assert path.startswith("/"), path
        assert not path.startswith("//"), path
        scope = {**scope, "path": unquote(path), "raw_path": path.encode(), "query_string": query.encode()}
        sent = await run(app, scope)
    return first, sent


async def run(app: Any, scope: dict[str, Any]) -> Sent:
    """Call ``app`` once; the request body is empty, websockets get a connect message."""
    sent = Sent()
    first = {"type": "websocket.connect"} if scope["type"] == "websocket" else {"type": "http.request", "body": b""}
    queue = [first]

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.messages.append(dict(message))

    await app(scope, receive, send)
    return sent
