"""The optional ``speed`` extra (``pip install 'asgi_withauth[speed]'``): pybase64 and orjson.

Each is used when importable, never required, and only where its answer is certainly the
standard library's: anything it refuses, or may read differently, goes to the standard
library, whose answer (accept or refuse, and with which error) stands. So the extra changes
how fast a token is read, never what is accepted, refused or returned.

- ``BACKEND.a2b`` reads padded base64url with pybase64 when installed (which characters
  and padding are canonical is compact.b64decode's to check). Where pybase64 refuses,
  :func:`stdlib_a2b` reads again, so errors come from the same place either way.
- ``BACKEND.claims`` parses a payload with orjson when installed, and returns None (parse
  it with :mod:`json`) when orjson refuses it or may have read it differently. orjson
  refuses NaN, Infinity, lone surrogates, a BOM, overflowing doubles and nesting beyond
  1024 levels, where :mod:`json` (as we call it) accepts some of them. It reads integers
  beyond 64 bits as floats, so a result holding a float outside the exact range of a
  64-bit integer is not used. Deep nesting is not used either: how deep :mod:`json` can go
  depends on the stack.
"""

from __future__ import annotations

import binascii
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["BACKEND", "Backend", "installed", "stdlib_a2b", "stdlib_only"]

_MAX_FAST_DEPTH: Final = 64
"""Deepest nesting of arrays and objects whose orjson reading is used (honest payloads: 1-3)."""
_INT64_RANGE: Final = float(2**63)
"""orjson reads integers beyond 64 bits as floats of at least this size: those fall back."""


def stdlib_a2b(padded: str) -> bytes:
    """Padded base64url to bytes with :mod:`binascii` (which skips characters outside the
    alphabet: compact.b64decode's length check catches them)."""
    # str.replace() is many times cheaper than translate() on long segments.
    return binascii.a2b_base64(padded.replace("-", "+").replace("_", "/"))


try:
    import pybase64
except ImportError:  # pragma: no cover - depends on the extra
    _pybase64_a2b: Callable[[str], bytes] | None = None
else:

    def _pybase64_a2b(padded: str) -> bytes:
        # Positional arguments: keywords cost pybase64 more than decoding a short segment does.
        raw: bytes = pybase64.b64decode(padded, b"-_", True)
        return raw


try:
    import orjson
except ImportError:  # pragma: no cover - depends on the extra
    _orjson_claims: Callable[[bytes], dict[str, Any] | None] | None = None
else:

    def _orjson_claims(data: bytes) -> dict[str, Any] | None:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
        return value if type(value) is dict and _read_alike(value) else None


def _read_alike(claims: dict[str, Any]) -> bool:
    """Whether :mod:`json` reads the text orjson read as ``claims`` to the same value: no
    float orjson may have made from an integer, and no deep nesting. Iterative, so any depth."""
    pending: list[tuple[Any, int]] = [(claims.values(), 1)]
    while pending:
        values, depth = pending.pop()
        for value in values:
            kind = type(value)
            if kind is str or kind is int:  # most values: nothing to check
                continue
            if kind is float:
                if not -_INT64_RANGE < value < _INT64_RANGE:
                    return False
            elif kind is dict or kind is list:
                if depth >= _MAX_FAST_DEPTH:
                    return False
                pending.append((value.values() if kind is dict else value, depth + 1))
    return True


def _no_fast_claims(data: bytes) -> None:
    return None


@dataclass(slots=True)
class Backend:
    """The functions the codec reads tokens with (see :data:`BACKEND`)."""

    a2b: Callable[[str], bytes]
    claims: Callable[[bytes], dict[str, Any] | None]
    names: tuple[str, ...]


def installed() -> tuple[str, ...]:
    """The speed-ups that are importable here: ``("pybase64", "orjson")`` with the extra."""
    return tuple(name for name, fn in (("pybase64", _pybase64_a2b), ("orjson", _orjson_claims)) if fn is not None)


def _backend(*, fast: bool) -> Backend:
    if not fast:
        return Backend(a2b=stdlib_a2b, claims=_no_fast_claims, names=())
    return Backend(a2b=_pybase64_a2b or stdlib_a2b, claims=_orjson_claims or _no_fast_claims, names=installed())


BACKEND: Final = _backend(fast=True)
"""What the codec uses: the installed speed-ups, else the standard library."""


def _use(backend: Backend) -> None:
    BACKEND.a2b, BACKEND.claims, BACKEND.names = backend.a2b, backend.claims, backend.names


@contextlib.contextmanager
def stdlib_only() -> Iterator[None]:
    """Read tokens with the standard library alone inside the block, the installed speed-ups
    again after it: for the differential tests, the fuzzer and the benchmark."""
    _use(_backend(fast=False))
    try:
        yield
    finally:
        _use(_backend(fast=True))
