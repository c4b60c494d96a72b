"""``get_token``: next-auth's getToken for ASGI requests.

The session token comes from next-auth's session cookie (chunked or not) or, when
there is none, from ``Authorization: Bearer <token>``. It is decoded with the
secret (option, else ``NEXTAUTH_SECRET``, else ``AUTH_SECRET``) or a custom hook.
Absent or invalid tokens give None; only a missing secret raises.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, Protocol, TypeAlias, overload

from starlette.requests import HTTPConnection

from ._cache import DecodedToken, TokenCache
from .cookies import (
    SECURE_PREFIX,
    SessionCookieError,
    cookie_name_version,
    decode_uri_component,
    default_salt,
    parse_cookie_header,
    read_session_cookie,
    session_cookie_name,
)
from .errors import MissingSecretError
from .jwt import DEFAULT_LEEWAY, MAX_TOKEN_LENGTH, JWTError, Secret, TokenCodec, Version

__all__ = [
    "Conn",
    "DecodeHook",
    "FoundToken",
    "HasScope",
    "TokenReader",
    "TokenSource",
    "cached_read",
    "cached_read_sync",
    "cached_token",
    "cached_token_sync",
    "get_token",
    "nextauth_token",
    "reader_for",
    "resolve_secret",
]

logger = logging.getLogger("asgi_withauth")


class HasScope(Protocol):
    """Any framework's request object that exposes the ASGI scope (Starlette, FastAPI,
    Litestar, Quart, Django's ``ASGIRequest``)."""

    @property
    def scope(self) -> Any: ...


Conn: TypeAlias = "HasScope | Mapping[str, Any]"
"""A request object with a ``scope`` (any ASGI framework's), or a raw ASGI scope."""

DecodeHook: TypeAlias = Callable[..., "Mapping[str, Any] | Awaitable[Mapping[str, Any] | None] | None"]
"""Replaces the codec: called as ``hook(token=..., secret=..., salt=...)``, sync or async."""


def resolve_secret(secret: Secret | None) -> Secret | None:
    """The explicit secret, else ``NEXTAUTH_SECRET``, else ``AUTH_SECRET``.

    As in next-auth, an explicit empty secret is no secret and does not fall back to
    the environment; an empty environment variable counts as unset.
    """
    if secret is not None:
        return secret or None
    return os.environ.get("NEXTAUTH_SECRET") or os.environ.get("AUTH_SECRET") or None


def _env_secure() -> bool | None:
    """next-auth's default for secure cookies: an https NEXTAUTH_URL, or running on Vercel."""
    url = os.environ.get("NEXTAUTH_URL") or os.environ.get("AUTH_URL")
    if url:
        return url.startswith("https://")
    return True if os.environ.get("VERCEL") else None


def scope_of(conn: Conn) -> Mapping[str, Any]:
    """The ASGI scope behind a request object, or the scope itself."""
    if isinstance(conn, HTTPConnection):  # a Mapping too: check it first
        return conn.scope
    if isinstance(conn, Mapping):
        return conn
    scope: Mapping[str, Any] = conn.scope
    return scope


def nextauth_token(conn: Conn) -> dict[str, Any] | None:
    """The token WithAuth put on this request (``scope["nextauth"]["token"]``), or None when
    WithAuth did not check it (an unmatched or public path) or it allowed no token."""
    nextauth = scope_of(conn).get("nextauth")
    return None if nextauth is None else nextauth.get("token")


def request_headers(scope: Mapping[str, Any]) -> tuple[str, str | None]:
    """The request's cookie header (repeats joined) and its first Authorization header."""
    cookies: list[str] = []
    authorization: str | None = None
    for key, value in scope.get("headers") or ():
        if key == b"cookie":
            cookies.append(value.decode("latin-1"))
        elif key == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    return "; ".join(cookies), authorization


def raw_request_headers(scope: Mapping[str, Any]) -> tuple[bytes, bytes | None]:
    """:func:`request_headers` undecoded: the Cookie header's bytes (repeats joined with
    ``b"; "``; decoded as latin-1 it parses to the same cookies) and the first
    Authorization header's bytes, so a memo hit costs no decoding."""
    cookie = b""
    authorization: bytes | None = None
    for key, value in scope.get("headers") or ():
        if key == b"cookie":
            cookie = cookie + b"; " + value if cookie else value
        elif key == b"authorization" and authorization is None:
            authorization = value
    return cookie, authorization


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Bearer <token>``, percent-decoded; None when absent or malformed."""
    if not authorization:
        return None
    parts = authorization.split(" ")
    if len(parts) != 2 or parts[0] != "Bearer" or not parts[1]:
        return None
    return decode_uri_component(parts[1]) or None


_ABSENT: Final = object()
_BROKEN: Final = object()
_SEEN_SIZE: Final = 256
_SEEN_HEADER_MAX: Final = 16 * 1024


@dataclass(frozen=True, slots=True, eq=False)
class TokenSource:
    """Where a token is looked for, and the (format, salt) pairs to decode it with, in order.

    Compared by identity: each reader builds its own sources once, so a cache hit that
    needs the same source never answers for another place, or another reader's secret.
    """

    cookie_name: str  # "" for the Authorization header
    attempts: tuple[tuple[Version, str], ...]


class FoundToken(NamedTuple):
    """A request's session token: the string, where it was found and what it decoded to.
    (A named tuple: built per request, it costs a fraction of a frozen dataclass.)"""

    raw: str
    source: TokenSource
    decoded: DecodedToken

    @property
    def cookie_name(self) -> str | None:
        """The session cookie it came from; None for ``Authorization: Bearer``."""
        return self.source.cookie_name or None

    @property
    def version(self) -> Version | None:
        """The format that decoded it (4 or 5); None when a custom decode hook did."""
        return self.decoded.version

    @property
    def salt(self) -> str:
        """The salt that decoded it (with a decode hook: the salt the hook was given)."""
        return self.decoded.salt

    def claims(self) -> dict[str, Any]:
        """A fresh deep copy of the claims, for the caller to keep or change."""
        return self.decoded.claims()


class TokenReader:
    """Finds and decodes the session token of a request; build once, use per request.

    ``secure_cookie`` None means: https ``NEXTAUTH_URL``/``AUTH_URL`` if set, else the
    request's scheme. Secure requests only read ``__Secure-`` cookies; plain ones read
    the plain name first and then the ``__Secure-`` one (behind a TLS-terminating proxy
    the app sees http, and a ``__Secure-`` cookie can only have been set over https).

    ``version`` None reads each default cookie name in its own format (next-auth's names
    v4, Auth.js's v5). A ``cookie_name`` that is one of those names implies its format too,
    for the cookie and the Bearer fallback alike; any other name is tried as v4, then v5
    (salted with that name, as Auth.js's getToken salts both). Without ``cookie_name`` the
    Bearer token is tried as v4, then as v5 salted with Auth.js's default cookie name.
    """

    def __init__(
        self,
        *,
        secret: Secret | None = None,
        salt: str | None = None,
        secure_cookie: bool | None = None,
        cookie_name: str | None = None,
        version: Version | None = None,
        decode: DecodeHook | None = None,
        leeway: int = DEFAULT_LEEWAY,
        require_exp: bool = False,
    ) -> None:
        if version not in (None, 4, 5):
            raise ValueError("version: expected 4 (next-auth), 5 (Auth.js) or None (either)")
        if version is None and cookie_name:
            version = cookie_name_version(cookie_name)
        self.version: Version | None = version
        self.secret = resolve_secret(secret)
        self.decode_hook = decode
        self.salt = salt
        self.leeway = leeway
        self.require_exp = require_exp
        self.secure_cookie = secure_cookie if secure_cookie is not None else _env_secure()
        versions: tuple[Version, ...] = (4, 5) if version is None else (version,)
        self._cookies = {secure: self._cookie_sources(versions, cookie_name, secure) for secure in (False, True)}
        self._bearer = {secure: self._bearer_source(versions, cookie_name, secure) for secure in (False, True)}
        self._codecs: dict[tuple[Version, str], TokenCodec] = {}
        self._seen: dict[tuple[bytes, bool], object] = {}  # Cookie header -> what it holds

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

    def find(self, scope: Mapping[str, Any], *, bearer: bool = True) -> tuple[str, TokenSource] | None:
        """The raw token of the request and where it came from, or None.

        ``bearer=False`` reads cookies only (as next-auth's getServerSession does).
        """
        cookie_header, authorization = raw_request_headers(scope)
        secure = self.is_secure(scope)
        if cookie_header:
            key = (cookie_header, secure)  # the header's bytes: no decoding on a memo hit
            found = self._seen.get(key)
            if found is None:
                found = self._from_cookies(cookie_header.decode("latin-1"), secure)
                if len(cookie_header) <= _SEEN_HEADER_MAX:  # bounded in count and size
                    if len(self._seen) >= _SEEN_SIZE:
                        self._seen.clear()
                    self._seen[key] = found
            if found is _BROKEN:
                return None
            if found is not _ABSENT:
                return found  # type: ignore[return-value]
        token = bearer_token(authorization.decode("latin-1")) if bearer and authorization else None
        if token is None:
            return None
        if len(token) > MAX_TOKEN_LENGTH:
            logger.debug("bearer token ignored: longer than %d characters", MAX_TOKEN_LENGTH)
            return None
        return token, self._bearer[secure]

    def _from_cookies(self, cookie_header: str, secure: bool) -> tuple[str, TokenSource] | object:
        """The session cookie's value and source, ``_ABSENT``, or ``_BROKEN`` (do not fall
        back to the Authorization header when a session cookie is there but unusable)."""
        cookies = parse_cookie_header(cookie_header)
        for source in self._cookies[secure]:
            try:
                value = read_session_cookie(cookies, source.cookie_name)
            except SessionCookieError as exc:
                logger.debug("session cookie ignored: %s", exc)
                return _BROKEN
            if value is not None:
                return value, source
        return _ABSENT

    def unusable_cookie(self, scope: Mapping[str, Any]) -> str | None:
        """The name of a session cookie the request carries but that cannot be read (a chunk
        missing, or over the size limit), so that it can be cleared; else None."""
        cookie_header = request_headers(scope)[0]
        if not cookie_header:
            return None
        cookies = parse_cookie_header(cookie_header)
        for source in self._cookies[self.is_secure(scope)]:
            try:
                read_session_cookie(cookies, source.cookie_name)
            except SessionCookieError:
                return source.cookie_name
        return None

    def codec(self, version: Version, salt: str) -> TokenCodec:
        """The built-in codec for one format and salt (built once per reader)."""
        codec = self._codecs.get((version, salt))
        if codec is None:
            if self.secret is None:
                raise MissingSecretError()
            codec = TokenCodec(
                self.secret, salt=salt, version=version, leeway=self.leeway, require_exp=self.require_exp
            )
            self._codecs[(version, salt)] = codec  # bounded: at most 2 per cookie source
        return codec

    def decode_as(self, token: str, source: TokenSource, *, now: float | None = None) -> DecodedToken | None:
        """Decode with the built-in codec: the claims with the format and salt that worked,
        or None (the reason logged at debug level, never the token)."""
        for version, salt in source.attempts:
            try:
                claims = self.codec(version, salt).decode(token, now=now)
            except JWTError as exc:
                logger.debug("session token rejected as v%d: %s: %s", version, type(exc).__name__, exc)
            else:
                return DecodedToken(claims, version=version, salt=salt)
        return None

    def decode_sync(self, token: str, source: TokenSource, *, now: float | None = None) -> dict[str, Any] | None:
        """Decode with the built-in codec: the claims, or None."""
        decoded = self.decode_as(token, source, now=now)
        return None if decoded is None else decoded.claims()

    async def decode(self, token: str, source: TokenSource) -> dict[str, Any] | None:
        """Decode with the hook if one is set, else with the built-in codec."""
        if self.decode_hook is None:
            return self.decode_sync(token, source)
        try:
            result = self.decode_hook(token=token, secret=self.secret, salt=source.attempts[-1][1])
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
        return dict(result)

    async def read(self, scope: Mapping[str, Any]) -> dict[str, Any] | None:
        """The decoded token of the request, or None. Raises MissingSecretError if unconfigured."""
        if not self.configured:
            raise MissingSecretError()
        found = self.find(scope)
        if found is None:
            return None
        return await self.decode(*found)


async def cached_read(reader: TokenReader, cache: TokenCache, scope: Mapping[str, Any]) -> FoundToken | None:
    """The request's token, where it was found and how it decoded, through ``cache``
    (built-in codec only; a decode hook runs every time, and its results have no format)."""
    if reader.decode_hook is None:
        return cached_read_sync(reader, cache, scope)
    found = reader.find(scope)
    if found is None:
        return None
    raw, source = found
    claims = await reader.decode(raw, source)
    if claims is None:
        return None
    return FoundToken(raw, source, DecodedToken(claims, version=None, salt=source.attempts[-1][1]))


def cached_read_sync(reader: TokenReader, cache: TokenCache, scope: Mapping[str, Any]) -> FoundToken | None:
    """:func:`cached_read` for readers without a decode hook, with no coroutine to run."""
    found = reader.find(scope)
    if found is None:
        return None
    raw, source = found  # unpacked by hand: a star call costs ~0.15 us per request
    decoded = _decoded(reader, cache, raw, source)
    return None if decoded is None else FoundToken(raw, source, decoded)


async def cached_token(reader: TokenReader, cache: TokenCache, scope: Mapping[str, Any]) -> dict[str, Any] | None:
    """The request's decoded token through ``cache`` (built-in codec only; hooks run every
    time): a fresh copy of the claims, the caller's to change."""
    if reader.decode_hook is None:
        return cached_token_sync(reader, cache, scope)
    found = await cached_read(reader, cache, scope)
    return None if found is None else found.claims()


def cached_token_sync(reader: TokenReader, cache: TokenCache, scope: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`cached_token` for readers without a decode hook, with no coroutine to run."""
    found = reader.find(scope)
    if found is None:
        return None
    raw, source = found
    decoded = _decoded(reader, cache, raw, source)
    return None if decoded is None else decoded.claims()


def _decoded(reader: TokenReader, cache: TokenCache, raw: str, source: TokenSource) -> DecodedToken | None:
    """``raw`` from ``source`` decoded, or from the cache. A hit needs the token *and* its
    source (compared by identity), so it gives exactly what a cold decode from there would."""
    now = int(time.time())
    decoded = cache.lookup(raw, now, source=source)
    if decoded is None:
        decoded = reader.decode_as(raw, source, now=now)
        if decoded is not None:
            cache.put(raw, decoded, source=source, leeway=reader.leeway)
    return decoded


@functools.lru_cache(maxsize=32)
def _cached_reader(
    secret: Secret | None,
    salt: str | None,
    secure_cookie: bool | None,
    cookie_name: str | None,
    version: Version | None,
    decode: DecodeHook | None,
    leeway: int,
    require_exp: bool,
    env: tuple[str | None, ...],  # part of the cache key: the environment's secret and URL
) -> TokenReader:
    return TokenReader(
        secret=secret,
        salt=salt,
        secure_cookie=secure_cookie,
        cookie_name=cookie_name,
        version=version,
        decode=decode,
        leeway=leeway,
        require_exp=require_exp,
    )


_ENV_NAMES: Final = ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL")


def reader_for(
    *,
    secret: Secret | None = None,
    salt: str | None = None,
    secure_cookie: bool | None = None,
    cookie_name: str | None = None,
    version: Version | None = None,
    decode: DecodeHook | None = None,
    leeway: int = DEFAULT_LEEWAY,
    require_exp: bool = False,
) -> TokenReader:
    """A TokenReader for these options, shared between calls (keys derived once)."""
    if isinstance(secret, list):
        secret = tuple(secret)
    env = tuple(os.environ.get(name) for name in _ENV_NAMES)
    return _cached_reader(secret, salt, secure_cookie, cookie_name, version, decode, leeway, require_exp, env)


@overload
async def get_token(
    conn: Conn,
    *,
    secret: Secret | None = ...,
    salt: str | None = ...,
    secure_cookie: bool | None = ...,
    cookie_name: str | None = ...,
    version: Version | None = ...,
    raw: Literal[False] = ...,
    decode: DecodeHook | None = ...,
    leeway: int = ...,
    require_exp: bool = ...,
) -> dict[str, Any] | None: ...


@overload
async def get_token(
    conn: Conn,
    *,
    secret: Secret | None = ...,
    salt: str | None = ...,
    secure_cookie: bool | None = ...,
    cookie_name: str | None = ...,
    version: Version | None = ...,
    raw: Literal[True],
    decode: DecodeHook | None = ...,
    leeway: int = ...,
    require_exp: bool = ...,
) -> str | None: ...


async def get_token(
    conn: Conn,
    *,
    secret: Secret | None = None,
    salt: str | None = None,
    secure_cookie: bool | None = None,
    cookie_name: str | None = None,
    version: Version | None = None,
    raw: bool = False,
    decode: DecodeHook | None = None,
    leeway: int = DEFAULT_LEEWAY,
    require_exp: bool = False,
) -> dict[str, Any] | str | None:
    """The decoded session token of a request (next-auth's ``getToken``), or None.

    ``conn`` is any framework's request object with a ``scope`` (Starlette, FastAPI,
    Litestar, Quart, Django) or an ASGI scope.
    ``version`` picks the cookie names and format: 4 (``next-auth.session-token``),
    5 (``authjs.session-token``) or None (both names, each in its own format; a
    ``cookie_name`` of next-auth's or Auth.js's implies its format, any other name is tried
    as v4 then v5). ``salt`` defaults to "" for v4 and to the cookie name for v5.
    ``raw=True`` returns the token string undecoded. ``decode`` replaces the codec. Raises
    :class:`~asgi_withauth.errors.MissingSecretError` when no secret is configured.
    """
    reader = reader_for(
        secret=secret,
        salt=salt,
        secure_cookie=secure_cookie,
        cookie_name=cookie_name,
        version=version,
        decode=decode,
        leeway=leeway,
        require_exp=require_exp,
    )
    scope = scope_of(conn)
    if raw:
        found = reader.find(scope)
        return None if found is None else found[0]
    return await reader.read(scope)
