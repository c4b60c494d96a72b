"""Finding the token to inspect: a bare token, an ``Authorization: Bearer`` header, or a whole
``Cookie`` header (chunks joined by the library's own cookie reader); and telling apart what
is no next-auth token at all (a database session id, a signed JWT, junk)."""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .. import jwt
from .._request.cookies import (
    group_session_cookies,
    parse_cookie_header,
    read_session_cookie,
    session_cookie_name,
    session_cookie_names,
)
from ..errors import CLIError, SessionCookieError
from .output import usage_error

__all__ = ["SESSION_COOKIES", "Located", "check_not_opaque", "header_info", "locate", "truncated_error"]

SESSION_COOKIES: Final = tuple(session_cookie_name(version=v, secure=s) for s in (False, True) for v in (4, 5))
"""next-auth's default session cookie names, in the order they are looked for."""

_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX64: Final = re.compile(r"[0-9a-fA-F]{64}")
_COOKIE_PREFIX: Final = re.compile(r"cookie\s*:\s*", re.IGNORECASE)
_BEARER_PREFIX: Final = re.compile(r"(?:authorization\s*:\s*)?bearer\s+", re.IGNORECASE)
_IV_CHARS: Final = {"A256GCM": 16, "A256CBC-HS512": 22}  # base64url of next-auth's 12- and 16-byte ivs
_TAG_CHARS: Final = {"A256GCM": 22, "A256CBC-HS512": 43}  # ... and of its 16- and 32-byte tags


@dataclass(frozen=True, slots=True)
class Located:
    """The token to inspect and where it was found."""

    token: str
    origin: str  # "token", "bearer" or "cookie"
    cookie: str | None = None
    chunks: int = 0
    notes: tuple[str, ...] = ()


def locate(text: str) -> Located:
    """Find the token in a bare token, a Bearer header, or a Cookie header (chunks joined)."""
    text = text.strip()
    if not text:
        raise usage_error("nothing to inspect: give a token, a Cookie header value, or - to read stdin")
    cookie_prefix = _COOKIE_PREFIX.match(text)
    if cookie_prefix:
        return from_cookie_header(text[cookie_prefix.end() :])
    bearer = _BEARER_PREFIX.match(text)
    if bearer:
        return Located(text[bearer.end() :].strip(), "bearer")
    if "=" in text or ";" in text:
        return from_cookie_header(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return Located(text, "token")


def from_cookie_header(header: str) -> Located:
    """The session cookie of a Cookie header: next-auth's names first, then any JWE-looking one."""
    cookies = parse_cookie_header(header)
    found = [(name, value) for name in SESSION_COOKIES if (value := read_cookie(cookies, name)) is not None]
    if found:
        name, value = found[0]
        notes = tuple(f"another session cookie is present too: {other}" for other, _ in found[1:])
        return Located(value, "cookie", name, count_chunks(cookies, name), notes)
    for name, group in group_session_cookies(cookies).items():
        value = read_cookie(group, name)
        if value is not None and looks_like_jwe(value):
            note = f"{name} is not one of next-auth's default names; a custom session cookie name?"
            return Located(value, "cookie", name, count_chunks(group, name), (note,))
    raise CLIError(
        "no_session_cookie",
        "no next-auth session cookie in this Cookie header"
        + (f" (it has: {', '.join(sorted(cookies))})" if cookies else " (it has no cookies)"),
        "looked for next-auth.session-token and authjs.session-token (also __Secure- and chunked .0, .1, ...) "
        "and for any cookie holding a JWE; copy the Cookie header of a request made after signing in",
    )


def read_cookie(cookies: Mapping[str, str], name: str) -> str | None:
    """The (joined) value of cookie ``name``; a broken chunk run is a rejection."""
    try:
        return read_session_cookie(cookies, name)
    except SessionCookieError as exc:
        raise CLIError(
            "broken_cookie",
            str(exc),
            "copy the whole Cookie header (every .0, .1, ... chunk); next-auth itself would ignore this session",
        ) from None


def count_chunks(cookies: Mapping[str, str], name: str) -> int:
    """How many ``name.<n>`` chunks a value :func:`read_cookie` read was joined from (0: a
    single cookie)."""
    if cookies.get(name):
        return 0
    return sum(1 for key in session_cookie_names(cookies, name) if key != name)


def looks_like_jwe(value: str) -> bool:
    """Five dot-separated segments whose first is a base64url JSON object."""
    parts = value.split(".")
    return len(parts) == 5 and parts[0].startswith("eyJ")


# --------------------------------------------------------------------------- what it is


def b64url_json(segment: str) -> dict[str, Any] | None:
    """A base64url segment decoded as a JSON object (leniently, to describe broken tokens too), or None."""
    try:
        raw = binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + "=" * (-len(segment) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def check_not_opaque(located: Located) -> None:
    """Reject database session ids, signed JWTs and other non-JWE values with their own kinds."""
    token = located.token
    cut = truncation(token)
    if cut is not None and token.count(".") < 4:
        raise truncated_error(cut)
    if _UUID.fullmatch(token) or _HEX64.fullmatch(token):
        where = f" under the session cookie {located.cookie}" if located.cookie else ""
        raise CLIError(
            "database_session",
            f"this looks like a database session id{where}: the session lives in the database, "
            "there is nothing to decode",
            "the Next.js app uses next-auth's database session strategy: give asgi_withauth the same tables "
            "with an adapter (WithAuth(app, adapter=PostgresAdapter(...)); see asgi_withauth.adapters)",
        )
    parts = token.split(".")
    if len(parts) == 3 and (header := b64url_json(parts[0])) is not None and "alg" in header:
        raise CLIError(
            "signed_jwt",
            f"a signed JWT (JWS, alg {str(header.get('alg'))!r}), not a next-auth session (next-auth encrypts)",
            "this is likely an access or ID token from an identity provider, or one your own code signs; "
            "the next-auth session is the next-auth.session-token / authjs.session-token cookie",
        )
    if len(parts) != 5:
        raise CLIError(
            "not_a_jwe",
            f"not a next-auth token at all: a next-auth session is a JWE with 5 dot-separated parts, "
            f"this has {len(parts)}",
            "copy the value of the next-auth.session-token / authjs.session-token cookie (or the whole Cookie header)",
        )
    if b64url_json(parts[0]) is None:
        raise CLIError(
            "malformed",
            "malformed token: it has 5 parts like a JWE, but the first is not a base64url JSON header",
            "copy the cookie value again, whole (all chunks), without quotes, spaces or line breaks",
        )


def truncation(token: str) -> str | None:
    """How a token that begins as a JWE looks cut short, or None: fewer than 5 parts, or 5
    whose iv is whole but whose last part (the authentication tag) is too short."""
    parts = token.split(".")
    header = b64url_json(parts[0])
    if header is None or "enc" not in header or len(parts) > 5:
        return None
    if len(parts) < 5:
        return f"it begins with a JWE header but has {len(parts)} of the 5 dot-separated parts"
    enc = header["enc"]
    if not isinstance(enc, str) or enc not in _TAG_CHARS:
        return None
    tag_chars = _TAG_CHARS[enc]
    if len(parts[2]) != _IV_CHARS[enc] or len(parts[4]) >= tag_chars:
        return None
    return f"its last part (the authentication tag) has {len(parts[4])} of the {tag_chars} characters {enc} needs"


def truncated_error(how: str) -> CLIError:
    """The rejection of a token that was cut short (see :func:`truncation`)."""
    return CLIError(
        "truncated",
        f"this looks like a truncated next-auth token: {how}",
        "copy the whole cookie value (it is long; terminals, logs and dev tools may cut it), or for a chunked "
        "session every chunk (.0, .1, ...): the whole Cookie header is easiest",
    )


def header_info(token: str) -> dict[str, Any]:
    """The format as the header announces it: version (4, 5 or None), alg, enc, kid. Read
    leniently: the report shows what a broken header says too."""
    header = b64url_json(token.split(".", 1)[0]) or {}
    return {
        "version": jwt.peek_version(token),
        "alg": header.get("alg"),
        "enc": header.get("enc"),
        "kid": header.get("kid"),
    }
