"""FastAPI dependencies: the token, the session, and a ``require(...)`` guard.

They work with or without ``WithAuth`` in front; when it ran, its decoded token is reused
(no second decode). Install FastAPI with the ``fastapi`` extra. Only Starlette's types are
used here, so the same dependencies also fit Starlette-based frameworks that inject them.

    auth = NextAuth()                      # secret from NEXTAUTH_SECRET / AUTH_SECRET

    @app.get("/me")
    async def me(token: dict = Depends(auth.require())):
        return {"sub": token["sub"]}
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ._token import request_token
from .options import AuthOptions
from .sessions import SessionStrategy, sessions_for

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import AuthKwargs

__all__ = ["NextAuth"]

Authorized = Callable[[dict[str, Any], HTTPConnection], "bool | Awaitable[bool]"]


class NextAuth:
    """next-auth sessions as FastAPI dependencies: ``auth.token``, ``auth.session``,
    ``auth.require(authorized=None)``. Takes an :class:`~asgi_withauth.options.AuthOptions`
    or its keyword arguments (``secret``, ``callbacks``, ``session={"maxAge": ...}`` ...)."""

    def __init__(self, options: AuthOptions | None = None, /, **kwargs: Unpack[AuthKwargs]) -> None:
        self.options = AuthOptions.build(options, **kwargs)
        self.sessions: SessionStrategy = sessions_for(self.options)

    async def token(self, conn: HTTPConnection) -> dict[str, Any] | None:
        """Dependency: the decoded token, or None (WithAuth's, when it ran)."""
        return await request_token(conn, self.sessions)

    async def session(self, request: Request, response: Response) -> dict[str, Any] | None:
        """Dependency: ``get_server_session``; the refreshed cookies go on the response."""
        result = await self.sessions.load_session(request.scope)
        result.apply(response)
        return result.session

    def require(self, authorized: Authorized | None = None) -> Callable[[HTTPConnection], Awaitable[dict[str, Any]]]:
        """Dependency factory: the token, or 401 (with ``WWW-Authenticate: Bearer``) without one,
        or 403 when ``authorized(token, request)`` does not return True."""

        async def dependency(conn: HTTPConnection) -> dict[str, Any]:
            token = await self.token(conn)
            if token is None:
                raise HTTPException(401, "Sign in first: no valid session.", headers={"WWW-Authenticate": "Bearer"})
            if authorized is not None:
                verdict = authorized(token, conn)
                if inspect.isawaitable(verdict):
                    verdict = await verdict
                if verdict is not True:
                    raise HTTPException(403, "This session is not allowed to access this resource.")
            return token

        return dependency
