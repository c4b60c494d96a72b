"""Starlette's authentication: ``request.user``, ``request.auth`` and ``@requires``.

Put Starlette's own ``AuthenticationMiddleware`` with :class:`NextAuthBackend` inside
``WithAuth`` (or alone). When ``WithAuth`` already decoded the token, the backend reuses
it; otherwise it reads the session itself, as ``get_token`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from ._cache import TokenCache
from .token import TokenReader, cached_token

__all__ = ["NextAuthBackend", "NextAuthUser"]


class NextAuthUser(BaseUser):
    """A signed-in user; ``token`` is the decoded next-auth token."""

    def __init__(self, token: dict[str, Any]) -> None:
        self.token = token

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return str(self.token.get("name") or self.token.get("email") or self.token.get("sub") or "")

    @property
    def identity(self) -> str:
        return str(self.token.get("sub") or "")


class NextAuthBackend(AuthenticationBackend):
    """An ``AuthenticationBackend`` for next-auth sessions.

    ``scopes(token)`` returns the scopes for ``request.auth.scopes`` (``"authenticated"``
    is always added). Other keyword arguments are ``get_token``'s (``secret``,
    ``cookie_name``, ...). No session: Starlette's ``UnauthenticatedUser``.
    """

    def __init__(
        self,
        *,
        scopes: Callable[[dict[str, Any]], Iterable[str]] | None = None,
        cache_size: int = 1024,
        **token_options: Any,
    ) -> None:
        self.scopes = scopes
        self.reader = TokenReader(**token_options)
        self.cache = TokenCache(cache_size, leeway=self.reader.leeway)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        nextauth = conn.scope.get("nextauth")
        token = nextauth["token"] if nextauth is not None else await cached_token(self.reader, self.cache, conn.scope)
        if token is None:
            return None
        extra = list(self.scopes(token)) if self.scopes is not None else []
        return AuthCredentials(["authenticated", *extra]), NextAuthUser(token)
