"""Requirements as data: next-auth's ``validateSession(session, {requireAuth, requireRole,
requirePermission})`` as objects that WithAuth, FastAPI and Starlette all take.

    admins = require(role="admin")                        # token["role"] == "admin"
    readers = require(permission="reports:read", permissions="scope")
    fresh = require() & current(version_of)               # revocation under the JWT strategy

A :class:`Requirement` is an ``authorized(token, request)`` callback (WithAuth's, a
``Rule``'s, ``NextAuth.require``'s). Where roles and permissions live is a claim path
(``"role"``, ``"roles"``, ``"user.role"``) or a function of the token. Database sessions'
tokens (``{"user": {...}, "session": {...}}``) are read at the path, then under ``user``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias

import anyio

from ._cache import BoundedCache
from ._logging import FailureLog

__all__ = ["Check", "Requirement", "SessionVersion", "Source", "current", "require", "values_of"]

Source: TypeAlias = "str | Callable[[Mapping[str, Any]], Iterable[str]]"
"""Where values live: a dotted claim path (``"role"``, ``"roles"``, ``"user.role"``) or a
function of the token returning them."""

Check: TypeAlias = Callable[[Any, Any], "bool | Awaitable[bool]"]
"""An ``authorized(token, request)`` callback, sync or async: True allows."""

_MISSING = object()


def _dig(mapping: Mapping[str, Any], path: str) -> Any:
    if "." not in path:  # the common case: a top-level claim
        return mapping.get(path, _MISSING)
    value: Any = mapping
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return _MISSING
        value = value.get(key, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


def is_database_session(token: Mapping[str, Any]) -> bool:
    """Whether ``token`` is a database session's ``{"user": {...}, "session": {...}}``."""
    return isinstance(token.get("user"), Mapping) and isinstance(token.get("session"), Mapping)


def _value_at(token: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of the token (for a database session, under ``user``
    when the path is not found at the top), or None."""
    value = _dig(token, path)
    if value is _MISSING and is_database_session(token):
        value = _dig(token["user"], path)
    return None if value is _MISSING else value


def values_of(token: Mapping[str, Any], source: Source) -> frozenset[str]:
    """The strings ``source`` finds in ``token``: a string claim is one value, a list (or
    tuple, set) of strings its items; anything else (a number, a dict, None) is none."""
    found: Any = source(token) if callable(source) else _value_at(token, source)
    if isinstance(found, str):
        return frozenset((found,))
    if isinstance(found, (list, tuple, set, frozenset)) or (callable(source) and isinstance(found, Iterable)):
        return frozenset(item for item in found if isinstance(item, str))
    return frozenset()


def _holds(token: Mapping[str, Any], source: Source, wanted: str) -> bool:
    """Whether ``wanted`` is among the values ``source`` finds (:func:`values_of`, without
    building the set when the claim is a plain string or list)."""
    if not callable(source):
        found = _value_at(token, source)
        if isinstance(found, str):
            return found == wanted
        if isinstance(found, list):
            return wanted in found  # only strings are values: a non-string item never equals it
    return wanted in values_of(token, source)


async def _verdict(check: Check, token: Any, request: Any) -> bool:
    verdict = check(token, request)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return verdict is True


@dataclass(frozen=True)
class Requirement:
    """What a session needs: ``validateSession``'s ``requireAuth``, ``requireRole`` and
    ``requirePermission``, plus ``checks`` (more ``authorized`` callbacks, all must allow).

    Call it as ``await requirement(token, request)`` (an ``authorized`` callback: True or
    False) or :meth:`allows` (the data part only, synchronous). Without a token it allows
    only when ``auth`` is False and it asks for no role, permission or check. Combine with
    ``&``: ``require(role="admin") & current(version_of)``.
    """

    auth: bool = True
    role: str | None = None
    permission: str | None = None
    roles: Source = "role"
    permissions: Source = "permissions"
    checks: tuple[Check, ...] = field(default=())

    def allows(self, token: Mapping[str, Any] | None) -> bool:
        """Whether ``token`` meets ``auth``, ``role`` and ``permission`` (not ``checks``)."""
        if token is None:
            return not self.auth and self.role is None and self.permission is None and not self.checks
        if self.role is not None and not _holds(token, self.roles, self.role):
            return False
        return self.permission is None or _holds(token, self.permissions, self.permission)

    async def __call__(self, token: Mapping[str, Any] | None, request: Any = None) -> bool:
        if not self.allows(token):
            return False
        if token is None:
            return True
        for check in self.checks:
            if not await _verdict(check, token, request):
                return False
        return True

    def __and__(self, other: Requirement | Check) -> Requirement:
        """A requirement that needs both (``other``: a Requirement or any ``authorized``)."""
        auth = self.auth or (isinstance(other, Requirement) and other.auth)
        return replace(self, auth=auth, checks=(*self.checks, other))


def require(
    auth: bool = True,
    role: str | None = None,
    permission: str | None = None,
    *,
    roles: Source = "role",
    permissions: Source = "permissions",
) -> Requirement:
    """``validateSession``'s requirements: a session (``auth``), ``role`` among the values
    at ``roles`` (a claim path or a function of the token; default the ``role`` claim),
    ``permission`` among those at ``permissions`` (default the ``permissions`` claim)."""
    return Requirement(auth=auth, role=role, permission=permission, roles=roles, permissions=permissions)


VersionOf: TypeAlias = Callable[[str], Awaitable[Any]]
"""``async def version_of(user_id) -> current version, or None`` (unknown or banned user)."""


class SessionVersion:
    """An ``authorized`` check for revocation under the JWT strategy: the token's ``claim``
    (``session_version``) must equal ``await version_of(user_id)``, the user's current
    version (bump it to sign the user out everywhere; return None to ban).

    ``user_id`` is the token's ``subject`` claim (default ``sub``; ``user.id`` for database
    sessions). Answers are kept for ``ttl`` seconds in a bounded cache of ``cache_size``
    users, so a user costs at most one call per ``ttl`` (concurrent first requests may
    each call). It fails closed: a call that raises or takes longer than ``timeout``
    seconds denies, is logged (a traceback once per kind) and is not cached.
    """

    def __init__(
        self,
        version_of: VersionOf,
        *,
        claim: str = "session_version",
        subject: str | None = None,
        ttl: float = 5.0,
        cache_size: int = 1024,
        timeout: float = 2.0,
    ) -> None:
        if ttl < 0 or timeout <= 0:
            raise ValueError("ttl must be >= 0 and timeout > 0 (seconds)")
        self.version_of = version_of
        self.claim = claim
        self.subject = subject
        self.ttl = ttl
        self.timeout = timeout
        self._cache: BoundedCache[str, tuple[float, Any]] = BoundedCache(cache_size if ttl else 0)
        self._failures = FailureLog()
        self._clock: Callable[[], float] = time.monotonic

    def user_id(self, token: Mapping[str, Any]) -> str | None:
        """The user the token belongs to (its ``subject``), or None."""
        path = self.subject or ("user.id" if is_database_session(token) else "sub")
        found = _dig(token, path)
        return None if found is _MISSING or found is None else str(found)

    async def current_version(self, user_id: str) -> Any:
        """The user's current version: from the cache, else ``version_of`` (which may raise)."""
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        with anyio.fail_after(self.timeout):
            version = await self.version_of(user_id)
        self._cache.put(user_id, (now + self.ttl, version))
        return version

    async def __call__(self, token: Mapping[str, Any] | None, request: Any = None) -> bool:
        if token is None:
            return False
        user_id = self.user_id(token)
        if user_id is None:
            return False
        try:
            version = await self.current_version(user_id)
        except Exception as exc:  # TimeoutError included: fail closed
            self._failures.log("the session version check failed; denying the request", exc)
            return False
        sent = _value_at(token, self.claim)
        return version is not None and sent is not None and sent == version

    def forget(self, user_id: str) -> None:
        """Drop a user's cached version (after bumping it in this process)."""
        self._cache.pop(user_id, None)


def current(
    version_of: VersionOf,
    *,
    claim: str = "session_version",
    subject: str | None = None,
    ttl: float = 5.0,
    cache_size: int = 1024,
    timeout: float = 2.0,
) -> Requirement:
    """A session whose ``claim`` is the user's current version (see :class:`SessionVersion`):
    ``require(role="admin") & current(version_of)``."""
    version = SessionVersion(version_of, claim=claim, subject=subject, ttl=ttl, cache_size=cache_size, timeout=timeout)
    return Requirement(checks=(version,))
