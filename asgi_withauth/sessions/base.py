"""What every session strategy shares: where a session was found, what it holds, and the
interface WithAuth and get_server_session use to read, refresh and end it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import BaseCookie
from typing import Any, NamedTuple, Protocol

from ..jwt import Version
from ..options import AuthOptions
from .tokens import DecodedToken

__all__ = ["PENDING", "FoundToken", "ServerSession", "SessionStrategy", "TokenSource"]

PENDING: Any = object()
"""What :attr:`SessionStrategy.claims_now` answers when only :meth:`SessionStrategy.read` can
tell (a database lookup that is not cached)."""


@dataclass(frozen=True, slots=True, eq=False)
class TokenSource:
    """Where a token is looked for, and the (format, salt) pairs to decode it with, in order.

    Compared by identity: each reader builds its own sources once, so a cache hit that
    needs the same source never answers for another place, or another reader's secret.
    """

    cookie_name: str  # "" for the Authorization header
    attempts: tuple[tuple[Version, str], ...]


class FoundToken(NamedTuple):
    """A request's session: the token as sent, where it was found, what it decoded to, and
    the names of the session's cookies on the request (all chunks, so that a rewrite or a
    clearing covers each of them without reading the Cookie header again).
    (A named tuple: built per request, it costs a fraction of a frozen dataclass.)"""

    raw: str
    source: TokenSource
    decoded: DecodedToken
    cookies: tuple[str, ...] = ()

    @property
    def cookie_name(self) -> str | None:
        """The session cookie it came from; None for ``Authorization: Bearer``."""
        return self.source.cookie_name or None

    @property
    def version(self) -> Version | None:
        """The format that decoded it (4 or 5); None when a custom decode hook did."""
        return self.decoded.version

    @property
    def salt(self) -> str:
        """The salt that decoded it (with a decode hook: the salt the hook was given)."""
        return self.decoded.salt

    def claims(self) -> dict[str, Any]:
        """A fresh deep copy of the claims, for the caller to keep or change."""
        return self.decoded.claims()


@dataclass(frozen=True)
class ServerSession:
    """The session (or None) and the ``Set-Cookie`` header values to send with the response."""

    session: dict[str, Any] | None
    set_cookie: list[str] = field(default_factory=list)

    def apply(self, response: Any) -> None:
        """Add the cookies to a response: Starlette/FastAPI (``raw_headers``), Quart, Werkzeug
        and Litestar's ``ASGIResponse`` (``headers.add``), Django (``cookies``). Others: send
        ``set_cookie`` as ``Set-Cookie`` headers yourself."""
        if not self.set_cookie:
            return
        raw = getattr(response, "raw_headers", None)
        if isinstance(raw, list):
            raw.extend((b"set-cookie", value.encode("latin-1")) for value in self.set_cookie)
            return
        add = getattr(getattr(response, "headers", None), "add", None)
        if callable(add):
            for value in self.set_cookie:
                add("Set-Cookie", value)
            return
        jar = getattr(response, "cookies", None)
        if isinstance(jar, BaseCookie):
            for value in self.set_cookie:
                jar.load(value)
            return
        raise TypeError(
            f"cannot add headers to a {type(response).__name__}; call load_server_session() and send "
            "its set_cookie values as Set-Cookie headers"
        )


class SessionStrategy(Protocol):
    """Where sessions come from: next-auth's ``jwt`` strategy (an encrypted cookie, or a Bearer
    token) or, with an adapter, its ``database`` strategy. WithAuth, get_token,
    get_server_session and the integrations use this interface only."""

    options: AuthOptions
    read_now: Callable[[Mapping[str, Any]], FoundToken | None] | None
    """:meth:`read` without a coroutine where the strategy can (None where it must wait)."""
    claims_now: Callable[[Mapping[str, Any]], dict[str, Any] | None] | None
    """The request's claims without a coroutine or a :class:`FoundToken` (the hot path), or
    :data:`PENDING` when only :meth:`read` can tell; None where the strategy has no such path."""

    @property
    def configured(self) -> bool:
        """Whether sessions can be read (a secret, a decode hook, an adapter)."""
        ...

    async def read(self, scope: Mapping[str, Any], *, bearer: bool = True) -> FoundToken | None:
        """The request's session, or None (absent or invalid). ``bearer=False``: cookies only."""
        ...

    def raw_token(self, scope: Mapping[str, Any]) -> str | None:
        """The session token as the request sent it, undecoded (getToken's ``raw``), or None."""
        ...

    def has_session_cookie(self, scope: Mapping[str, Any]) -> bool:
        """Whether the request carries the session cookie (valid or not): what the browser
        sends on its own, which cross-site write protection checks."""
        ...

    async def refresh(self, found: FoundToken, scope: Mapping[str, Any]) -> list[str]:
        """``Set-Cookie`` values that extend ``found`` (sliding expiry); [] when not due."""
        ...

    async def load_session(self, scope: Mapping[str, Any]) -> ServerSession:
        """next-auth's getServerSession: the session after the callbacks, and the cookies to send."""
        ...

    async def update_session(self, scope: Mapping[str, Any], data: Any) -> ServerSession:
        """next-auth's session update (``POST /api/auth/session`` with ``{csrfToken, data}``,
        Auth.js's ``unstable_update``): the callbacks with ``trigger="update"``, the new
        session, and the cookies to send. No session: ``ServerSession(None)``, nothing written.
        Raises :class:`~asgi_withauth.errors.SessionUpdateError` (nothing written) when the
        data is not JSON, the token would be too large, or a callback fails."""
        ...

    async def sign_out(self, scope: Mapping[str, Any]) -> ServerSession:
        """next-auth's sign-out: the session row deleted (database strategy; a failure is
        logged) and ``set_cookie`` clearing every chunk of the session cookie on the request."""
        ...
