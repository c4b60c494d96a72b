"""Cross-site write protection: refuse state-changing requests that the session cookie would
authenticate when the browser says they come from another site.

A session cookie rides along on every request the browser sends to its site, including a form
posted from someone else's page. ``SameSite=Lax`` stops most of those, but not a post from a
sibling subdomain (same site, another origin), and not every front end sets it. The rule is
Go's ``http.CrossOriginProtection`` (Go 1.25), applied where a session cookie is present:

- safe methods (GET, HEAD, OPTIONS) pass; a websocket handshake is checked like a write;
- ``Sec-Fetch-Site: same-origin`` or ``none`` passes; ``same-site``/``cross-site`` (or any
  other value) passes only from a trusted origin;
- without ``Sec-Fetch-Site``: no ``Origin`` passes (not a browser, or a same-origin request of
  an old one); an ``Origin`` passes when it is the request's own (``public_url``, else the
  ``Host``, scheme aside) or a trusted one;
- with ``double_submit=True``, the request must also echo next-auth's CSRF token (header or
  form field) matching its ``next-auth.csrf-token``/``authjs.csrf-token`` cookie.

Requests without the session cookie (a Bearer token, or none) are not checked: nothing
ambient authenticates them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from ._request.headers import request_cookies
from ._request.urls import Origin, parse_origin, same_authority, scope_origin
from .jwt import Secret, Version
from .options import AuthOptions

__all__ = [
    "SAFE_METHODS",
    "CrossSiteCheck",
    "CrossSiteProtection",
    "csrf_cookie_names",
    "csrf_cookie_value",
    "csrf_verified",
]

logger = logging.getLogger("asgi_withauth")

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that must not change state, never checked (Go's list)."""
MAX_TOKEN_BODY: Final = 64 * 1024
"""The largest form or JSON body read for a double-submit token; a larger one is refused."""
_CSRF_NAMES: Final[dict[Version, str]] = {4: "next-auth.csrf-token", 5: "authjs.csrf-token"}
_FORM: Final = "application/x-www-form-urlencoded"
_JSON: Final = "application/json"
_ORIGIN_HEADERS: Final = frozenset({b"host", b"origin", b"sec-fetch-site"})
_SINGLE: Final = frozenset({b"origin", b"sec-fetch-site"})
"""Headers a browser sends once: two different values are refused, not resolved."""
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP header name (RFC 9110's token); checked once, at construction."""

BodyReader = Callable[[], Awaitable["bytes | None"]]
"""Reads the request body, at most :data:`MAX_TOKEN_BODY` bytes (None: larger, or cut off)."""
CookieProbe = Callable[[Mapping[str, Any]], bool]
"""Whether a request carries the session cookie (``SessionStrategy.has_session_cookie``)."""


@dataclass(frozen=True)
class CrossSiteProtection:
    """What counts as a cross-site write, and what else a write must carry.

    ``trusted_origins``: the front ends on other origins whose writes you accept, such as
    ``"https://app.example.com"`` (scheme, host and port; no path). ``trust_auth_origins``:
    also trust the origins of ``NEXTAUTH_URL``/``AUTH_URL`` and of an absolute sign-in or
    error page (your Next.js app). ``double_submit``: also require next-auth's CSRF token in
    the ``csrf_header`` header or the ``csrf_field`` form or JSON field; ``csrf_cookie_name``
    overrides next-auth's cookie names (``cookies.csrfToken.name``).
    """

    trusted_origins: Collection[str] = ()
    trust_auth_origins: bool = True
    double_submit: bool = False
    csrf_header: str = "x-csrf-token"
    csrf_field: str = "csrfToken"
    csrf_cookie_name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.trusted_origins, str):
            raise TypeError("trusted_origins: expected a list of origins, e.g. ['https://app.example.com']")
        origins = set()
        for value in self.trusted_origins:
            origin = parse_origin(value.rstrip("/")) if isinstance(value, str) else None
            if origin is None:
                raise ValueError(
                    f"trusted_origins: {value!r} is not an origin; write scheme://host[:port], "
                    "e.g. 'https://app.example.com', with no path"
                )
            origins.add(origin)
        object.__setattr__(self, "trusted_origins", frozenset(origins))
        if not isinstance(self.csrf_header, str) or not _HEADER_NAME.fullmatch(self.csrf_header):
            raise ValueError(f"csrf_header: {self.csrf_header!r} is not an HTTP header name, e.g. 'X-CSRF-Token'")
        object.__setattr__(self, "csrf_header", self.csrf_header.lower())


DEFAULT_PROTECTION: Final = CrossSiteProtection()
"""The protection WithAuth and the FastAPI dependencies apply unless told otherwise."""


def csrf_cookie_value(token: str, secret: Secret) -> str:
    """The CSRF cookie's value next-auth sets for ``token``: ``token|sha256(token + secret)``
    (a list of secrets joined with commas, as JavaScript prints an array)."""
    digest = hashlib.sha256(f"{token}{_secret_text(secret)}".encode()).hexdigest()
    return f"{token}|{digest}"


def csrf_verified(cookie_value: str | None, echoed: Any, secret: Secret) -> bool:
    """next-auth's check: the cookie is one it set (the hash matches) and the echoed token is
    the cookie's token."""
    if not cookie_value or not isinstance(echoed, str) or not echoed:
        return False
    token, _, digest = cookie_value.partition("|")
    expected = csrf_cookie_value(token, secret).partition("|")[2]
    return hmac.compare_digest(digest.encode(), expected.encode()) and hmac.compare_digest(
        token.encode("utf-8", "surrogateescape"), echoed.encode("utf-8", "surrogateescape")
    )


def csrf_cookie_names(options: AuthOptions, scope: Mapping[str, Any], name: str | None = None) -> tuple[str, ...]:
    """The CSRF cookies next-auth would have set for this request: ``name`` if given, else
    ``next-auth.csrf-token`` (v4) and ``authjs.csrf-token`` (v5), ``__Host-`` prefixed on
    secure requests."""
    if name:
        return (name,)
    secure = options.resolved_secure_cookie
    if secure is None:
        secure = scope.get("scheme") in ("https", "wss")
    prefix = "__Host-" if secure else ""
    versions: tuple[Version, ...] = (options.version,) if options.version else (4, 5)
    return tuple(prefix + _CSRF_NAMES[v] for v in versions)


def _secret_text(secret: Secret) -> str:
    if isinstance(secret, str | bytes):
        return secret.decode() if isinstance(secret, bytes) else secret
    return ",".join(s.decode() if isinstance(s, bytes) else s for s in secret)


class CrossSiteCheck:
    """A :class:`CrossSiteProtection` bound to one set of options and origin settings: the
    trusted origins resolved once. WithAuth, ``CrossSiteMiddleware`` and the integrations each
    build one. ``session_cookie`` tells whether a request carries the session cookie: only
    those requests are checked."""

    def __init__(
        self,
        protection: CrossSiteProtection,
        options: AuthOptions,
        *,
        session_cookie: CookieProbe,
        public_url: str | None = None,
        trust_forwarded: bool = False,
    ) -> None:
        self.protection = protection
        self.options = options
        self.session_cookie = session_cookie
        self.public_url = public_url
        self.trust_forwarded = trust_forwarded
        trusted = set(protection.trusted_origins)
        if protection.trust_auth_origins:
            trusted.update(_auth_origins(options))
        self.trusted: frozenset[Origin] = frozenset(trusted)

    def applies(self, scope: Mapping[str, Any]) -> bool:
        """Whether the request is checked: it could change state (an unsafe method, or a
        websocket handshake) and carries the session cookie."""
        return _writes(scope) and self.session_cookie(scope)

    @property
    def double_submit(self) -> bool:
        """Whether writes must also echo next-auth's CSRF token (which may mean reading the body)."""
        return self.protection.double_submit

    def refusal_now(self, scope: Mapping[str, Any]) -> str | None:
        """Why the origin rule refuses the request, or None (it passes, or is not checked);
        no body is read, no double-submit token checked. A refusal is logged."""
        if not _writes(scope):
            return None
        reason = self.origin_refusal(scope)  # before the cookie probe: most writes pass here
        if reason is None or not self.session_cookie(scope):
            return None
        return _refused(scope, reason)

    def origin_refusal(self, scope: Mapping[str, Any]) -> str | None:
        """Why the browser's request is cross-site and untrusted, or None (it passes)."""
        found: dict[bytes, bytes] = {}
        for key, value in scope.get("headers") or ():
            if key in _ORIGIN_HEADERS:
                if key in found and key in _SINGLE and found[key] != value:
                    return f"conflicting {key.decode()} headers"
                found.setdefault(key, value)
        site_bytes = found.get(b"sec-fetch-site")
        if site_bytes == b"same-origin":
            return None  # the common case, decoded nothing
        origin = None if (raw := found.get(b"origin")) is None else raw.decode("latin-1")
        site = None if site_bytes is None else site_bytes.decode("latin-1")
        if site:
            if site in ("same-origin", "none"):
                return None
            if origin is not None and parse_origin(origin) in self.trusted:
                return None
            return f"Sec-Fetch-Site: {site} from {origin or 'no Origin'}, not a trusted origin"
        if origin is None:
            return None  # not a browser, or an old browser's same-origin request
        parsed = parse_origin(origin)
        if parsed is None:
            return f"Origin {origin[:100]!r} is not an origin a page can have"
        if parsed in self.trusted or same_authority(parsed, found.get(b"host", b"").decode("latin-1")):
            return None
        own = scope_origin(scope, public_url=self.public_url, trust_forwarded=self.trust_forwarded)
        return None if parsed == own else f"Origin {parsed} is neither this site ({own}) nor a trusted origin"

    async def token_refusal(self, scope: Mapping[str, Any], body: BodyReader) -> str | None:
        """With ``double_submit``: why the checked request's CSRF token does not match
        next-auth's CSRF cookie, or None (it matches, or nothing to check). A refusal is logged."""
        if not self.double_submit or scope["type"] != "http" or not self.applies(scope):
            return None
        reason = await self._token_mismatch(scope, body)
        return None if reason is None else _refused(scope, reason)

    async def _token_mismatch(self, scope: Mapping[str, Any], body: BodyReader) -> str | None:
        secret = self.options.resolved_secret
        if secret is None:
            return "no secret is configured to check the CSRF cookie with"
        protection = self.protection
        cookies = request_cookies(scope)
        names = csrf_cookie_names(self.options, scope, protection.csrf_cookie_name)
        cookie = next((cookies[name] for name in names if name in cookies), None)
        if cookie is None:
            return f"no CSRF cookie ({' or '.join(names)}) on the request"
        echoed = _header(scope, protection.csrf_header.encode("latin-1"))
        if echoed is None:
            echoed = await _body_field(scope, body, protection.csrf_field)
        if csrf_verified(cookie, echoed, secret):
            return None
        return f"the {protection.csrf_header} header or {protection.csrf_field!r} field does not match the CSRF cookie"

    async def refusal(self, scope: Mapping[str, Any], body: BodyReader) -> str | None:
        """Why the request is refused as a cross-site write, or None (it passes, or
        :meth:`applies` says it is not checked): the origin rule, then the double-submit token."""
        reason = self.refusal_now(scope)
        return reason if reason is not None else await self.token_refusal(scope, body)


def _writes(scope: Mapping[str, Any]) -> bool:
    """Whether the request could change state: an unsafe method, or a websocket handshake."""
    kind = scope["type"]
    return kind == "websocket" or (kind == "http" and scope.get("method") not in SAFE_METHODS)


def _refused(scope: Mapping[str, Any], reason: str) -> str:
    """Log a refusal (at INFO: anyone can cause one) and give its reason back."""
    logger.info(
        "cross-site request refused (%s %s): %s. If that front end is yours, add its origin to "
        "CrossSiteProtection(trusted_origins=[...])",
        scope.get("method", "websocket"),
        str(scope.get("path", ""))[:200],
        reason,
    )
    return reason


def _auth_origins(options: AuthOptions) -> set[Origin]:
    """The origins of ``NEXTAUTH_URL``/``AUTH_URL`` (https assumed without a scheme, as
    next-auth does) and of absolute sign-in and error pages: the Next.js app's."""
    found = set()
    url = options.env.url
    candidates = [url if url is None or "://" in url else "https://" + url, options.sign_in_page, options.error_page]
    for candidate in candidates:
        if candidate:
            parts = urlsplit(candidate)
            origin = parse_origin(f"{parts.scheme}://{parts.netloc}") if parts.netloc else None
            if origin is not None:
                found.add(origin)
    return found


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _body_field(scope: Mapping[str, Any], body: BodyReader, field: str) -> Any:
    """``field`` of a form-encoded or JSON body, or None (another content type, too large, not parseable)."""
    content_type = (_header(scope, b"content-type") or "").partition(";")[0].strip().lower()
    if content_type not in (_FORM, _JSON):
        return None
    raw = await body()
    if raw is None:
        return None
    try:
        if content_type == _FORM:
            text = raw.decode("utf-8", "replace")
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=1000, errors="replace")
            return next((v for k, v in pairs if k == field), None)
        data = json.loads(raw)
    except (ValueError, RecursionError):  # too many fields, not JSON, nested too deep
        return None
    return data.get(field) if isinstance(data, dict) else None
