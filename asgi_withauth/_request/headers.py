"""The parts of an ASGI request that sessions are read from: the scope, the Cookie and
Authorization headers, and a Bearer token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeAlias

from starlette.requests import HTTPConnection

from .cookies import decode_uri_component, parse_cookie_header

__all__ = ["Conn", "HasScope", "bearer_token", "raw_request_headers", "request_cookies", "request_headers", "scope_of"]


class HasScope(Protocol):
    """Any framework's request object that exposes the ASGI scope (Starlette, FastAPI,
    Litestar, Quart, Django's ``ASGIRequest``)."""

    @property
    def scope(self) -> Any: ...


Conn: TypeAlias = "HasScope | Mapping[str, Any]"
"""A request object with a ``scope`` (any ASGI framework's), or a raw ASGI scope."""


def scope_of(conn: Conn) -> Mapping[str, Any]:
    """The ASGI scope behind a request object, or the scope itself."""
    if isinstance(conn, HTTPConnection):  # a Mapping too: check it first
        return conn.scope
    if isinstance(conn, Mapping):
        return conn
    scope: Mapping[str, Any] = conn.scope
    return scope


def request_headers(scope: Mapping[str, Any]) -> tuple[str, str | None]:
    """The request's cookie header (repeats joined) and its first Authorization header."""
    cookie, authorization = raw_request_headers(scope)
    return cookie.decode("latin-1"), None if authorization is None else authorization.decode("latin-1")


def request_cookies(scope: Mapping[str, Any]) -> dict[str, str]:
    """The request's cookies (every Cookie header, parsed as next-auth parses them)."""
    cookie, _ = request_headers(scope)
    return parse_cookie_header(cookie) if cookie else {}


def raw_request_headers(scope: Mapping[str, Any]) -> tuple[bytes, bytes | None]:
    """The Cookie header's bytes (repeats joined with ``b"; "``; decoded as latin-1 it
    parses to the same cookies) and the first Authorization header's bytes, undecoded, so
    that a memo hit costs no decoding."""
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
