"""``TokenReader``: finds a request's session token and decodes it, through its own cache.

The token comes from next-auth's session cookie (chunked or not) or, when there is none,
from ``Authorization: Bearer <token>``. It is decoded with the secret (option, else
``NEXTAUTH_SECRET``, else ``AUTH_SECRET``) or a custom decode hook.
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from .._cache import BoundedCache
from .._request.cookies import (
    SECURE_PREFIX,
    cookie_name_version,
    default_salt,
    parse_cookie_header,
    read_session_cookie,
    session_cookie_name,
    session_cookie_names,
)
from .._request.headers import bearer_token, raw_request_headers
from ..errors import JWTError, MissingSecretError, SessionCookieError
from ..jwt import MAX_TOKEN_LENGTH, TokenCodec, Version
from ..options import AuthOptions
from .base import FoundToken, TokenSource
from .tokens import DecodedToken, TokenCache, valid_until

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..options import AuthKwargs

__all__ = ["Broken", "Located", "TokenReader"]

logger = logging.getLogger("asgi_withauth")

_ABSENT: Final = object()
_SEEN_SIZE: Final = 256
_SEEN_HEADER_MAX: Final = 16 * 1024


class Located(NamedTuple):
    """A session token as sent: the string, where, and the session's cookie names."""

    raw: str
    source: TokenSource
    cookies: tuple[str, ...]


class Broken:
    """A session cookie that is there but cannot be read (a chunk missing, too large):
    never fall back to the Authorization header; clear ``cookies`` when answering."""

    __slots__ = ("cookie_name", "cookies")

    def __init__(self, cookie_name: str, cookies: tuple[str, ...]) -> None:
        self.cookie_name = cookie_name
        self.cookies = cookies


class _Seen:
    """A Cookie header's memo entry: what it holds, and once its session token decoded (with
    the token cache on), that token and when it stops being valid. Written once per header:
    a reader racing the write sees no token yet, or both fields (``valid_until`` goes first)."""

    __slots__ = ("decoded", "found", "valid_until")

    def __init__(self, found: Located | Broken | object) -> None:
        self.found = found
        self.decoded: DecodedToken | None = None
        self.valid_until = -math.inf

    def remember(self, decoded: DecodedToken, until: float) -> None:
        self.valid_until = until
        self.decoded = decoded


class TokenReader:
    """Finds and decodes the session token of a request; build once, use per request.

    Takes an :class:`~asgi_withauth.options.AuthOptions` or its keyword arguments.
    ``secure_cookie`` None means: https ``NEXTAUTH_URL``/``AUTH_URL`` if set, else the
    request's scheme. Secure requests only read ``__Secure-`` cookies; plain ones read
    the plain name first and then the ``__Secure-`` one (behind a TLS-terminating proxy
    the app sees http, and a ``__Secure-`` cookie can only have been set over https).

    ``version`` None reads each default cookie name in its own format (next-auth's names
    v4, Auth.js's v5). A ``cookie_name`` that is one of those names implies its format too,
    for the cookie and the Bearer fallback alike; any other name is tried as v4, then v5
    (salted with that name, as Auth.js's getToken salts both). Without ``cookie_name`` the
    Bearer token is tried as v4, then as v5 salted with Auth.js's default cookie name.

    The reader owns a :class:`~asgi_withauth.sessions.tokens.TokenCache` of ``options.cache_size``
    decoded tokens (a hit still honours ``exp``), and the keys derived from the secret.
    """

    def __init__(self, options: AuthOptions | None = None, /, **kwargs: Unpack[AuthKwargs]) -> None:
        self.options = options = AuthOptions.build(options, **kwargs)
        version = options.version
        if version is None and options.cookie_name:
            version = cookie_name_version(options.cookie_name)
        self.version: Version | None = version
        self.secret = options.resolved_secret
        self.decode_hook = options.decode
        self.salt = options.salt
        self.leeway = options.leeway
        self.secure_cookie = options.resolved_secure_cookie
        self.cache = TokenCache(options.cache_size, leeway=options.leeway)
        versions: tuple[Version, ...] = (4, 5) if version is None else (version,)
        name = options.cookie_name
        self._cookies = {secure: self._cookie_sources(versions, name, secure) for secure in (False, True)}
        self._bearer = {secure: self._bearer_source(versions, name, secure) for secure in (False, True)}
        self._codecs: dict[tuple[Version, str], TokenCodec] = {}  # bounded: two per cookie source
        self._seen: BoundedCache[tuple[bytes, bool], _Seen] = BoundedCache(_SEEN_SIZE)

    @property
    def configured(self) -> bool:
        """Whether tokens can be decoded: a secret or a decode hook is set."""
        return self.secret is not None or self.decode_hook is not None

    def _salt(self, version: Version, cookie_name: str) -> str:
        return self.salt if self.salt is not None else default_salt(version, cookie_name)

    def _cookie_sources(
        self, versions: tuple[Version, ...], cookie_name: str | None, secure: bool
    ) -> tuple[TokenSource, ...]:
        if cookie_name:
            return (TokenSource(cookie_name, tuple((v, self._salt(v, cookie_name)) for v in versions)),)
        names = [(v, session_cookie_name(version=v, secure=secure)) for v in versions]
        if not secure:
            names += [(v, SECURE_PREFIX + name) for v, name in names]
        return tuple(TokenSource(name, ((v, self._salt(v, name)),)) for v, name in names)

    def _bearer_source(self, versions: tuple[Version, ...], cookie_name: str | None, secure: bool) -> TokenSource:
        """The Authorization header, salted as getToken does: with the cookie name (v5)."""
        names = {v: cookie_name or session_cookie_name(version=v, secure=secure) for v in versions}
        return TokenSource("", tuple((v, self._salt(v, names[v])) for v in versions))

    def is_secure(self, scope: Mapping[str, Any]) -> bool:
        """Whether this request uses the ``__Secure-`` cookie names."""
        if self.secure_cookie is not None:
            return self.secure_cookie
        return scope.get("scheme") in ("https", "wss")

    # ------------------------------------------------------------------ finding

    def locate(self, scope: Mapping[str, Any], *, bearer: bool = True) -> Located | Broken | None:
        """Where the request's token is: a :class:`Located` token, a :class:`Broken` session
        cookie, or None. ``bearer=False`` reads cookies only (as getServerSession does)."""
        cookie_header, authorization = raw_request_headers(scope)
        secure = self.is_secure(scope)
        if cookie_header:
            found = self._seen_header(cookie_header, secure).found
            if found is not _ABSENT:
                return found  # type: ignore[return-value]
        return self._bearer_located(authorization, secure) if bearer else None

    def _seen_header(self, cookie_header: bytes, secure: bool) -> _Seen:
        """What a Cookie header holds, memoised by its bytes (no decoding on a memo hit)."""
        key = (cookie_header, secure)
        seen = self._seen.get(key)
        if seen is None:
            seen = _Seen(self._from_cookies(cookie_header.decode("latin-1"), secure))
            if len(cookie_header) <= _SEEN_HEADER_MAX:  # bounded in count and size
                self._seen.put(key, seen)
        return seen

    def _bearer_located(self, authorization: bytes | None, secure: bool) -> Located | None:
        token = bearer_token(authorization.decode("latin-1")) if authorization else None
        if token is None:
            return None
        if len(token) > MAX_TOKEN_LENGTH:
            logger.debug("bearer token ignored: longer than %d characters", MAX_TOKEN_LENGTH)
            return None
        return Located(token, self._bearer[secure], ())

    def find(self, scope: Mapping[str, Any], *, bearer: bool = True) -> tuple[str, TokenSource] | None:
        """The request's usable token and where it came from, or None."""
        found = self.locate(scope, bearer=bearer)
        return (found.raw, found.source) if type(found) is Located else None

    def _from_cookies(self, cookie_header: str, secure: bool) -> Located | Broken | object:
        cookies = parse_cookie_header(cookie_header)
        for source in self._cookies[secure]:
            try:
                value = read_session_cookie(cookies, source.cookie_name)
            except SessionCookieError as exc:
                logger.debug("session cookie ignored: %s", exc)
                return Broken(source.cookie_name, session_cookie_names(cookies, source.cookie_name))
            if value is not None:
                return Located(value, source, session_cookie_names(cookies, source.cookie_name))
        return _ABSENT

    # ------------------------------------------------------------------ decoding

    def codec(self, version: Version, salt: str) -> TokenCodec:
        """The built-in codec for one format and salt (built once per reader)."""
        codec = self._codecs.get((version, salt))
        if codec is None:
            if self.secret is None:
                raise MissingSecretError()
            codec = TokenCodec(
                self.secret, salt=salt, version=version, leeway=self.leeway, require_exp=self.options.require_exp
            )
            self._codecs[(version, salt)] = codec
        return codec

    def decode_as(self, token: str, source: TokenSource, *, now: float | None = None) -> DecodedToken | None:
        """Decode with the built-in codec: the claims with the format and salt that worked,
        or None (the reason logged at debug level, never the token)."""
        for version, salt in source.attempts:
            try:
                claims = self.codec(version, salt).decode(token, now=now)
            except JWTError as exc:
                logger.debug("session token rejected as v%d: %s (%s): %s", version, type(exc).__name__, exc.code, exc)
            else:
                return DecodedToken(claims, version=version, salt=salt)
        return None

    async def _hooked(self, token: str, source: TokenSource) -> DecodedToken | None:
        """Decode with the custom decode hook (never cached: it may consult anything)."""
        assert self.decode_hook is not None
        salt = source.attempts[-1][1]
        try:
            result = self.decode_hook(token=token, secret=self.secret, salt=salt)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            logger.debug("custom decode hook raised %s; treating the token as invalid", type(exc).__name__)
            return None
        if result is None:
            return None
        if not isinstance(result, Mapping):
            logger.warning(
                "custom decode hook returned %s; it must return a mapping of claims or None", type(result).__name__
            )
            return None
        return DecodedToken(result, version=None, salt=salt)

    def _cached(self, token: str, source: TokenSource) -> DecodedToken | None:
        """``token`` from ``source`` decoded, or from the cache. A hit needs the token *and* its
        source (compared by identity), so it gives exactly what a cold decode from there would."""
        now = int(time.time())
        decoded = self.cache.lookup(token, now, source=source)
        if decoded is None:
            decoded = self.decode_as(token, source, now=now)
            if decoded is not None:
                self.cache.put(token, decoded, source=source, leeway=self.leeway)
        return decoded

    # ------------------------------------------------------------------ reading

    def decode_sync(self, token: str, source: TokenSource, *, now: float | None = None) -> dict[str, Any] | None:
        """Decode with the built-in codec (no cache): the claims, or None."""
        decoded = self.decode_as(token, source, now=now)
        return None if decoded is None else decoded.claims()

    async def decode(self, token: str, source: TokenSource) -> dict[str, Any] | None:
        """Decode with the hook if one is set, else with the built-in codec (no cache)."""
        if self.decode_hook is None:
            return self.decode_sync(token, source)
        decoded = await self._hooked(token, source)
        return None if decoded is None else decoded.claims()

    # ------------------------------------------------------------------ reading

    async def read_token(self, scope: Mapping[str, Any], *, bearer: bool = True) -> FoundToken | None:
        """The request's token, where it was found and how it decoded, or None. Raises
        :class:`~asgi_withauth.errors.MissingSecretError` when there is no secret or hook."""
        if self.decode_hook is None:
            return self.read_token_now(scope, bearer=bearer)
        found = self.locate(scope, bearer=bearer)
        return await self.decode_located(found) if type(found) is Located else None

    async def decode_located(self, found: Located) -> FoundToken | None:
        """The token :meth:`locate` found, decoded (through the cache, or by the hook)."""
        if self.decode_hook is None:
            return self._decoded_now(found)
        decoded = await self._hooked(found.raw, found.source)
        return None if decoded is None else FoundToken(found.raw, found.source, decoded, found.cookies)

    def read_token_now(self, scope: Mapping[str, Any], *, bearer: bool = True) -> FoundToken | None:
        """:meth:`read_token` without a coroutine, for readers without a decode hook."""
        if self.secret is None:
            raise MissingSecretError()
        found = self.locate(scope, bearer=bearer)
        return self._decoded_now(found) if type(found) is Located else None

    def _decoded_now(self, found: Located) -> FoundToken | None:
        """The built-in codec's reading of a located token, through the cache."""
        if self.secret is None:
            raise MissingSecretError()
        raw, source = found.raw, found.source
        decoded = self._cached(raw, source)
        return None if decoded is None else FoundToken(raw, source, decoded, found.cookies)

    def claims_now(self, scope: Mapping[str, Any]) -> dict[str, Any] | None:
        """The request's claims (a fresh copy), for readers without a decode hook: the hot
        path of WithAuth, which needs no :class:`FoundToken`.

        A session cookie's decoded token is also remembered in the Cookie header's memo
        entry (with the token cache on), until it expires exactly as in the token cache: a
        request with the same header then costs one lookup."""
        cookie_header, authorization = raw_request_headers(scope)
        secure = self.is_secure(scope)
        seen = None
        if cookie_header:  # the memo's lookup inline (the hot path), a miss parses the header
            seen = self._seen.get((cookie_header, secure)) or self._seen_header(cookie_header, secure)
            decoded = seen.decoded
            if decoded is not None and int(time.time()) < seen.valid_until:
                return decoded.claims()
        return self._claims_found(seen, authorization, secure)

    def _claims_found(self, seen: _Seen | None, authorization: bytes | None, secure: bool) -> dict[str, Any] | None:
        """:meth:`claims_now` past the memo: the token the Cookie header's entry ``seen`` holds
        (else the Bearer token), decoded through the token cache; a session cookie's token is
        remembered in that entry."""
        found = None if seen is None else seen.found
        if found is None or found is _ABSENT:
            found = self._bearer_located(authorization, secure)
            seen = None  # a Bearer token is not the Cookie header's to remember
        if type(found) is not Located:
            return None
        decoded = self._cached(found.raw, found.source)
        if decoded is None:
            return None
        if seen is not None and self.cache.maxsize:
            seen.remember(decoded, valid_until(decoded, self.leeway))
        return decoded.claims()

    async def read(self, scope: Mapping[str, Any]) -> dict[str, Any] | None:
        """The request's claims (a fresh copy, the caller's to change), or None. Raises
        :class:`~asgi_withauth.errors.MissingSecretError` when there is no secret or hook."""
        if self.decode_hook is None:
            if self.secret is None:
                raise MissingSecretError()
            return self.claims_now(scope)
        found = await self.read_token(scope)
        return None if found is None else found.claims()
