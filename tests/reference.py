"""joserfc as the reference implementation that our fast decode path is checked against."""

from __future__ import annotations

import binascii
import json
import time
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.util import urlsafe_b64decode

from asgi_withauth.jwt import DEFAULT_LEEWAY, derive_key, key_id

REGISTRY = jwe.JWERegistry(algorithms=["dir", "A256GCM", "A256CBC-HS512"])


class ReferenceRejected(Exception):
    """joserfc (plus next-auth's claim rules) rejected the token."""


def reference_decode(token: str, secret: str, *, salt: str = "", version: int, now: float | None = None) -> Any:
    """Decode one token with joserfc, using the key next-auth would pick for ``version``."""
    try:
        protected = json.loads(urlsafe_b64decode(token.split(".")[0].encode()))
        enc = protected["enc"]
        key = derive_key(secret, salt=salt, version=4 if version == 4 else 5, enc=enc)
        if version == 5 and "kid" in protected and protected["kid"] != key_id(key):
            raise ReferenceRejected("kid mismatch")
        plaintext = jwe.decrypt_compact(token, OctKey.import_key(key), registry=REGISTRY).plaintext
        assert plaintext is not None
        claims = json.loads(plaintext)
    except (JoseError, ValueError, KeyError, TypeError, IndexError, binascii.Error) as exc:
        raise ReferenceRejected(repr(exc)) from exc
    if not isinstance(claims, dict):
        raise ReferenceRejected("payload is not an object")
    for claim in ("iat", "nbf", "exp"):  # jose: present time claims must be numbers
        if claim in claims and (isinstance(claims[claim], bool) or not isinstance(claims[claim], int | float)):
            raise ReferenceRejected(f"{claim} is not a number")
    current = int(time.time() if now is None else now)
    if "exp" in claims and claims["exp"] <= current - DEFAULT_LEEWAY:
        raise ReferenceRejected("expired")
    if "nbf" in claims and claims["nbf"] > current + DEFAULT_LEEWAY:
        raise ReferenceRejected("not yet valid")
    return claims
