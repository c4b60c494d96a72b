"""Bounded caches: :class:`BoundedCache`, the one bounded map every cache of the package is
built on, and :func:`memoized`, a function's results kept in one. (Decoded session tokens
are cached by :class:`asgi_withauth.sessions.tokens.TokenCache`, built on it.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["BoundedCache", "memoized"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """A map of at most ``maxsize`` entries (0: stores nothing) that starts over when full: a
    new entry that finds it full empties it first.

    Every cache in asgi_withauth is one of these, owned by the object that fills it (a codec,
    a reader, a middleware), so none outlives its owner and none can grow without bound,
    whoever chooses the keys. Lookups are the dict's own ``get``, and :meth:`put` is a length
    check and a store: both run per request, so neither keeps an order (an LRU's bookkeeping
    costs more than the decode it saves at these sizes). A working set that fits is never
    evicted; one that does not is re-read once per round. Safe to share between threads: a
    lookup never raises, and the size never exceeds ``maxsize`` by more than a racing put.
    """

    __slots__ = ("maxsize",)

    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            raise ValueError("cache size must be >= 0 (0 disables the cache)")
        super().__init__()
        self.maxsize = maxsize

    def put(self, key: K, value: V) -> None:
        """Store ``value`` (emptying the cache first when it is full and ``key`` is new)."""
        if len(self) >= self.maxsize:
            if not self.maxsize:
                return
            if key not in self:
                self.clear()
        self[key] = value


def memoized(maxsize: int) -> Callable[[Callable[..., V]], Callable[..., V]]:
    """Remember a pure function's results in a :class:`BoundedCache` of ``maxsize``, keyed by
    its positional arguments (for secret-free values only: the cache lives as long as the
    function). A result of None is not remembered."""

    def decorate(function: Callable[..., V]) -> Callable[..., V]:
        cache: BoundedCache[tuple[Any, ...], V] = BoundedCache(maxsize)
        lookup = cache.get

        @functools.wraps(function)
        def wrapper(*args: Any) -> V:
            value = lookup(args)
            if value is None:
                value = function(*args)
                if value is not None:
                    cache.put(args, value)
            return value

        return wrapper

    return decorate
