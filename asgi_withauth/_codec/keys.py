"""Secrets and keys: HKDF derivation as next-auth does it, ``kid`` thumbprints, and
encryption and decryption with one derived key.

Nothing here is cached at module level: keys live in the :class:`~asgi_withauth.jwt.TokenCodec` that
derived them, and go when it goes.
"""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass, field
from typing import Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import thumbprint as jwk_thumbprint

from ..errors import DecryptionError
from .compact import b64encode
from .types import A256CBC_HS512, A256GCM, KEY_LENGTHS, Secret, Version

__all__ = ["CbcHs512", "Key", "derive", "derive_key", "key_id", "secret_list"]


def secret_list(secret: Secret) -> tuple[bytes, ...]:
    """One secret or a list of them, as bytes; ValueError or TypeError for what is no secret."""
    items = [secret] if isinstance(secret, (str, bytes)) else list(secret)
    out = tuple(_secret_bytes(item) for item in items)
    if not out:
        raise ValueError("secret: give at least one secret")
    return out


def _secret_bytes(secret: str | bytes) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    elif not isinstance(secret, bytes):
        raise TypeError(f"secret: expected str or bytes, got {type(secret).__name__}")
    if not secret:
        raise ValueError("secret: an empty secret is not a secret; set NEXTAUTH_SECRET or AUTH_SECRET")
    return secret


def derive(secret: bytes, salt: str, version: Version, enc: str) -> bytes:
    """HKDF-SHA256 with next-auth's (v4) or Auth.js's (v5) info string; ``enc`` sets the length."""
    if version == 4:
        info = "NextAuth.js Generated Encryption Key" + (f" ({salt})" if salt else "")
    else:
        info = f"Auth.js Generated Encryption Key ({salt})"
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_LENGTHS[enc],
        salt=salt.encode("utf-8"),
        info=info.encode("utf-8"),
    )
    return hkdf.derive(secret)


def derive_key(secret: str | bytes, *, salt: str = "", version: Version = 4, enc: str | None = None) -> bytes:
    """Return the content-encryption key next-auth derives from ``secret``.

    ``enc`` defaults to the format's own (A256GCM for v4, A256CBC-HS512 for v5). Each call
    derives afresh; a :class:`~asgi_withauth.jwt.TokenCodec` keeps the keys it needs.
    """
    enc = enc or (A256GCM if version == 4 else A256CBC_HS512)
    if version not in (4, 5):
        raise ValueError("version: expected 4 (next-auth) or 5 (Auth.js)")
    if enc not in KEY_LENGTHS or (version == 4 and enc != A256GCM):
        raise ValueError(f"enc: next-auth v{version} does not use {enc!r}")
    return derive(_secret_bytes(secret), salt, version, enc)


def key_id(key: bytes) -> str:
    """The ``kid`` Auth.js puts on tokens: the key's RFC 7638 thumbprint."""
    digest: Literal["sha256", "sha512"] = "sha512" if len(key) == 64 else "sha256"
    return jwk_thumbprint({"kty": "oct", "k": b64encode(key)}, digest)


@dataclass(frozen=True, slots=True)
class Key:
    """A derived key ready for one content-encryption algorithm."""

    enc: str
    raw: bytes = field(repr=False)
    kid: str | None
    gcm: AESGCM | None = field(repr=False)
    cbc: CbcHs512 | None = field(repr=False)

    @classmethod
    def make(cls, secret: bytes, salt: str, version: Version, enc: str) -> Key:
        """Derive the key for ``enc`` (with its thumbprint for v5) and build its cipher."""
        raw = derive(secret, salt, version, enc)
        kid = key_id(raw) if version == 5 else None
        if enc == A256GCM:
            return cls(enc=enc, raw=raw, kid=kid, gcm=AESGCM(raw), cbc=None)
        return cls(enc=enc, raw=raw, kid=kid, gcm=None, cbc=CbcHs512(raw))

    def encrypt(self, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes, bytes]:
        """``(iv, ciphertext, tag)`` of ``plaintext`` under this key, with a fresh random iv."""
        if self.gcm is not None:
            iv = os.urandom(12)
            sealed = self.gcm.encrypt(iv, plaintext, aad)
            return iv, sealed[:-16], sealed[-16:]
        assert self.cbc is not None
        return self.cbc.encrypt(aad, plaintext)

    def decrypt(self, aad: bytes, iv: bytes, ciphertext: bytes, tag: bytes) -> bytes | None:
        """Plaintext, or None when the tag does not verify under this key."""
        if self.gcm is not None:
            try:
                return self.gcm.decrypt(iv, ciphertext + tag, aad)
            except InvalidTag:
                return None
        assert self.cbc is not None
        return self.cbc.decrypt(aad, iv, ciphertext, tag)


_PAD_BYTES: Final = tuple(bytes((n,)) * n for n in range(17))
_BLOCK: Final = 16


class CbcHs512:
    """A256CBC-HS512 decryption (RFC 7518 5.2) with one 64-byte key, set up once.

    Building an HMAC key schedule and an AES-CBC context costs more than decrypting a
    session, so both are built here once: the MAC is a copy of a keyed HMAC, and one CBC
    context serves every token. CBC decryption of block ``i`` only needs ciphertext block
    ``i - 1`` (the iv for the first), so feeding the context ``iv + ciphertext`` and dropping
    the first block of output gives the plaintext whatever the context decrypted before.
    A lock keeps threads from interleaving their blocks in it.
    """

    __slots__ = ("_aes", "_chain", "_lock", "_mac")

    def __init__(self, key: bytes) -> None:
        self._mac = HMAC(key[:32], hashes.SHA512())
        self._aes = algorithms.AES(key[32:])
        self._chain = Cipher(self._aes, modes.CBC(bytes(_BLOCK))).decryptor()
        self._lock = threading.Lock()

    def _tag(self, aad: bytes, iv: bytes, ciphertext: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(b"".join((aad, iv, ciphertext, (len(aad) * 8).to_bytes(8, "big"))))
        return mac.finalize()[:32]

    def encrypt(self, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes, bytes]:
        """``(iv, ciphertext, tag)``: PKCS#7-padded AES-256-CBC under a fresh random iv, then the MAC."""
        iv = os.urandom(_BLOCK)
        count = _BLOCK - len(plaintext) % _BLOCK
        encryptor = Cipher(self._aes, modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(plaintext + _PAD_BYTES[count]) + encryptor.finalize()
        return iv, ciphertext, self._tag(aad, iv, ciphertext)

    def decrypt(self, aad: bytes, iv: bytes, ciphertext: bytes, tag: bytes) -> bytes | None:
        """The plaintext; None when the tag does not verify; DecryptionError for bad padding.

        ``iv`` must be 16 bytes and ``ciphertext`` a non-empty whole number of blocks
        (compact.read_compact checks both)."""
        # MAC first (constant-time compare), decrypt only when it verifies.
        if not hmac.compare_digest(self._tag(aad, iv, ciphertext), tag):
            return None
        with self._lock:
            padded = self._chain.update(iv + ciphertext)[_BLOCK:]
        # PKCS#7, checked by hand: the MAC has verified, so there is no padding oracle to fear.
        count = padded[-1]
        if not 0 < count <= _BLOCK or not padded.endswith(_PAD_BYTES[count]):
            # Authenticated but badly padded: only someone holding the key can do this.
            raise DecryptionError("token decrypted to invalid padding")
        return padded[:-count]
