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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ._cache import TokenCache
from .jwt import DEFAULT_LEEWAY, Secret, Version
from .session import Callback, get_server_session
from .token import DecodeHook, TokenReader, cached_token

__all__ = ["NextAuth"]

Authorized = Callable[[dict[str, Any], HTTPConnection], "bool | Awaitable[bool]"]


class NextAuth:
    """next-auth sessions as FastAPI dependencies: ``auth.token``, ``auth.session``,
    ``auth.require(authorized=None)``. Options are ``get_token``'s and
    ``get_server_session``'s (``callbacks``, ``session={"maxAge": ...}``)."""

    def __init__(
        self,
        *,
        secret: Secret | None = None,
        salt: str | None = None,
        cookie_name: str | None = None,
        version: Version | None = None,
        secure_cookie: bool | None = None,
        decode: DecodeHook | None = None,
        leeway: int = DEFAULT_LEEWAY,
        callbacks: Mapping[str, Callback] | None = None,
        session: Mapping[str, Any] | None = None,
        cache_size: int = 1024,
    ) -> None:
        self.reader = TokenReader(
            secret=secret,
            salt=salt,
            cookie_name=cookie_name,
            version=version,
            secure_cookie=secure_cookie,
            decode=decode,
            leeway=leeway,
        )
        self.cache = TokenCache(cache_size, leeway=leeway)
        self._session_options: dict[str, Any] = {
            "secret": secret,
            "salt": salt,
            "cookie_name": cookie_name,
            "version": version,
            "secure_cookie": secure_cookie,
            "leeway": leeway,
            "callbacks": callbacks,
            "session": session,
        }

    async def token(self, conn: HTTPConnection) -> dict[str, Any] | None:
        """Dependency: the decoded token, or None (WithAuth's, when it ran)."""
        nextauth = conn.scope.get("nextauth")
        if nextauth is not None:
            token: dict[str, Any] | None = nextauth["token"]
            return token
        return await cached_token(self.reader, self.cache, conn.scope)

    async def session(self, request: Request, response: Response) -> dict[str, Any] | None:
        """Dependency: ``get_server_session``; the refreshed cookies go on the response."""
        return await get_server_session(request, response=response, **self._session_options)

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
