"""next-auth's ``database`` session strategy: the cookie holds an opaque session token, and the
session lives in the adapter's tables.

get_server_session follows next-auth (v4 ``core/routes/session.ts``, Auth.js
``lib/actions/session.ts``) step by step: no row, clear the cookie; a row past ``expires``
(milliseconds, no tolerance), delete it and clear the cookie; a row last extended ``update_age``
ago or more, extend it to ``now + max_age``; run the ``session`` callback; re-set the cookie
with ``Expires = now + max_age``. An adapter that fails: logged, no session, cookie untouched.

WithAuth and the integrations read through a short-lived cache of lookups (hits and misses
apart, so that misses cannot push hits out), at most one query per request, after a format
check of the cookie value; they never write.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from time import monotonic
from typing import TYPE_CHECKING, Any, Final, cast

from .._cache import BoundedCache
from .._logging import FailureLog
from .._request.cookies import CookieWrite, cookie_name_version, set_cookie_headers
from ..adapters._values import epoch_ms
from ..errors import SessionUpdateError
from ..jwt import Version
from ..options import DEFAULT_UPDATE_AGE, AuthOptions
from ._callbacks import iso_ms, json_data, json_object, run_callback
from .base import PENDING, FoundToken, ServerSession
from .reader import Located, TokenReader
from .refresh import SessionRefresher
from .tokens import DecodedToken

if TYPE_CHECKING:
    from ..adapters.base import AdapterSession, AdapterUser, SessionAdapter

__all__ = ["DatabaseSessions", "monotonic", "now", "session_claims", "user_dict"]

# What a session token can look like in a cookie: cookie-octets, and at most the 255 characters
# of the adapters' "sessionToken" columns. Anything else is no session, without a query.
_SESSION_TOKEN: Final = re.compile(r"[!#-+\--:<-\[\]-~]{1,255}")


Hit = tuple[DecodedToken, float, float]  # the session's claims, until when to trust them, its expiry
_UNKNOWN: Final = DecodedToken({})  # compared by identity: the cache cannot tell


def now() -> float:
    """The current Unix time (tests replace it to run next-auth's clock rules at fixed times)."""
    return time.time()


def user_dict(user: AdapterUser) -> dict[str, Any]:
    """The adapter's user as next-auth hands it to callbacks (dates as ISO strings)."""
    verified = user.email_verified
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "emailVerified": None if verified is None else iso_ms(verified),
        "image": user.image,
    }


def session_claims(session: AdapterSession, user: AdapterUser) -> dict[str, Any]:
    """What WithAuth puts at ``scope["nextauth"]["token"]`` for a database session: the user
    row and the session row (without its token)."""
    return {"user": user_dict(user), "session": {"userId": session.user_id, "expires": iso_ms(session.expires)}}


class DatabaseSessions:
    """Sessions kept in the adapter's tables, found by the session token in next-auth's cookie."""

    strategy = "database"
    read_now: Callable[[Mapping[str, Any]], FoundToken | None] | None = None

    def __init__(self, options: AuthOptions) -> None:
        assert options.adapter is not None
        self.options = options
        self.adapter: SessionAdapter = options.adapter
        self.configured = True
        self.reader = TokenReader(options)  # finds the cookie: names, __Secure-, chunks
        self.refresher = SessionRefresher(self.reader)  # writes and clears it
        self.update_age = options.update_age if options.update_age is not None else DEFAULT_UPDATE_AGE
        self._hits: BoundedCache[str, Hit] = BoundedCache(options.cache_size)  # monotonic times
        self._misses: BoundedCache[str, float] = BoundedCache(options.cache_size)
        self._failures = FailureLog()
        self.claims_now: Callable[[Mapping[str, Any]], dict[str, Any] | None] | None = self.cached_claims

    # ------------------------------------------------------------------ WithAuth, integrations

    def cached_claims(self, scope: Mapping[str, Any]) -> dict[str, Any] | None:
        """The session's claims when the cache can tell (a hit, a miss, a cookie that cannot
        be a session token), else :data:`PENDING`: the hot path of a cached request."""
        located = self.reader.locate(scope, bearer=False)
        if type(located) is not Located:
            return None
        answer = self._cached(located.raw)
        if answer is _UNKNOWN:
            plausible = _SESSION_TOKEN.fullmatch(located.raw)
            return cast("dict[str, Any] | None", PENDING) if plausible else None
        return None if answer is None else answer.claims()

    async def read(self, scope: Mapping[str, Any], *, bearer: bool = True) -> FoundToken | None:
        located = self.reader.locate(scope, bearer=False)
        if type(located) is not Located:
            return None
        decoded = await self._lookup(located.raw)
        return None if decoded is None else FoundToken(located.raw, located.source, decoded, located.cookies)

    def raw_token(self, scope: Mapping[str, Any]) -> str | None:
        located = self.reader.locate(scope, bearer=False)
        return located.raw if type(located) is Located else None

    def has_session_cookie(self, scope: Mapping[str, Any]) -> bool:
        return self.reader.locate(scope, bearer=False) is not None

    async def refresh(self, found: FoundToken, scope: Mapping[str, Any]) -> list[str]:
        """Nothing: extending a database session writes its row, which get_server_session
        does (next-auth's session route); the middleware only reads."""
        return []

    def _cached(self, token: str) -> DecodedToken | None:
        """The cache's answer for ``token``: its session's claims, None (a miss, or a session
        expired since), or ``_UNKNOWN`` (not cached, or cached longer than ``lookup_ttl``)."""
        hit = self._hits.get(token)
        if hit is not None:
            decoded, deadline, expiry = hit
            moment = monotonic()
            if deadline > moment:
                return decoded if expiry >= moment else None
        miss = self._misses.get(token)
        if miss is not None and miss > monotonic():
            return None
        return _UNKNOWN

    async def _lookup(self, token: str) -> DecodedToken | None:
        """The session of ``token``: from the cache, or one query (then cached for ``lookup_ttl``)."""
        answer = self._cached(token)
        if answer is not _UNKNOWN:
            return answer
        if not _SESSION_TOKEN.fullmatch(token):
            return None
        try:
            found = await self.adapter.get_session_and_user(token)
        except Exception as exc:
            self._failures.log("the database session lookup failed; the request counts as signed out", exc)
            return None  # not cached: the next request asks again
        moment = monotonic()
        ttl = self.options.lookup_ttl
        if found is None:
            if ttl:
                self._misses.put(token, moment + ttl)
            return None
        session, user = found
        decoded = DecodedToken(session_claims(session, user))
        expiry = moment + (session.expires.timestamp() - now())  # as next-auth: no tolerance
        if ttl:
            self._hits.put(token, (decoded, moment + ttl, expiry))
        return decoded if expiry >= moment else None

    # ------------------------------------------------------------------ get_server_session

    async def load_session(self, scope: Mapping[str, Any]) -> ServerSession:
        refresher = self.refresher
        located = refresher.session_cookie(scope)
        if isinstance(located, ServerSession):
            return located
        name, token = located.source.cookie_name, located.raw
        try:
            found = await self._lookup_now(token)
            if found is None:  # no such session: next-auth clears the cookie
                return ServerSession(None, refresher.clear(name, located.cookies, scope))
            return await self._session(found, name, token, scope)
        except Exception as exc:  # logged with its traceback once per kind: an outage must not flood the log
            self._failures.log("SESSION_ERROR: no session, the session cookie is left as it is", exc)
            return ServerSession(None)

    async def _lookup_now(self, token: str) -> tuple[AdapterSession, AdapterUser] | None:
        """next-auth's read: the row, or None; an expired row is deleted first."""
        if not _SESSION_TOKEN.fullmatch(token):
            return None
        found = await self.adapter.get_session_and_user(token)
        if found is not None and epoch_ms(found[0].expires) < int(now() * 1000):
            await self.adapter.delete_session(token)
            return None
        return found

    async def update_session(self, scope: Mapping[str, Any], data: Any) -> ServerSession:
        """next-auth's update: the session callback gets ``trigger="update"`` and ``newSession``;
        the row is extended by next-auth's rules (after the callback, so that a failing one
        leaves it as it was) and the cookie re-set."""
        update = {"newSession": json_data(data), "trigger": "update"}
        located = self.refresher.session_cookie(scope)
        if isinstance(located, ServerSession):
            return located
        name, token = located.source.cookie_name, located.raw
        try:
            found = await self._lookup_now(token)
            if found is None:
                return ServerSession(None, self.refresher.clear(name, located.cookies, scope))
            return await self._session(found, name, token, scope, update=update)
        except Exception as exc:
            raise SessionUpdateError(f"the session was not updated: {type(exc).__name__}: {exc}") from exc

    async def sign_out(self, scope: Mapping[str, Any]) -> ServerSession:
        """next-auth's sign-out: delete the row (a failure is logged, and the cookie cleared all
        the same), then clear every chunk of the cookie."""
        located = self.refresher.session_cookie(scope)
        if isinstance(located, ServerSession):
            return located
        token = located.raw
        self._hits.pop(token, None)
        try:
            if _SESSION_TOKEN.fullmatch(token):
                await self.adapter.delete_session(token)
        except Exception as exc:
            self._failures.log("SIGNOUT_ERROR: the session row was not deleted; the cookie is cleared", exc)
        return ServerSession(None, self.refresher.clear(located.source.cookie_name, located.cookies, scope))

    async def _session(
        self,
        found: tuple[AdapterSession, AdapterUser],
        name: str,
        token: str,
        scope: Mapping[str, Any],
        *,
        update: dict[str, Any] | None = None,
    ) -> ServerSession:
        options = self.options
        session, user = found
        now_ms = int(now() * 1000)
        new_expires = datetime.fromtimestamp((now_ms + options.max_age * 1000) / 1000, tz=timezone.utc)
        due = epoch_ms(session.expires) - options.max_age * 1000 + self.update_age * 1000 <= now_ms
        if due and update is None:
            await self.adapter.update_session(token, expires=new_expires)
        version: Version = options.version or cookie_name_version(name) or 4
        payload = await run_callback(
            options.callback("session") or (_default_v4 if version == 4 else _default_v5),
            session=_callback_session(session, user, version),
            user=user_dict(user),
            **(update or {}),
        )
        result = None if payload is None else json_object(payload, "session")
        if due and update is not None:
            await self.adapter.update_session(token, expires=new_expires)
        if version == 4 and not result:  # v4's getServerSession returns null for an empty session
            result = None
        cookie = CookieWrite(name, token, clear=False)
        headers = set_cookie_headers([cookie], self.refresher.options(name, scope), expires=new_expires.timestamp())
        return ServerSession(result, headers)


def _callback_session(session: AdapterSession, user: AdapterUser, version: Version) -> dict[str, Any]:
    """The ``session`` argument of the session callback: next-auth v4 builds the public
    subset; Auth.js passes the row with the user (its default callback then trims it)."""
    expires = iso_ms(session.expires)
    if version == 4:
        return {"user": {"name": user.name, "email": user.email, "image": user.image}, "expires": expires}
    row: dict[str, Any] = {} if session.id is None else {"id": session.id}
    row |= {"sessionToken": session.session_token, "userId": session.user_id, "expires": expires}
    return {**row, "user": user_dict(user)}


def _default_v4(session: dict[str, Any]) -> dict[str, Any]:
    return session


def _default_v5(session: dict[str, Any]) -> dict[str, Any]:
    user = session.get("user") or {}
    return {
        "user": {"name": user.get("name"), "email": user.get("email"), "image": user.get("image")},
        "expires": session.get("expires"),
    }
