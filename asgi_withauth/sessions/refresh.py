"""Sliding expiry: re-encode a session token with a fresh ``exp`` and write next-auth's cookies.

Shared by ``get_server_session`` and ``WithAuth(refresh=True)``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .._request.cookies import (
    SECURE_PREFIX,
    CookieOptions,
    chunk_session_cookie,
    clear_session_cookie,
    cookie_name_version,
    set_cookie_headers,
)
from ..errors import SessionTooLargeError
from ..jwt import MAX_TOKEN_LENGTH, Version
from ..options import ALWAYS
from .base import FoundToken, ServerSession
from .reader import Broken, Located, TokenReader

__all__ = ["ALWAYS", "SessionRefresher"]


class SessionRefresher:
    """Re-encodes a session token with a fresh expiry and writes it as next-auth's cookies,
    with the reader's options: ``max_age``, ``update_age``, ``cookie_options`` and the
    ``encode`` hook (else the built-in codec, in the format and salt the token was read in)."""

    def __init__(self, reader: TokenReader) -> None:
        self.reader = reader
        options = reader.options
        self.max_age = options.max_age
        self.update_age = options.update_age or ALWAYS
        self.cookie_options = dict(options.cookie_options)
        self.encode_hook = options.encode

    def options(self, cookie_name: str, scope: Mapping[str, Any]) -> CookieOptions:
        secure = cookie_name.startswith(SECURE_PREFIX) or self.reader.is_secure(scope)
        return CookieOptions.from_next_auth(self.cookie_options, secure=secure)

    def due(self, token: Mapping[str, Any], now: float) -> bool:
        """Whether the cookie should be rewritten: always, unless ``update_age`` says it is fresh."""
        issued = token.get("iat")
        return not self.update_age or not isinstance(issued, int | float) or now - issued >= self.update_age

    def can_write(self, found: FoundToken) -> bool:
        """Whether ``found`` can be written back: it came from a cookie, in a format we know
        (or an ``encode`` hook writes it)."""
        return found.cookie_name is not None and (found.version is not None or self.encode_hook is not None)

    async def write(self, token: Mapping[str, Any], found: FoundToken, scope: Mapping[str, Any]) -> list[str]:
        """Set-Cookie values for ``token`` re-encoded with ``exp = now + max_age``, in the
        cookie ``found`` came from (replacing each of its chunks)."""
        cookie_name = found.source.cookie_name
        version: Version = found.version or cookie_name_version(cookie_name) or self.reader.version or 4
        now = time.time()
        value = await self._encode(token, version=version, salt=found.salt, now=now)
        if len(value) > MAX_TOKEN_LENGTH:
            raise SessionTooLargeError(
                f"the session token would be {len(value)} characters, over the {MAX_TOKEN_LENGTH} limit; "
                "keep large data out of the token (store an id and look it up)"
            )
        writes = chunk_session_cookie(cookie_name, value, existing=found.cookies, version=version)
        return set_cookie_headers(writes, self.options(cookie_name, scope), expires=now + self.max_age)

    async def _encode(self, token: Mapping[str, Any], *, version: Version, salt: str, now: float) -> str:
        if self.encode_hook is None:
            return self.reader.codec(version, salt).encode(token, max_age=self.max_age, version=version, now=now)
        value = self.encode_hook(token=dict(token), secret=self.reader.secret, salt=salt, max_age=self.max_age)
        if inspect.isawaitable(value):
            value = await value
        if not isinstance(value, str):
            raise TypeError(f"the encode hook returned {type(value).__name__}; it must return the token as a str")
        return value

    def session_cookie(self, scope: Mapping[str, Any]) -> Located | ServerSession:
        """The request's session cookie, or the answer without a usable one: no cookie,
        nothing to send; one that cannot be read (a chunk missing, too large), cleared."""
        located = self.reader.locate(scope, bearer=False)
        if located is None:
            return ServerSession(None)
        if isinstance(located, Broken):
            return ServerSession(None, self.clear(located.cookie_name, located.cookies, scope))
        assert isinstance(located, Located)
        return located

    def clear(self, cookie_name: str, cookies: Iterable[str], scope: Mapping[str, Any]) -> list[str]:
        """Set-Cookie values that remove every piece of the session cookie (``cookies``: the
        names on the request)."""
        writes = clear_session_cookie(cookie_name, existing=cookies)
        return set_cookie_headers(writes, self.options(cookie_name, scope), expires=None)
