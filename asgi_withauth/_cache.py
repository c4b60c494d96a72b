"""Bounded caches: :class:`BoundedCache`, the one LRU every cache of the package is built on,
and :func:`memoized`, a function's results kept in one. (Decoded session tokens are
cached by :class:`asgi_withauth.sessions.tokens.TokenCache`, built on it.)
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

__all__ = ["BoundedCache", "memoized"]

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
