"""Starlette's authentication: ``request.user``, ``request.auth`` and ``@requires``.

Put Starlette's own ``AuthenticationMiddleware`` with :class:`NextAuthBackend` inside
``WithAuth`` (or alone). When ``WithAuth`` already decoded the token, the backend reuses
it; otherwise it reads the session itself, as ``get_token`` does. :func:`role_scopes` gives
``request.auth.scopes`` such as ``"role:admin"`` for ``@requires("role:admin")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from ._middleware.crosssite import cross_site_check
from ._token import request_token
from .crosssite import DEFAULT_PROTECTION, CrossSiteProtection
from .options import AuthOptions
from .requirements import Source, values_of
from .sessions import SessionStrategy, sessions_for

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import AuthKwargs

__all__ = ["NextAuthBackend", "NextAuthUser", "role_scopes"]


class NextAuthUser(BaseUser):
    """A signed-in user; ``token`` is the decoded next-auth token (jwt strategy) or the
    database session's ``{"user": ..., "session": ...}`` (database strategy)."""

    def __init__(self, token: dict[str, Any]) -> None:
        self.token = token

    @property
    def _claims(self) -> dict[str, Any]:
        """Who the user is: the token's own claims, or the database session's user row."""
        user = self.token.get("user")
        if isinstance(user, dict) and "session" in self.token:
            return {"sub": user.get("id"), "name": user.get("name"), "email": user.get("email")}
        return self.token

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        claims = self._claims
        return str(claims.get("name") or claims.get("email") or claims.get("sub") or "")

    @property
    def identity(self) -> str:
        sub = self._claims.get("sub")
        return "" if sub is None else str(sub)


class NextAuthBackend(AuthenticationBackend):
    """An ``AuthenticationBackend`` for next-auth sessions.

    ``scopes(token)`` returns the scopes for ``request.auth.scopes`` (``"authenticated"``
    is always added). Takes an :class:`~asgi_withauth.options.AuthOptions` or its keyword
    arguments (``secret``, ``cookie_name``, ...). No session: Starlette's ``UnauthenticatedUser``.
    A cross-site write carrying the session cookie (``cross_site``, see
    :class:`~asgi_withauth.crosssite.CrossSiteProtection`; None turns it off) is unauthenticated
    too; ``CrossSiteMiddleware`` refuses it outright and can check a double-submit token.
    """

    def __init__(
        self,
        options: AuthOptions | None = None,
        /,
        *,
        scopes: Callable[[dict[str, Any]], Iterable[str]] | None = None,
        cross_site: CrossSiteProtection | None = DEFAULT_PROTECTION,
        **kwargs: Unpack[AuthKwargs],
    ) -> None:
        self.scopes = scopes
        self.options = AuthOptions.build(options, **kwargs)
        self.sessions: SessionStrategy = sessions_for(self.options)
        self.cross_site = None if cross_site is None else cross_site_check(cross_site, self.sessions)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if self.cross_site is not None and self.cross_site.refusal_now(conn.scope) is not None:
            return None  # the cookie does not authenticate it: @requires refuses, as for no session
        token = await request_token(conn, self.sessions)
        if token is None:
            return None
        extra = list(self.scopes(token)) if self.scopes is not None else []
        return AuthCredentials(["authenticated", *extra]), NextAuthUser(token)


def role_scopes(
    roles: Source = "role",
    permissions: Source = "permissions",
    *,
    role_prefix: str = "role:",
    permission_prefix: str = "permission:",
) -> Callable[[dict[str, Any]], list[str]]:
    """``NextAuthBackend(scopes=role_scopes())``: a scope per role (``"role:admin"``) and per
    permission (``"permission:reports:read"``), read where :func:`~asgi_withauth.requirements.require`
    reads them (a claim path or a function of the token; either strategy)."""

    def scopes(token: dict[str, Any]) -> list[str]:
        found = [role_prefix + role for role in values_of(token, roles)]
        found += [permission_prefix + permission for permission in values_of(token, permissions)]
        return sorted(found)

    return scopes
