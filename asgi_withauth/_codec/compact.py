"""Compact JWE serialisation: base64url, the five segments, and the JOSE header.

:func:`read_compact` runs every check that needs no key, for :func:`read_header` and for
decoding alike. Headers are parsed once each: a bounded, module-level cache maps a header
segment to its checked form (headers hold no secret; honest tokens repeat a handful).
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from .._cache import BoundedCache
from ..errors import JWTError, MalformedTokenError, TokenTooLargeError, UnsupportedAlgorithmError
from .copying import copy_claims
from .speedups import BACKEND, stdlib_a2b
from .types import A256CBC_HS512, A256GCM, KEY_LENGTHS, MAX_TOKEN_LENGTH, Version

__all__ = [
    "BOM",
    "MAX_HEADER_DEPTH",
    "MAX_HEADER_LENGTH",
    "Header",
    "JoseHeader",
    "b64decode",
    "b64encode",
    "parse_header",
    "peek_version",
    "read_compact",
    "read_header",
    "reject_constant",
]

MAX_HEADER_LENGTH: Final = 1024
"""Longest header segment (base64url characters) decode reads; next-auth's are under 200."""

MAX_HEADER_DEPTH: Final = 16
"""Deepest nesting of arrays and objects a header may have (the header object itself is 1)."""

BOM: Final = b"\xef\xbb\xbf"
"""One leading BOM is dropped from header and payload, as TextDecoder (jose) does."""

_HEADER_CACHE_SIZE: Final = 128
_REPLICATED_CLAIMS: Final = ("iss", "sub", "aud")
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR: Final = re.compile(r"\[\]|\{\}")


# --------------------------------------------------------------------------- base64url

_TO_URLSAFE: Final = str.maketrans("+/", "-_")
_PADDING: Final = ("", "", "==", "=")
_SHORT_SEGMENT: Final = 64
_LAST_CHARS: Final = ("", "", "AQgw", "AEIMQUYcgkosw048")
"""By length mod 4: the characters that can end a canonical segment (unused low bits zero)."""


def b64encode(data: bytes) -> str:
    """Unpadded base64url."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").decode("ascii").translate(_TO_URLSAFE)


def b64decode(segment: str, what: str) -> bytes:
    """Decode canonical unpadded base64url; anything else is a MalformedTokenError."""
    size = len(segment)
    tail = size % 4
    # '+' and '/' are base64 but not base64url; 4n+1 characters are never base64.
    if tail == 1 or "+" in segment or "/" in segment:
        raise MalformedTokenError(f"{what} is not canonical base64url")
    padded = segment + _PADDING[tail]
    try:
        # The standard library is quicker on short segments (an iv, a tag).
        raw = BACKEND.a2b(padded) if size > _SHORT_SEGMENT else stdlib_a2b(padded)
    except ValueError:  # refused by the speed extra: the standard library decides
        try:
            raw = stdlib_a2b(padded)
        except ValueError:  # binascii.Error, or a non-ASCII str
            raise MalformedTokenError(f"{what} is not base64url") from None
    # a2b_base64 skips characters outside the alphabet and stops at '=': either way fewer
    # bytes come out. Only the last character can carry unused bits, and they must be zero.
    if len(raw) != size * 3 // 4 or (tail and segment[-1] not in _LAST_CHARS[tail]):
        raise MalformedTokenError(f"{what} is not canonical base64url")
    return raw


# --------------------------------------------------------------------------- the header


@dataclass(frozen=True, slots=True)
class JoseHeader:
    """A token's JOSE header, checked as decode checks it (see :func:`read_header`).

    ``kid`` is None when absent or not a string (next-auth v4 ignores it); ``version`` is the
    format the header announces (the rule of :func:`peek_version`); ``params`` is a read-only
    copy of every header member, those the codec ignores included.
    """

    alg: str
    enc: str
    kid: str | None
    version: Version
    params: Mapping[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True, eq=False)
class Header:
    """A checked JOSE header: what decoding needs from it. Every other parameter is ignored,
    as jose does; ``members`` (the parsed JSON) is never handed out, only copies of it."""

    enc: str
    kid: str | None
    bad_kid: bool
    """A ``kid`` is present but is not a string: Auth.js matches no key, next-auth v4 ignores it."""
    version: Version
    replicated: tuple[tuple[str, Any], ...]
    """``iss``, ``sub``, ``aud`` copied into the header: jose requires them to equal the claims."""
    members: dict[str, Any]
    plan_key: tuple[str, str | None, bool]
    """What chooses the keys to try: ``(enc, kid, bad_kid)``."""
    iv_length: int
    tag_length: int
    aad: bytes
    """The header segment as ASCII bytes: the additional authenticated data."""

    def public(self) -> JoseHeader:
        """The header as :func:`read_header` returns it: a fresh copy the caller may keep."""
        params = MappingProxyType(copy_claims(self.members))
        return JoseHeader(alg="dir", enc=self.enc, kid=self.kid, version=self.version, params=params)


def reject_constant(name: str) -> Any:
    """``parse_constant`` hook: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate member in JSON object")
    return out


_HEADER_DECODER: Final = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=reject_constant)


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the arrays and objects of JSON ``text`` nest deeper than ``limit``, found without
    recursion. Text whose brackets do not balance counts as too deep (it is not JSON)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):  # each pass removes the innermost level: "[{}{}]" -> "[]" -> ""
        brackets, removed = _INNERMOST_PAIR.subn("", brackets)
        if not brackets:
            return False
        if not removed:
            return True
    return True


def _header_json(segment: str) -> dict[str, Any]:
    """The header as a JSON object: small, shallow, UTF-8 (one leading BOM allowed, as
    TextDecoder strips it), no duplicate members; MalformedTokenError otherwise."""
    try:
        text = b64decode(segment, "header").removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedTokenError("header is not UTF-8") from None
    if _nested_deeper_than(text, MAX_HEADER_DEPTH):
        raise MalformedTokenError(f"header nests deeper than {MAX_HEADER_DEPTH} levels")
    try:
        header = _HEADER_DECODER.decode(text)
    except (ValueError, RecursionError):  # not JSON, a duplicate member, an integer too long to read
        raise MalformedTokenError("header is not a JSON object") from None
    if not isinstance(header, dict):
        raise MalformedTokenError("header is not a JSON object")
    return header


def _check_header(members: dict[str, Any], segment: str) -> Header:
    """next-auth's rules for a header object: ``dir`` with a known ``enc``, no ``crit``, no ``zip``."""
    if "crit" in members:
        # jose recognises no JWE extension, so it refuses every crit (even an empty or malformed one).
        raise MalformedTokenError("header lists critical extensions (crit), which next-auth refuses")
    if "zip" in members:
        raise UnsupportedAlgorithmError("compressed (zip) tokens are not accepted; next-auth never writes them")
    alg, enc, kid = members.get("alg"), members.get("enc"), members.get("kid")
    if alg != "dir":
        raise UnsupportedAlgorithmError(f"alg {alg!r} is not accepted; next-auth uses 'dir'")
    if not isinstance(enc, str) or enc not in KEY_LENGTHS:
        raise UnsupportedAlgorithmError(f"enc {enc!r} is not accepted; next-auth uses A256GCM or A256CBC-HS512")
    bad_kid = "kid" in members and not isinstance(kid, str)
    if bad_kid and enc == A256CBC_HS512:  # only Auth.js writes this enc, and it refuses such a kid
        raise MalformedTokenError("header kid is not a string; Auth.js refuses such tokens")
    kid = kid if isinstance(kid, str) else None
    gcm = enc == A256GCM
    return Header(
        enc=enc,
        kid=kid,
        bad_kid=bad_kid,
        version=5 if kid is not None or not gcm else 4,
        replicated=tuple((name, members[name]) for name in _REPLICATED_CLAIMS if name in members),
        members=members,
        plan_key=(enc, kid, bad_kid),
        iv_length=12 if gcm else 16,
        tag_length=16 if gcm else 32,
        aad=segment.encode("ascii"),
    )


_HEADERS: Final[BoundedCache[str, Header]] = BoundedCache(_HEADER_CACHE_SIZE)
"""Checked headers by segment. Keys are short (the length check comes first) and failures
are not stored, so junk headers can only evict each other and honest headers come back."""


def parse_header(segment: str) -> Header:
    """Parse and check a JOSE header segment; MalformedTokenError or UnsupportedAlgorithmError."""
    if len(segment) > MAX_HEADER_LENGTH:  # checked before the cache hashes it
        raise MalformedTokenError(f"header is longer than {MAX_HEADER_LENGTH} characters")
    header = _HEADERS.get(segment)
    if header is None:
        header = _check_header(_header_json(segment), segment)
        _HEADERS.put(segment, header)
    return header


# --------------------------------------------------------------------------- the token


def read_compact(token: str) -> tuple[Header, bytes, bytes, bytes, bytes]:
    """Every check that needs no key: the header, and the additional authenticated data, iv,
    ciphertext and tag, decoded and of the right lengths for the header's ``enc``."""
    if not isinstance(token, str):
        raise MalformedTokenError(f"token must be a str, not {type(token).__name__}")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenTooLargeError(f"token is longer than {MAX_TOKEN_LENGTH} characters")
    if not token.isascii():
        raise MalformedTokenError("token contains non-ASCII characters")
    parts = token.split(".")
    if len(parts) != 5:
        raise MalformedTokenError(f"a JWE has 5 segments, this token has {len(parts)}")
    header_segment, encrypted_key, iv_segment, ciphertext_segment, tag_segment = parts
    if encrypted_key:
        raise UnsupportedAlgorithmError("token carries an encrypted key; next-auth uses alg 'dir'")
    header = _HEADERS.get(header_segment) or parse_header(header_segment)  # the cache first: no call
    iv = b64decode(iv_segment, "iv")
    ciphertext = b64decode(ciphertext_segment, "ciphertext")
    tag = b64decode(tag_segment, "tag")
    if len(iv) != header.iv_length or len(tag) != header.tag_length:
        raise MalformedTokenError(f"iv or tag has the wrong length for {header.enc}")
    if header.enc == A256CBC_HS512 and (not ciphertext or len(ciphertext) % 16):
        raise MalformedTokenError("ciphertext is not a whole number of AES blocks")
    return header, header.aad, iv, ciphertext, tag


def read_header(token: str) -> JoseHeader:
    """The checked JOSE header of ``token``, read without any key.

    Runs every check decoding runs before it needs a key (length, ASCII, five segments, no
    encrypted key, canonical base64url, the header rules, iv and tag lengths, whole AES
    blocks), so a token it accepts fails later only for its key or its claims. Raises
    :class:`MalformedTokenError`, :class:`TokenTooLargeError` or
    :class:`UnsupportedAlgorithmError`.
    """
    return read_compact(token)[0].public()


def peek_version(token: str) -> Version | None:
    """The format a token's header announces, without decrypting anything: 5 for
    A256CBC-HS512 (with a string ``kid`` or none) or for A256GCM with a string ``kid``, else 4;
    None when the header is not next-auth's (or ``token`` is not a string). Only the header
    segment is read: the rest of the token may be anything."""
    if not isinstance(token, str):
        return None
    try:
        return parse_header(token[: MAX_HEADER_LENGTH + 1].partition(".")[0]).version
    except JWTError:
        return None
