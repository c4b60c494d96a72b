"""Bounded caches: :class:`BoundedCache`, the one LRU every cache of the package is built on,
and :class:`TokenCache`, decoded session tokens that still honour ``exp`` on every hit.

Entries are snapshots nobody else holds: every hit hands out a fresh deep copy of the
claims, so a request that changes its token (``token["roles"].append(...)``) changes its
own copy only, never what a later request with the same token sees.
"""

from __future__ import annotations

import functools
import marshal
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, ParamSpec, TypeVar

from ._codec.types import Version

__all__ = ["BoundedCache", "DecodedToken", "TokenCache", "copy_claims", "memoized"]

K = TypeVar("K")
V = TypeVar("V")
P = ParamSpec("P")


class BoundedCache(Generic[K, V]):
    """A least-recently-used map of at most ``maxsize`` entries (0: stores nothing).

    Every cache in asgi_withauth is one of these, owned by the object that fills it (a codec,
    a reader, a middleware), so none outlives its owner and none can grow without bound,
    whoever chooses the keys. Safe to share between threads for what it promises: a lookup
    never raises, and the size never exceeds ``maxsize``.
    """

    __slots__ = ("_entries", "maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            raise ValueError("cache size must be >= 0 (0 disables the cache)")
        self.maxsize = maxsize
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or None."""
        value = self._entries.get(key)
        if value is not None:
            try:  # noqa: SIM105 (contextlib.suppress costs ~0.2 us per hit)
                self._entries.move_to_end(key)
            except KeyError:  # evicted by another thread in between
                pass
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the least recently used entries beyond ``maxsize``."""
        if not self.maxsize:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            try:
                self._entries.popitem(last=False)
            except KeyError:  # emptied by another thread
                break

    def pop(self, key: K) -> None:
        """Forget ``key`` (no error when it is not there)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()


def memoized(maxsize: int) -> Callable[[Callable[P, V]], Callable[P, V]]:
    """Remember a pure function's results in a :class:`BoundedCache` of ``maxsize``, keyed by
    its positional arguments (for secret-free values only: the cache lives as long as the
    function). A result of None is not remembered."""

    def decorate(function: Callable[P, V]) -> Callable[P, V]:
        cache: BoundedCache[Any, V] = BoundedCache(maxsize)

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> V:
            if kwargs:
                return function(*args, **kwargs)
            value = cache.get(args)
            if value is None:
                value = function(*args, **kwargs)
                if value is not None:
                    cache.put(args, value)
            return value

        return wrapper

    return decorate


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def copy_claims(value: Any) -> Any:
    """A deep copy of JSON data: dicts and lists are copied all the way down (iteratively, so
    any depth; a container met twice is copied once, as :func:`copy.deepcopy` does); strings,
    numbers, booleans and None are immutable and shared. Anything else (only a custom decode
    hook can return it) is passed as is."""
    if type(value) is not dict and type(value) is not list:
        return value
    root: Any = {} if type(value) is dict else []
    copies = {id(value): root}
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for key, item in items:
            kind = type(item)
            if kind is dict or kind is list:
                child = copies.get(id(item))
                if child is None:
                    child = copies[id(item)] = {} if kind is dict else []
                    pending.append((item, child))
                item = child
            if type(target) is dict:
                target[key] = item
            else:
                target.append(item)
    return root


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


def _valid_until(token: DecodedToken, leeway: float) -> float:
    """When a cached token stops being valid: the codec refuses it once ``now >= exp + leeway``."""
    exp = token.exp
    return exp + leeway if isinstance(exp, int | float) and not isinstance(exp, bool) else math.inf


class TokenCache:
    """LRU of decoded tokens, keyed by the exact token string and tagged with where it was
    found.

    A hit needs the same token *and* the same ``source`` (``token.py`` passes the reader's
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
        decoded, valid_until, found_at = entry
        if found_at is not source:
            return None
        if now >= valid_until:
            self._entries.pop(token)
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
        valid_until = _valid_until(decoded, self.leeway if leeway is None else leeway)
        self._entries.put(token, (decoded, valid_until, source))
