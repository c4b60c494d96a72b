"""next-auth session tokens: key derivation, encode and decode.

next-auth v4 and Auth.js v5 store the session as a compact JWE with ``alg: dir``:

* v4: ``enc: A256GCM``, key = HKDF-SHA256(secret, salt, "NextAuth.js Generated
  Encryption Key[ (salt)]"), 32 bytes.
* v5: ``enc: A256CBC-HS512`` (``A256GCM`` also accepted on decode), key =
  HKDF-SHA256(secret, salt = cookie name, "Auth.js Generated Encryption Key (salt)"),
  64 bytes, with the key's RFC 7638 thumbprint as ``kid``.

Encoding goes through joserfc. Decoding runs on ``cryptography``'s primitives
directly, because these two fixed profiles are the hot path of every request; the
test-suite checks it against joserfc token by token.

Header parameters follow jose, as next-auth does: unknown ones are ignored, any ``crit`` is
refused, ``iss``/``sub``/``aud`` copied into the header must equal the claims, and Auth.js
(v5) refuses a ``kid`` that is not a string; one leading BOM is dropped from header and
payload, as TextDecoder does. Decoding is stricter than next-auth: one canonical spelling
per token, no other algorithms, no ``zip``, no duplicate header members, a header of at most
1024 characters nested at most 16 deep (refused before it is parsed), valid UTF-8, and time
claims that are finite numbers. Every failure, hostile input included, raises a subclass of
:class:`JWTError`; :func:`peek_version` returns None instead.

Decoding comes in three steps, each available on its own: :func:`read_header` (every check
that needs no key), :meth:`TokenCodec.decrypt` (the key, the payload, the header's copies of
``iss``/``sub``/``aud``) and :func:`check_claims` (``iat``, ``nbf``, ``exp``).
:meth:`TokenCodec.decode` runs all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._codec.claims import check_claims
from ._codec.codec import TokenCodec
from ._codec.compact import JoseHeader, peek_version, read_header
from ._codec.keys import derive_key, key_id
from ._codec.types import A256CBC_HS512 as A256CBC_HS512  # the enc names, for benchmarks and tests
from ._codec.types import A256GCM as A256GCM
from ._codec.types import DEFAULT_LEEWAY, DEFAULT_MAX_AGE, MAX_TOKEN_LENGTH, Secret, Version
from .errors import (
    DecryptionError,
    ExpiredTokenError,
    InvalidClaimsError,
    JWTError,
    MalformedTokenError,
    NotYetValidError,
    TokenTooLargeError,
    UnsupportedAlgorithmError,
)

__all__ = [
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_AGE",
    "MAX_TOKEN_LENGTH",
    "DecryptionError",
    "ExpiredTokenError",
    "InvalidClaimsError",
    "JWTError",
    "JoseHeader",
    "MalformedTokenError",
    "NotYetValidError",
    "Secret",
    "TokenCodec",
    "TokenTooLargeError",
    "UnsupportedAlgorithmError",
    "Version",
    "check_claims",
    "decode",
    "decrypt",
    "derive_key",
    "encode",
    "key_id",
    "peek_version",
    "read_header",
]


def encode(
    payload: Mapping[str, Any],
    secret: Secret,
    *,
    salt: str = "",
    max_age: int = DEFAULT_MAX_AGE,
    version: Version = 4,
    now: float | None = None,
) -> str:
    """Encode a session token exactly as next-auth ``encode()`` (v4) or Auth.js (v5) would.

    For v5, ``salt`` must be the session cookie's name (e.g. ``authjs.session-token``).
    Each call derives the key afresh: code that encodes many tokens should build one
    :class:`TokenCodec` and reuse it.
    """
    return TokenCodec(secret, salt=salt).encode(payload, max_age=max_age, version=version, now=now)


def decode(
    token: str,
    secret: Secret,
    *,
    salt: str = "",
    version: Version | None = None,
    leeway: int = DEFAULT_LEEWAY,
    require_exp: bool = False,
    now: float | None = None,
) -> dict[str, Any]:
    """Decode a next-auth (v4) or Auth.js (v5) session token and return its claims.

    ``version=None`` accepts either format. With several secrets, all are tried
    (for v5 tokens: the one whose thumbprint matches the ``kid``). Raises a
    :class:`JWTError` subclass on any bad token. Each call derives the keys afresh: code
    that decodes many tokens should build one :class:`TokenCodec` and reuse it.
    """
    codec = TokenCodec(secret, salt=salt, version=version, leeway=leeway, require_exp=require_exp)
    return codec.decode(token, now=now)


def decrypt(token: str, secret: Secret, *, salt: str = "", version: Version | None = None) -> dict[str, Any]:
    """Decrypt a session token and return its claims without judging their times: an expired
    token's claims too (see :meth:`TokenCodec.decrypt`, and :func:`check_claims` for the
    times). Raises a :class:`JWTError` subclass. Each call derives the keys afresh: code that
    decrypts many tokens should build one :class:`TokenCodec` and reuse it.
    """
    return TokenCodec(secret, salt=salt, version=version).decrypt(token)
