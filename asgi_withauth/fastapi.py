"""FastAPI dependencies: the token, the session, and a ``require(...)`` guard.

They work with or without ``WithAuth`` in front; when it ran, its decoded token is reused
(no second decode). Install FastAPI with the ``fastapi`` extra. The dependencies declare
FastAPI security schemes (the session cookie and HTTP Bearer) for ``/docs``.

    auth = NextAuth()                      # secret from NEXTAUTH_SECRET / AUTH_SECRET

    @app.get("/me")
    async def me(token: dict = Depends(auth.require())):
        return {"sub": token["sub"]}
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Depends, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException, WebSocketException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ._logging import logger
from ._middleware.crosssite import cross_site_check
from ._request.cookies import session_cookie_name
from ._token import request_token
from .crosssite import DEFAULT_PROTECTION, MAX_TOKEN_BODY, CrossSiteProtection
from .errors import MissingSecretError
from .options import AuthOptions
from .requirements import Requirement
from .sessions import SessionStrategy, sessions_for

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import AuthKwargs

__all__ = ["NextAuth"]

Authorized = Callable[[dict[str, Any], HTTPConnection], "bool | Awaitable[bool]"]

_UNCONFIGURED_DETAIL = "Sessions cannot be checked: the server has no secret configured."
"""The 401's detail when no secret is configured (the log says what to set)."""


class TokenDependency(Protocol):
    """``auth.token``: ``conn`` is the request; the schemes' values only document."""

    def __call__(
        self, conn: HTTPConnection, cookie: str | None = ..., bearer: HTTPAuthorizationCredentials | None = ...
    ) -> Awaitable[dict[str, Any] | None]: ...


class SessionDependency(Protocol):
    """``auth.session``: the refreshed cookies go on ``response``."""

    def __call__(
        self, request: Request, response: Response, cookie: str | None = ...
    ) -> Awaitable[dict[str, Any] | None]: ...


class NextAuth:
    """next-auth sessions as FastAPI dependencies: ``auth.token``, ``auth.session``,
    ``auth.require(authorized=None)``. Takes an :class:`~asgi_withauth.options.AuthOptions`
    or its keyword arguments (``secret``, ``callbacks``, ``session={"maxAge": ...}`` ...).

    The dependencies declare OpenAPI security schemes, so ``/docs`` has an Authorize button:
    the session cookie (``cookie_scheme``, an API key in a cookie) and ``Authorization:
    Bearer`` (``bearer_scheme``, e.g. a token from ``asgi-withauth mint``). They only
    document: the session is read as ``get_token`` reads it, whatever they hold.

    Without a secret (none given, no ``NEXTAUTH_SECRET``/``AUTH_SECRET``) it logs a warning
    when built, and every dependency answers 401 saying so (see :meth:`configuration_error`).
    """

    token: TokenDependency
    """Dependency: the decoded token, or None (WithAuth's, when it ran)."""
    session: SessionDependency
    """Dependency: ``get_server_session``; the refreshed cookies go on the response."""

    def __init__(
        self,
        options: AuthOptions | None = None,
        /,
        *,
        cross_site: CrossSiteProtection | None = DEFAULT_PROTECTION,
        **kwargs: Unpack[AuthKwargs],
    ) -> None:
        self.options = AuthOptions.build(options, **kwargs)
        self.sessions: SessionStrategy = sessions_for(self.options)
        self.cross_site = None if cross_site is None else cross_site_check(cross_site, self.sessions)
        self.cookie_scheme = APIKeyCookie(
            name=self._cookie_name(),
            scheme_name="NextAuthCookie",
            description="next-auth's session cookie (set by signing in to the Next.js app).",
            auto_error=False,
        )
        self.bearer_scheme = HTTPBearer(
            scheme_name="NextAuthBearer",
            bearerFormat="JWE",
            description="A next-auth session token, e.g. from `asgi-withauth mint --claims ...`.",
            auto_error=False,
        )
        self.token = self._token_dependency()
        self.session = self._session_dependency()
        self._warned_unconfigured = False
        if not self.sessions.configured:
            logger.warning(
                "NextAuth has no secret: every request to a route that depends on auth.token, auth.session "
                "or auth.require() will get a 401. Pass secret=... or set NEXTAUTH_SECRET (or AUTH_SECRET) "
                "to the Next.js app's secret."
            )

    def _cookie_name(self) -> str:
        if self.options.cookie_name is not None:
            return self.options.cookie_name
        secure = self.options.resolved_secure_cookie is True
        return session_cookie_name(version=self.options.version or 4, secure=secure)

    async def refuse_cross_site(self, conn: HTTPConnection) -> None:
        """Raise 403 (a 1008 close for a websocket) for a cross-site write that carries the
        session cookie (see :class:`~asgi_withauth.crosssite.CrossSiteProtection`); every
        dependency here calls it first."""
        check, scope = self.cross_site, conn.scope
        if check is None or not check.applies(scope):
            return

        async def body() -> bytes | None:
            raw = await conn.body() if isinstance(conn, Request) else b""
            return raw if len(raw) <= MAX_TOKEN_BODY else None

        if await check.refusal(scope, body) is not None:
            if scope["type"] == "websocket":
                raise WebSocketException(1008, "cross-site request refused")
            raise HTTPException(403, "Refused: a cross-site request that changes state, sent with the session cookie.")

    def configuration_error(self, conn: HTTPConnection) -> HTTPException | WebSocketException:
        """What a dependency raises when no secret is configured: a 401 saying so (a 1008
        close for a websocket), never a 500. The configuration error is logged once."""
        if not self._warned_unconfigured:
            self._warned_unconfigured = True
            logger.error(
                "no secret configured: NextAuth answers 401 to every request that needs a session. "
                "Set NEXTAUTH_SECRET (or AUTH_SECRET), or pass secret=... to NextAuth."
            )
        if conn.scope["type"] == "websocket":
            return WebSocketException(1008, "the server has no secret configured")
        return HTTPException(401, _UNCONFIGURED_DETAIL, headers={"WWW-Authenticate": "Bearer"})

    def _token_dependency(self) -> TokenDependency:
        sessions, refuse_cross_site = self.sessions, self.refuse_cross_site
        configuration_error = self.configuration_error
        cookie_security, bearer_security = Security(self.cookie_scheme), Security(self.bearer_scheme)

        async def token(
            conn: HTTPConnection,
            cookie: str | None = cookie_security,
            bearer: HTTPAuthorizationCredentials | None = bearer_security,
        ) -> dict[str, Any] | None:
            """The decoded token, or None (WithAuth's, when it ran)."""
            await refuse_cross_site(conn)
            try:
                return await request_token(conn, sessions)
            except MissingSecretError:
                raise configuration_error(conn) from None

        return token

    def _session_dependency(self) -> SessionDependency:
        sessions, cookie_security = self.sessions, Security(self.cookie_scheme)
        refuse_cross_site, configuration_error = self.refuse_cross_site, self.configuration_error

        async def session(
            request: Request, response: Response, cookie: str | None = cookie_security
        ) -> dict[str, Any] | None:
            """``get_server_session``; the refreshed cookies go on the response."""
            await refuse_cross_site(request)
            try:
                result = await sessions.load_session(request.scope)
            except MissingSecretError:
                raise configuration_error(request) from None
            result.apply(response)
            return result.session

        return session

    def require(self, authorized: Requirement | Authorized | None = None) -> Callable[..., Awaitable[dict[str, Any]]]:
        """Dependency factory: the token, or 401 (with ``WWW-Authenticate: Bearer``) without one,
        or 403 when ``authorized(token, request)`` does not return True. ``authorized`` may be
        a :class:`~asgi_withauth.requirements.Requirement` (``require(role="admin")``); a
        session is needed either way."""

        session_token = Depends(self.token)

        async def dependency(conn: HTTPConnection, token: dict[str, Any] | None = session_token) -> dict[str, Any]:
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
