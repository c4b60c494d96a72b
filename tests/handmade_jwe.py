"""Compact JWEs with any header bytes and any plaintext, sealed with next-auth's derived key.

next-auth never writes headers with extra parameters, a BOM or duplicate members, and joserfc
refuses to; tests that need such tokens build them here with ``cryptography`` directly, so the
decoder under test has no say in how they are made.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asgi_withauth import jwt

KID = "<kid>"
"""Put this string in a header to have :func:`seal` replace it with the key's thumbprint."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seal_with_key(header: bytes, plaintext: bytes, key: bytes) -> str:
    """A compact JWE: ``dir`` with ``key`` (32 bytes: A256GCM, 64: A256CBC-HS512)."""
    protected = b64(header)
    aad = protected.encode("ascii")
    if len(key) == 32:
        iv = os.urandom(12)
        sealed = AESGCM(key).encrypt(iv, plaintext, aad)
        ciphertext, tag = sealed[:-16], sealed[-16:]
    else:
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.AES(key[32:]), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()
        mac_input = aad + iv + ciphertext + (len(aad) * 8).to_bytes(8, "big")
        tag = hmac.digest(key[:32], mac_input, "sha512")[:32]
    return ".".join([protected, "", b64(iv), b64(ciphertext), b64(tag)])


def seal(
    header: Mapping[str, Any] | bytes,
    plaintext: bytes,
    *,
    secret: str,
    salt: str = "",
    version: jwt.Version = 4,
    enc: str = "A256GCM",
) -> str:
    """Seal ``plaintext`` under ``header`` (a mapping, or the exact JSON bytes) with the key
    next-auth v4 or Auth.js v5 derives from ``secret`` and ``salt`` for ``enc``."""
    key = jwt.derive_key(secret, salt=salt, version=version, enc=enc)
    raw = json.dumps(header).encode() if isinstance(header, Mapping) else header
    return seal_with_key(raw.replace(KID.encode(), jwt.key_id(key).encode()), plaintext, key)
