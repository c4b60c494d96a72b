"""Fuzz ``get_token`` on arbitrary ``Cookie`` and ``Authorization`` headers.

The request carries any headers (repeated, chunked session cookies ``<name>.0``/``.1``,
``__Secure-`` names, Bearer tokens), over http or https. Oracle: ``get_token`` returns None or
a claims dict (``raw=True``: None or a str) or raises a
:class:`~asgi_withauth.errors.WithAuthError`; anything else is a crash. And a reader with a
token cache answers as one without: the cache never changes a decision.

Input: byte 0 picks the options (v4, v5, either, a custom cookie name, secret lists, secure
cookies forced on or off), byte 1 the scheme and ``raw``; the rest is header lines
``name: value`` separated by ``\\n``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

if __name__ == "__main__":  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.common import Crash, Reader, drive, fuzz_main, instrumented

with instrumented(__name__ == "__main__"):
    from asgi_withauth import AuthOptions, get_token
    from asgi_withauth.errors import WithAuthError

__all__ = ["OPTIONS", "SECRET", "check", "header_lines", "scope"]

SECRET: Final = ["v4-fixture-secret", "v5-fixture-secret"]
"""The secrets of ``tests/fixtures/nextauth_tokens.json``, so that the seeds' real tokens decode."""
_VARIANTS: Final[tuple[dict[str, Any], ...]] = (
    {},
    {"version": 4},
    {"version": 5},
    {"secret": ["new-secret", "old-secret"], "version": 5},
    {"cookie_name": "custom.session", "version": 5},
    {"secure_cookie": True},
    {"secure_cookie": False, "salt": "custom-salt", "version": 4},
    {"require_exp": True, "leeway": 0},
)
OPTIONS: Final = tuple(
    (
        AuthOptions.build(None, **{"secret": SECRET, **v}),
        AuthOptions.build(None, **{"secret": SECRET, **v, "cache_size": 0}),
    )
    for v in _VARIANTS
)
"""Each variant twice: with the default token cache, and with none."""


def header_lines(data: bytes) -> list[tuple[bytes, bytes]]:
    """``name: value`` lines as ASGI headers (names lower-cased, as servers pass them)."""
    headers = []
    for line in data.split(b"\n"):
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower(), value.strip(b" ")))
    return headers


def scope(headers: list[tuple[bytes, bytes]], *, https: bool) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "scheme": "https" if https else "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("app.test", 443 if https else 80),
    }


def _outcome(request: dict[str, Any], options: AuthOptions, *, raw: bool) -> object:
    try:
        found = drive(get_token(request, options=options, raw=raw))  # type: ignore[call-overload]
    except WithAuthError as exc:
        return type(exc)
    except Exception as exc:
        raise Crash(f"get_token raised {type(exc).__name__}, not a WithAuthError: {exc}") from exc
    allowed = (str,) if raw else (dict,)
    if found is not None and type(found) not in allowed:
        raise Crash(f"get_token returned {type(found).__name__}")
    return found


def check(data: bytes) -> None:
    """The oracle for one input (see the module docstring)."""
    reader = Reader(data)
    cached, uncached = reader.pick(OPTIONS)
    flags = reader.byte()
    request = scope(header_lines(reader.rest()), https=bool(flags & 1))
    raw = bool(flags & 2)
    first = _outcome(request, cached, raw=raw)
    again = _outcome(request, cached, raw=raw)  # now from the caches
    fresh = _outcome(request, uncached, raw=raw)
    if not first == again == fresh:
        raise Crash(f"the token cache changed the answer: {first!r}, then {again!r}; without a cache {fresh!r}")


if __name__ == "__main__":
    fuzz_main(check)
