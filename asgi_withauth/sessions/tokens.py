"""Decoded session tokens, and a bounded cache of them that still honours ``exp`` on every hit.

Entries are snapshots nobody else holds: every hit hands out a fresh deep copy of the
claims, so a request that changes its token (``token["roles"].append(...)``) changes its
own copy only, never what a later request with the same token sees.
"""

from __future__ import annotations

import marshal
import math
from collections.abc import Mapping
from typing import Any, Final

from .._cache import BoundedCache
from .._codec.copying import copy_claims
from ..jwt import Version

__all__ = ["DecodedToken", "TokenCache", "copy_claims", "valid_until"]

_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


class DecodedToken:
    """A decoded token's claims, kept where no caller can change them, and the format and
    salt that decoded it (``version`` None: a custom decode hook did).

    :meth:`claims` hands out a fresh deep copy on every call, at little more than the cost
    of a ``dict`` copy: scalars are shared (immutable), lists and dicts of scalars (``roles``)
    are copied with their own ``copy()``, and deeper values are rebuilt by ``marshal``.
    """

    __slots__ = ("_claims", "_deep", "_packed", "_shallow", "salt", "version")

    def __init__(self, claims: Mapping[str, Any], *, version: Version | None = None, salt: str = "") -> None:
        own: dict[str, Any] = dict(claims)  # our own copy, all the way down: the caller keeps theirs
        shallow: list[str] = []
        deep: dict[str, Any] = {}
        for key, value in own.items():
            if type(value) in _SCALARS:
                continue
            if _holds_scalars_only(value):
                shallow.append(key)
            else:
                deep[key] = value
        for key in shallow:
            own[key] = own[key].copy()
        self._packed = _pack(deep) if deep else None
        for key in deep:
            own[key] = copy_claims(deep[key])
        self._claims = own
        self._shallow = tuple(shallow)
        self._deep = tuple(deep)
        self.version = version
        self.salt = salt

    def claims(self) -> dict[str, Any]:
        """A fresh deep copy of the claims: the caller may change it freely."""
        claims = self._claims.copy()
        for key in self._shallow:
            claims[key] = claims[key].copy()
        if self._deep:
            if self._packed is not None:
                claims.update(marshal.loads(self._packed))  # noqa: S302 (our own bytes: see _pack)
            else:
                claims.update((key, copy_claims(claims[key])) for key in self._deep)
        return claims

    @property
    def exp(self) -> Any:
        """The ``exp`` claim as decoded (a number if the codec accepted the token), or None."""
        return self._claims.get("exp")

    def __repr__(self) -> str:  # never the claims: they may be personal data
        return f"DecodedToken(version={self.version!r}, salt={self.salt!r}, claims={len(self._claims)})"


def _holds_scalars_only(value: Any) -> bool:
    """A list or dict whose items are all strings, numbers, booleans or None."""
    if type(value) is list:
        return all(type(item) in _SCALARS for item in value)
    if type(value) is dict:
        return all(type(item) in _SCALARS for item in value.values())
    return False


def _pack(nested: dict[str, Any]) -> bytes | None:
    """The nested claims serialised for :func:`marshal.loads`, which rebuilds JSON data in C,
    about three times faster than copying it in Python (shared containers stay shared
    within a copy, as with :func:`copy.deepcopy`). Our own bytes, made and read back in this
    process only. None for what marshal cannot hold (objects from a decode hook, or nesting
    deeper than marshal's limit): those are copied by :func:`copy_claims`."""
    try:
        return marshal.dumps(nested)
    except ValueError:
        return None


def valid_until(token: DecodedToken, leeway: float) -> float:
    """When a cached token stops being valid: the codec refuses it once ``now >= exp + leeway``."""
    exp = token.exp
    return exp + leeway if isinstance(exp, int | float) and not isinstance(exp, bool) else math.inf


class TokenCache:
    """A bounded cache of decoded tokens, keyed by the exact token string and tagged with
    where it was found.

    A hit needs the same token *and* the same ``source`` (the session reader passes its
    source object: a cookie name with its format and salt, or the Authorization header), so
    a hit is always the answer a cold decode of that token, from that place, would give; the
    same token from elsewhere is a miss (and, if it decodes there too, replaces the entry).
    Only tokens that decoded successfully are stored, so the cache cannot be filled with
    junk by unauthenticated requests. A hit past ``exp`` (plus the leeway) is dropped and
    reported as a miss.
    """

    __slots__ = ("_entries", "leeway")

    def __init__(self, maxsize: int = 1024, *, leeway: int = 15) -> None:
        self._entries: BoundedCache[str, tuple[DecodedToken, float, object]] = BoundedCache(maxsize)
        self.leeway = leeway

    @property
    def maxsize(self) -> int:
        """The most tokens kept (0: the cache is disabled)."""
        return self._entries.maxsize

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, token: str, now: float, *, source: object = None) -> DecodedToken | None:
        """The cached token, or None on a miss, from another ``source``, or once expired."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        decoded, until, found_at = entry
        if found_at is not source:
            return None
        if now >= until:
            self._entries.pop(token, None)
            return None
        return decoded

    def get(self, token: str, now: float, *, source: object = None) -> dict[str, Any] | None:
        """A fresh deep copy of the cached claims, or None (see :meth:`lookup`)."""
        decoded = self.lookup(token, now, source=source)
        return None if decoded is None else decoded.claims()

    def put(
        self,
        token: str,
        decoded: DecodedToken | Mapping[str, Any],
        *,
        source: object = None,
        leeway: float | None = None,
    ) -> None:
        """Remember what ``token`` from ``source`` decoded to (a :class:`DecodedToken`, or JSON
        claims, which are copied) until its ``exp`` plus ``leeway`` (default: the cache's;
        pass the decoder's, so that a hit expires exactly when a cold decode would fail).
        A no-op when the cache is disabled."""
        if not self.maxsize:
            return
        if not isinstance(decoded, DecodedToken):
            decoded = DecodedToken(decoded)
        until = valid_until(decoded, self.leeway if leeway is None else leeway)
        self._entries.put(token, (decoded, until, source))
