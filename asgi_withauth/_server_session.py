"""``get_server_session``: next-auth's getServerSession for ASGI handlers.

Reads the session cookie (never a Bearer header) through the options' session strategy,
runs the ``jwt`` and ``session`` callbacks, and produces the ``Set-Cookie`` headers
next-auth would send (sliding expiry, chunked as needed). An invalid token, or a callback
that fails, gives None and clears the session cookies. Only a missing secret raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._request.headers import Conn, scope_of
from .options import AuthOptions
from .sessions import ServerSession, sessions_for

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import AuthKwargs

__all__ = ["get_server_session", "load_server_session", "load_updated_session", "sign_out", "update_session"]


async def load_server_session(
    conn: Conn, *, options: AuthOptions | None = None, **kwargs: Unpack[AuthKwargs]
) -> ServerSession:
    """The session and the cookies to send, as next-auth's session route computes them.

    See :func:`get_server_session` for the options.
    """
    sessions = sessions_for(AuthOptions.build(options, **kwargs))
    return await sessions.load_session(scope_of(conn))


async def get_server_session(
    conn: Conn, *, response: Any = None, options: AuthOptions | None = None, **kwargs: Unpack[AuthKwargs]
) -> dict[str, Any] | None:
    """next-auth's ``getServerSession``: the session, or None.

    ``options`` (an :class:`~asgi_withauth.options.AuthOptions`, built once) or its keyword
    arguments: ``callbacks={"jwt": f, "session": g}`` as in next-auth's options (sync or
    async; keyword or dict style); ``max_age`` (or ``session={"maxAge": ...}``) sets the new
    expiry, default 30 days; ``update_age`` (or ``session={"updateAge": ...}``) skips
    rewriting a cookie issued less than that many seconds ago and unchanged by the callbacks
    (next-auth rewrites it every time). The refreshed cookies go onto ``response`` when given
    (Starlette, FastAPI, Quart, Litestar, Django responses); with none they are dropped: use
    :func:`load_server_session` to send them yourself. Raises
    :class:`~asgi_withauth.errors.MissingSecretError` without a secret.
    """
    result = await load_server_session(conn, options=options, **kwargs)
    if response is not None:
        result.apply(response)
    return result.session


async def load_updated_session(
    conn: Conn, data: Any, *, options: AuthOptions | None = None, **kwargs: Unpack[AuthKwargs]
) -> ServerSession:
    """The updated session and the cookies to send, as next-auth's session update computes them.

    See :func:`update_session`.
    """
    sessions = sessions_for(AuthOptions.build(options, **kwargs))
    return await sessions.update_session(scope_of(conn), data)


async def update_session(
    conn: Conn, data: Any, *, response: Any = None, options: AuthOptions | None = None, **kwargs: Unpack[AuthKwargs]
) -> dict[str, Any] | None:
    """next-auth's session update (``useSession().update(data)``, Auth.js's ``unstable_update``):
    the updated session, or None when the request has none.

    JWT strategy: the ``jwt`` callback runs with ``trigger="update"`` and ``session=data``,
    then the ``session`` callback; the re-encoded token is written as the session cookie(s).
    Database strategy: the ``session`` callback gets ``trigger="update"`` and
    ``newSession=data``; the row is extended as next-auth does and the cookie re-set.
    The cookies go onto ``response`` (as with :func:`get_server_session`). Raises
    :class:`~asgi_withauth.errors.SessionUpdateError`, having written nothing, when ``data``
    is not JSON, the token would be too large, or a callback (or the adapter) fails.
    """
    result = await load_updated_session(conn, data, options=options, **kwargs)
    if response is not None:
        result.apply(response)
    return result.session


async def sign_out(
    conn: Conn, *, response: Any = None, options: AuthOptions | None = None, **kwargs: Unpack[AuthKwargs]
) -> None:
    """next-auth's sign-out: deletes the session row (database strategy; a failure is logged)
    and clears every chunk of the session cookie on ``response``. Without a session cookie,
    nothing to do. Without ``response``, use ``sessions_for(options).sign_out(scope)`` and send
    its ``set_cookie`` values yourself.
    """
    sessions = sessions_for(AuthOptions.build(options, **kwargs))
    result = await sessions.sign_out(scope_of(conn))
    if response is not None:
        result.apply(response)
