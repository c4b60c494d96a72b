"""A bounded cache of decoded session tokens that still honours ``exp`` on every hit."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

__all__ = ["TokenCache"]


class TokenCache:
    """LRU of decoded claims keyed by the exact token string.

    Only tokens that decoded successfully are stored, so the cache cannot be filled
    with junk by unauthenticated requests. A hit past ``exp`` (plus ``leeway``) is
    dropped and reported as a miss; the caller then decodes and gets the expiry error.
    """

    __slots__ = ("_entries", "leeway", "maxsize")

    def __init__(self, maxsize: int = 1024, *, leeway: int = 15) -> None:
        if maxsize < 0:
            raise ValueError("cache size must be >= 0 (0 disables the cache)")
        self.maxsize = maxsize
        self.leeway = leeway
        self._entries: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, now: float) -> dict[str, Any] | None:
        """A fresh shallow copy of the cached claims, or None on a miss or once expired."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        claims, valid_until = entry
        if now >= valid_until:
            self._entries.pop(token, None)
            return None
        try:  # noqa: SIM105 (contextlib.suppress costs ~0.2 us per hit)
            self._entries.move_to_end(token)
        except KeyError:  # evicted by another thread in between
            pass
        return dict(claims)

    def put(self, token: str, claims: dict[str, Any]) -> None:
        """Remember ``claims`` for ``token`` (a no-op when the cache is disabled)."""
        if not self.maxsize:
            return
        exp = claims.get("exp")
        valid_until = exp + self.leeway if isinstance(exp, int | float) and not isinstance(exp, bool) else math.inf
        self._entries[token] = (dict(claims), valid_until)
        self._entries.move_to_end(token)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
