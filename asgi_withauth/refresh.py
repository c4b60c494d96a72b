"""Sliding expiry: re-encode a session token with a fresh ``exp`` and write next-auth's cookies.

Shared by ``get_server_session`` and ``WithAuth(refresh=True)``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from .cookies import (
    SECURE_PREFIX,
    CookieOptions,
    chunk_session_cookie,
    clear_session_cookie,
    parse_cookie_header,
    set_cookie_headers,
)
from .errors import SessionTooLargeError
from .jwt import DEFAULT_MAX_AGE, MAX_TOKEN_LENGTH, Version
from .token import TokenReader, request_headers

__all__ = ["ALWAYS", "SessionRefresher", "SessionTooLargeError"]

ALWAYS: Final = 0
"""``update_age`` that rewrites the cookie on every read, as next-auth's jwt strategy does."""


class SessionRefresher:
    """Re-encodes a session token with a fresh expiry and writes it as next-auth's cookies."""

    def __init__(
        self,
        reader: TokenReader,
        *,
        max_age: int = DEFAULT_MAX_AGE,
        update_age: int = ALWAYS,
        cookie_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.reader = reader
        self.max_age = max_age
        self.update_age = update_age
        self.cookie_options = dict(cookie_options or {})

    def options(self, cookie_name: str, scope: Mapping[str, Any]) -> CookieOptions:
        secure = cookie_name.startswith(SECURE_PREFIX) or self.reader.is_secure(scope)
        return CookieOptions.from_next_auth(self.cookie_options, secure=secure)

    def due(self, token: Mapping[str, Any], now: float) -> bool:
        """Whether the cookie should be rewritten: always, unless ``update_age`` says it is fresh."""
        issued = token.get("iat")
        return not self.update_age or not isinstance(issued, int | float) or now - issued >= self.update_age

    def write(
        self, token: Mapping[str, Any], *, cookie_name: str, version: Version, salt: str, scope: Mapping[str, Any]
    ) -> list[str]:
        """Set-Cookie values for ``token`` re-encoded with ``exp = now + max_age``."""
        now = time.time()
        value = self.reader.codec(version, salt).encode(token, max_age=self.max_age, version=version, now=now)
        if len(value) > MAX_TOKEN_LENGTH:
            raise SessionTooLargeError(
                f"the session token would be {len(value)} characters, over the {MAX_TOKEN_LENGTH} limit; "
                "keep large data out of the token (store an id and look it up)"
            )
        writes = chunk_session_cookie(cookie_name, value, existing=_cookie_names(scope), version=version)
        return set_cookie_headers(writes, self.options(cookie_name, scope), expires=now + self.max_age)

    def clear(self, cookie_name: str, scope: Mapping[str, Any]) -> list[str]:
        """Set-Cookie values that remove every piece of the session cookie."""
        writes = clear_session_cookie(cookie_name, existing=_cookie_names(scope))
        return set_cookie_headers(writes, self.options(cookie_name, scope), expires=None)


def _cookie_names(scope: Mapping[str, Any]) -> list[str]:
    return list(parse_cookie_header(request_headers(scope)[0]))
