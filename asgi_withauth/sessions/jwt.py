"""next-auth's ``jwt`` session strategy: the session is an encrypted token in a cookie.

Reads with :class:`~asgi_withauth.sessions.reader.TokenReader`, refreshes with
:class:`~asgi_withauth.sessions.refresh.SessionRefresher`, and computes getServerSession:
decode, ``jwt`` callback, next-auth's default session, ``session`` callback, and the
re-encoded cookie (sliding expiry). An invalid token, or a callback that fails, gives no
session and clears the cookie. Only a missing secret raises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import CallbackError, MissingSecretError, SessionTooLargeError, SessionUpdateError
from ..options import AuthOptions
from ._callbacks import default_session, iso_ms, json_data, json_object, run_callback
from .base import FoundToken, ServerSession
from .reader import Broken, TokenReader
from .refresh import SessionRefresher

__all__ = ["JwtSessions"]

logger = logging.getLogger("asgi_withauth")


class JwtSessions:
    """Sessions kept in next-auth's encrypted session cookie (or a Bearer token)."""

    strategy = "jwt"
    read_now: Callable[[Mapping[str, Any]], FoundToken | None] | None
    claims_now: Callable[[Mapping[str, Any]], dict[str, Any] | None] | None

    def __init__(self, options: AuthOptions) -> None:
        self.options = options
        self.reader = TokenReader(options)
        self.refresher = SessionRefresher(self.reader)
        self.configured = self.reader.configured  # fixed for the options' lifetime: read per request
        hooked = options.decode is not None
        self.read_now = None if hooked else self.reader.read_token_now
        self.claims_now = None if hooked else self.reader.claims_now

    async def read(self, scope: Mapping[str, Any], *, bearer: bool = True) -> FoundToken | None:
        return await self.reader.read_token(scope, bearer=bearer)

    def raw_token(self, scope: Mapping[str, Any]) -> str | None:
        found = self.reader.find(scope)
        return None if found is None else found[0]

    def has_session_cookie(self, scope: Mapping[str, Any]) -> bool:
        return self.reader.locate(scope, bearer=False) is not None

    async def refresh(self, found: FoundToken, scope: Mapping[str, Any]) -> list[str]:
        refresher = self.refresher
        if not refresher.can_write(found):
            return []
        token = found.claims()
        if not refresher.due(token, time.time()):
            return []
        return await refresher.write(token, found, scope)

    async def _found(self, scope: Mapping[str, Any]) -> FoundToken | ServerSession:
        """The request's session token, or the answer without one: no cookie, nothing to
        send; a cookie that cannot be read (a chunk missing, too large, invalid), cleared."""
        if not self.reader.configured:
            raise MissingSecretError()
        located = self.refresher.session_cookie(scope)
        if isinstance(located, ServerSession):
            return located
        found = await self.reader.decode_located(located)
        if found is None:
            return ServerSession(None, self.refresher.clear(located.source.cookie_name, located.cookies, scope))
        return found

    async def load_session(self, scope: Mapping[str, Any]) -> ServerSession:
        found = await self._found(scope)
        if isinstance(found, ServerSession):
            return found
        refresher = self.refresher
        try:
            return await self._session(found, scope)
        except Exception as exc:
            logger.error(
                "JWT_SESSION_ERROR: %s: %s; the session cookie is cleared and there is no session",
                type(exc).__name__,
                exc,
                exc_info=not isinstance(exc, CallbackError | SessionTooLargeError),
            )
            return ServerSession(None, refresher.clear(found.source.cookie_name, found.cookies, scope))

    async def update_session(self, scope: Mapping[str, Any], data: Any) -> ServerSession:
        found = await self._found(scope)
        if isinstance(found, ServerSession):
            return found
        try:
            if not self.refresher.can_write(found):
                raise SessionUpdateError("the session token was read by a decode hook; an encode hook must write it")
            return await self._session(found, scope, update={"trigger": "update", "session": json_data(data)})
        except SessionUpdateError:
            raise
        except Exception as exc:
            raise SessionUpdateError(f"the session was not updated: {type(exc).__name__}: {exc}") from exc

    async def sign_out(self, scope: Mapping[str, Any]) -> ServerSession:
        if not self.reader.configured:
            raise MissingSecretError()
        located = self.reader.locate(scope, bearer=False)
        if located is None:
            return ServerSession(None)
        name = located.cookie_name if isinstance(located, Broken) else located.source.cookie_name
        return ServerSession(None, self.refresher.clear(name, located.cookies, scope))

    async def _session(
        self, found: FoundToken, scope: Mapping[str, Any], *, update: dict[str, Any] | None = None
    ) -> ServerSession:
        """The callbacks, next-auth's default session and the refreshed cookie. ``update``:
        the jwt callback's ``trigger`` and ``session`` of an update, which always rewrites."""
        options, refresher = self.options, self.refresher
        token, original = found.claims(), found.claims()
        # The jwt callback gets the decoded token itself: v4 builds session.user from that object.
        jwt_callback = options.callback("jwt") or _same_token
        v4 = found.version != 5
        returned = await run_callback(jwt_callback, token=token, **(update or {}))
        if returned is None and update is not None and not v4:  # Auth.js: a null token ends the session
            return ServerSession(None, refresher.clear(found.source.cookie_name, found.cookies, scope))
        new_token = json_object(returned, "jwt")
        now = time.time()
        default = default_session(token if v4 else new_token, iso_ms(now + options.max_age))
        session_callback = options.callback("session") or _same_session
        result = await run_callback(session_callback, session=default, token=new_token)
        # A token a decode hook read is rewritten only by an encode hook: its format is unknown.
        rewrite = refresher.can_write(found) and (
            update is not None or refresher.due(original, now) or new_token != original
        )
        headers = await refresher.write(new_token, found, scope) if rewrite else []
        if result is None:  # as next-auth: no session, but the token is fine and stays
            logger.error("JWT_SESSION_ERROR: the session callback returned None, so there is no session")
            return ServerSession(None, headers)
        result = json_object(result, "session")
        if v4 and not result:  # v4's getServerSession returns null for an empty session
            return ServerSession(None, headers)
        return ServerSession(result, headers)


def _same_token(token: dict[str, Any]) -> dict[str, Any]:
    return token


def _same_session(session: dict[str, Any]) -> dict[str, Any]:
    return session
