"""The shape of one row of the bypass table: a request, what it carries, what must come back, and why.

A :class:`Case` is sent byte for byte (``tests/bypass/client.py``) to each framework's matrix
app (``tests/matrix``) behind ``WithAuth``; its :class:`Expect` says the outcome class and the
exact status (and, for redirects, the exact ``Location`` or ``callbackUrl``). Where a server or
a framework truthfully answers differently, ``vary`` holds the exact expectation for it.

Placeholders in targets, Host values, headers and expectations: ``{host}`` is the server's
``127.0.0.1:<port>``, ``{port}`` its port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from tests.matrix import PROTECTED, PUBLIC, ROOT_PATH

Outcome = Literal["denied", "refused", "allowed", "redirect_safe"]
"""``denied``: WithAuth's sign-in redirect (307), 401 or 403, no protected marker.
``refused``: 400/404/405/414/431/505... (or no response at all, where listed), no marker.
``allowed``: the handler answered (positive controls), with the marker named.
``redirect_safe``: a redirect whose ``Location`` is a same-origin path (WithAuth's 308 to
the canonical path); following it gets ``then``."""

HTTPTOOLS: Final = ("uvicorn-httptools",)
EVERY_SERVER: Final = ("uvicorn-httptools", "uvicorn-h11", "hypercorn")
"""Cases that depend on how the server parses the request line and headers run on all three."""
ROOT_SERVERS: Final = ("uvicorn-httptools", "hypercorn")
"""Cases with ``root_path`` run on these, started with ``--root-path /base``. uvicorn puts the
root path in front of the path the client sends; hypercorn expects the client to send it."""

OWN_ORIGIN: Final = "http://{host}"
SIGN_IN: Final = "/api/auth/signin"

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Credential:
    """What a request carries to authenticate (headers added to it), by a readable name."""

    name: str
    headers: Headers = ()

    def __str__(self) -> str:
        return self.name


NONE: Final = Credential("none")


@dataclass(frozen=True)
class Expect:
    """The outcome of a case on one framework and server."""

    outcome: Outcome
    status: tuple[int, ...]
    callback: str | None = None
    """A 307 to the sign-in page: the exact ``callbackUrl``."""
    origin: str = OWN_ORIGIN
    """A 307 to the sign-in page: the origin of its ``Location``."""
    sign_in: str = SIGN_IN
    """A 307 to the sign-in page: the path of its ``Location`` (the root path in front)."""
    location: str | None = None
    """``redirect_safe``: the exact ``Location`` (a same-origin path)."""
    then: Expect | None = None
    """``redirect_safe``: what a client that follows the ``Location`` gets."""
    marker: str | None = None
    """``allowed``: what the handler's body starts with (``PROTECTED:admin ``)."""

    def __str__(self) -> str:
        detail = self.callback or self.location or self.marker or ""
        return f"{self.outcome} {'/'.join(map(str, self.status))} {detail}".rstrip()


def sign_in(callback: str, *, origin: str = OWN_ORIGIN, root: str = "") -> Expect:
    """Denied: WithAuth's 307 to ``<origin><root>/api/auth/signin?callbackUrl=<callback>``."""
    return Expect("denied", (307,), callback=callback, origin=origin, sign_in=root + SIGN_IN)


UNAUTHORIZED: Final = Expect("denied", (401,))
"""Denied on the API (``Rule("/api/:path*", deny="status")``): 401 with a JSON body."""
FORBIDDEN: Final = Expect("denied", (403,))
"""Denied websocket handshake: 403 before the app accepts it."""


def refused(*status: int) -> Expect:
    """Refused by WithAuth, the server or the router (0: the server closed without answering)."""
    return Expect("refused", status)


def canonical(location: str, then: Expect) -> Expect:
    """WithAuth's 308 to the canonical form of the path, and what following it gets."""
    return Expect("redirect_safe", (308,), location=location, then=then)


def allowed(route: str, *, public: bool = False, websocket: bool = False) -> Expect:
    """The handler of ``route`` answered (200, or 101 and its first message for a websocket)."""
    marker = f"{PUBLIC if public else PROTECTED}{route} "
    return Expect("allowed", (101,) if websocket else (200,), marker=marker)


@dataclass(frozen=True)
class Case:
    """One request shape: sent as is, with ``credentials``, expected to get ``expect``."""

    id: str
    category: str
    method: str
    target: str
    expect: Expect
    why: str
    credentials: Credential = NONE
    headers: Headers = ()
    body: bytes = b""
    websocket: bool = False
    host: tuple[str, ...] = ("{host}",)
    """The ``Host`` headers, in order (none when empty)."""
    version: str = "HTTP/1.1"
    root_path: str = ""
    servers: tuple[str, ...] = HTTPTOOLS
    vary: tuple[tuple[str, Expect], ...] = ()
    """Exact expectations where they differ, by ``framework``, ``server`` or ``framework@server``."""

    def __post_init__(self) -> None:
        if self.root_path not in ("", ROOT_PATH):
            raise ValueError(f"{self.id}: the servers are mounted under {ROOT_PATH!r} only")
        if self.root_path and self.servers == HTTPTOOLS:
            object.__setattr__(self, "servers", ROOT_SERVERS)

    def expected(self, framework: str, server: str) -> Expect:
        """The expectation on ``framework`` served by ``server``: the most specific one."""
        found = dict(self.vary)
        for key in (f"{framework}@{server}", server, framework):
            if key in found:
                return found[key]
        return self.expect

    def __str__(self) -> str:
        kind = "WS " if self.websocket else ""
        target = self.target if len(self.target) <= 100 else f"{self.target[:100]}...({len(self.target)} chars)"
        return f"{self.id}: {kind}{self.method} {ascii(target)[1:-1]} [{self.credentials}]"
