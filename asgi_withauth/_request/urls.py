"""The URLs withAuth redirects to, built exactly as next-auth builds them.

next-auth v4 redirects to ``new URL(basePath + signInPage, origin)`` and appends
``callbackUrl = basePath + pathname + search`` with ``URLSearchParams``: the path and
query are already percent-encoded by the URL parser and are form-encoded once more
(a space in the query becomes ``%2520``). The ``callbackUrl`` we build is always a
same-origin path: never ``//host``, never a backslash, never an absolute URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlsplit

from .._cache import memoized
from .paths import PATH_SAFE, url_path

__all__ = [
    "MAX_HOST_LENGTH",
    "Origin",
    "callback_path",
    "canonical_redirect",
    "form_encode",
    "page_url",
    "parse_origin",
    "request_origin",
    "same_authority",
    "scope_origin",
]

MAX_HOST_LENGTH: Final = 253
"""The longest host name accepted from ``Host``/``X-Forwarded-Host`` (DNS's limit), without a trailing dot."""
_MAX_AUTHORITY: Final = MAX_HOST_LENGTH + len(".:65535")
_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_IPV6: Final = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_PORT: Final = re.compile(r"[0-9]{1,5}")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
# What the WHATWG URL parser leaves unencoded in a query (special schemes).
_QUERY_SAFE: Final = "!$&()*+,;=:@/?%-._~[]\\^`{|}"

Origin = str
"""``scheme://host[:port]``, as ``URL.origin`` prints it."""


def _valid_host(name: str) -> bool:
    """A DNS name (dot-separated labels of 1 to 63 letters, digits and inner hyphens, at most
    253 characters, one trailing dot allowed) or an IPv6 literal in brackets. Plain string
    checks and one bounded regex per label: linear time whatever the input."""
    if name.startswith("["):
        return _IPV6.fullmatch(name) is not None
    if name.endswith("."):
        name = name[:-1]
    return len(name) <= MAX_HOST_LENGTH and all(_LABEL.fullmatch(label) for label in name.split("."))


def _origin(scheme: str, host: str) -> Origin | None:
    """``scheme://host[:port]`` when ``host`` is a valid ``host[:port]``, else None."""
    return _checked_origin(scheme, host) if len(host) <= _MAX_AUTHORITY else None


@memoized(256)
def _checked_origin(scheme: str, host: str) -> Origin | None:
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    if scheme not in _DEFAULT_PORTS:
        return None
    name, sep, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not sep:
        name, port = host, ""
    if not _valid_host(name) or (port and (not _PORT.fullmatch(port) or int(port) > 65535)):
        return None
    name = name.lower()
    if port == _DEFAULT_PORTS[scheme]:
        port = ""
    return f"{scheme}://{name}" + (f":{int(port)}" if port else "")


def parse_origin(value: str) -> Origin | None:
    """An ``Origin`` header's value (``scheme://host[:port]``, as browsers send it) in the form
    :func:`request_origin` gives, or None: ``null``, another scheme, a path, user info, a
    malformed host. Linear time in the value."""
    scheme, sep, authority = value.partition("://")
    if not sep or scheme not in _DEFAULT_PORTS or not authority or "/" in authority or "@" in authority:
        return None
    return _origin(scheme, authority)


def same_authority(origin: Origin, host: str) -> bool:
    """Whether ``origin``'s host and port are the ``Host`` header's (``host``), whatever the
    scheme (Go's ``CrossOriginProtection`` rule when a browser sends no ``Sec-Fetch-Site``)."""
    scheme = origin.partition("://")[0]
    return bool(host) and _origin(scheme, host) == origin


def request_origin(
    scope: Mapping[str, Any], headers: Mapping[str, str], *, public_url: str | None, trust_forwarded: bool
) -> Origin:
    """The origin redirects point at: ``public_url`` if set, else the request's own.

    ``X-Forwarded-Proto``/``X-Forwarded-Host`` count only with ``trust_forwarded``.
    A malformed ``Host`` (or a name over :data:`MAX_HOST_LENGTH` characters, or a label over 63)
    falls back to the server's address, never into the URL. Time is linear in the header.
    """
    if public_url:
        parts = urlsplit(public_url)
        return f"{parts.scheme}://{parts.netloc}"
    scheme = str(scope.get("scheme") or "http")
    host = headers.get("host", "")
    if trust_forwarded:
        scheme = headers.get("x-forwarded-proto", scheme).split(",")[0].strip() or scheme
        host = headers.get("x-forwarded-host", host).split(",")[0].strip() or host
    origin = _origin(scheme, host)
    if origin is None:
        server = scope.get("server") or ("localhost", None)
        address = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
        origin = _origin(scheme, f"{address}:{server[1]}" if server[1] else address)
    return origin or "http://localhost"


_FORWARDING_HEADERS: Final = frozenset({b"host", b"x-forwarded-proto", b"x-forwarded-host"})


def scope_origin(scope: Mapping[str, Any], *, public_url: str | None, trust_forwarded: bool) -> Origin:
    """:func:`request_origin` of an ASGI scope, its headers read there (the first of repeats wins)."""
    headers = {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in reversed(scope.get("headers") or ())
        if k in _FORWARDING_HEADERS
    }
    return request_origin(scope, headers, public_url=public_url, trust_forwarded=trust_forwarded)


def form_encode(text: str) -> str:
    """``application/x-www-form-urlencoded`` as ``URLSearchParams`` writes it."""
    return quote(text, safe="*").replace("%20", "+").replace("~", "%7E")


def callback_path(root_path: str, raw_path: str, query: str) -> str:
    """``basePath + pathname + search`` of the request, always a same-origin path.

    ``raw_path`` and ``query`` are the bytes as sent, decoded as UTF-8 with
    ``surrogateescape`` so that any byte is percent-encoded exactly once.
    """
    path = url_path(root_path + raw_path)
    path = "/" + path.lstrip("/")  # never //host
    return path + _search(query)


def canonical_redirect(root_path: str, canonical_path: str, query: str) -> str:
    """The ``Location`` of a redirect to the canonical path (percent-encoded, from
    :func:`~asgi_withauth._request.paths.canonical_route`): ``root_path``, the path and the query, as a
    same-origin path. The canonical path never starts with ``//``, and neither does the root
    path here (a server configured with ``//host`` would make the redirect protocol-relative)."""
    root = quote(root_path.rstrip("/"), safe=PATH_SAFE)
    if root.startswith("//"):
        root = "/" + root.lstrip("/")
    return root + quote(canonical_path, safe=PATH_SAFE, errors="surrogateescape") + _search(query)


def _search(query: str) -> str:
    """``?query`` percent-encoded where the URL parser would encode it; "" for no query."""
    return "?" + quote(query, safe=_QUERY_SAFE, errors="surrogateescape") if query else ""


def page_url(origin: Origin, root_path: str, page: str, params: Mapping[str, str]) -> str:
    """``new URL(basePath + page, origin)`` with ``params`` appended via URLSearchParams."""
    base, existing = _page(origin, root_path, page)
    query = "&".join([*existing, *(f"{form_encode(k)}={form_encode(v)}" for k, v in params.items())])
    return f"{base}?{query}" if query else base


@memoized(256)
def _page(origin: Origin, root_path: str, page: str) -> tuple[str, tuple[str, ...]]:
    """The page's URL without its query, and its own query re-serialised as URLSearchParams does."""
    parts = urlsplit(page)
    if parts.scheme and parts.netloc:
        base = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
    else:
        path = root_path + parts.path  # glued as next-auth does: `${basePath}${page}`
        base = origin + url_path(path if path.startswith("/") else "/" + path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return base, tuple(f"{form_encode(k)}={form_encode(v)}" for k, v in pairs)
