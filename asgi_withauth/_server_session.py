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

__all__ = ["get_server_session", "load_server_session"]


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
