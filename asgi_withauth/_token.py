"""``get_token``: next-auth's getToken for ASGI requests, and the token WithAuth checked.

The session token comes from next-auth's session cookie (chunked or not) or, when there
is none, from ``Authorization: Bearer <token>``. Absent or invalid tokens give None; only
a missing secret raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from ._request.headers import Conn, scope_of
from .errors import MissingSecretError
from .options import AuthOptions
from .sessions import SessionStrategy, sessions_for

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import AuthKwargs

__all__ = ["get_token", "nextauth_token", "request_token"]


def nextauth_token(conn: Conn) -> dict[str, Any] | None:
    """The token WithAuth put on this request (``scope["nextauth"]["token"]``), or None when
    WithAuth did not check it (an unmatched or public path) or it allowed no token."""
    nextauth = scope_of(conn).get("nextauth")
    return None if nextauth is None else nextauth.get("token")


async def request_token(conn: Conn, sessions: SessionStrategy) -> dict[str, Any] | None:
    """The token WithAuth already checked for this request, else the one ``sessions`` reads
    (a fresh copy of the claims either way is the caller's to keep)."""
    scope = scope_of(conn)
    nextauth = scope.get("nextauth")
    if nextauth is not None:
        token: dict[str, Any] | None = nextauth["token"]
        return token
    found = await sessions.read(scope)
    return None if found is None else found.claims()


@overload
async def get_token(
    conn: Conn, *, options: AuthOptions | None = ..., raw: Literal[False] = ..., **kwargs: Unpack[AuthKwargs]
) -> dict[str, Any] | None: ...


@overload
async def get_token(
    conn: Conn, *, options: AuthOptions | None = ..., raw: Literal[True], **kwargs: Unpack[AuthKwargs]
) -> str | None: ...


async def get_token(
    conn: Conn, *, options: AuthOptions | None = None, raw: bool = False, **kwargs: Unpack[AuthKwargs]
) -> dict[str, Any] | str | None:
    """The decoded session token of a request (next-auth's ``getToken``), or None.

    ``conn`` is any framework's request object with a ``scope`` (Starlette, FastAPI,
    Litestar, Quart, Django) or an ASGI scope. ``options`` (an
    :class:`~asgi_withauth.options.AuthOptions`, built once) or its keyword arguments say
    how to read it: ``secret``, ``cookie_name``, ``version`` (4: ``next-auth.session-token``,
    5: ``authjs.session-token``, None: both names, each in its own format), ``salt`` (default
    "" for v4, the cookie name for v5), ``decode`` (replaces the codec), ``leeway``...
    ``raw=True`` returns the token string undecoded. Raises
    :class:`~asgi_withauth.errors.MissingSecretError` when no secret is configured.

    Keys are derived once per options object: pass ``options=`` to calls on a hot path;
    keyword arguments alone build (and derive) anew on every call.
    """
    sessions = sessions_for(AuthOptions.build(options, **kwargs))
    scope = scope_of(conn)
    if raw:
        return sessions.raw_token(scope)
    if not sessions.configured:
        raise MissingSecretError()
    found_token = await sessions.read(scope)
    return None if found_token is None else found_token.claims()
