"""The floor: the least work a correct decoder does, with ``cryptography`` and nothing else.

Split, base64url-decode, verify and decrypt (key derived and cipher objects built
beforehand), strip the padding (v5) and ``json.loads``. No header and no claims are checked.
The decoders take the token's bytes, as they arrive in a Cookie header. ``fast=True`` makes
the same floor with pybase64 and orjson (the ``speed`` extra) in place of binascii and json.
"""

from __future__ import annotations

import binascii
import hmac
import json
from collections.abc import Callable
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

Floor = Callable[[bytes], Any]

_PAD: Final = (b"", b"", b"==", b"=")


def b64url(segment: bytes) -> bytes:
    """base64url without padding, decoded: on CPython two ``replace`` passes beat ``translate``."""
    return binascii.a2b_base64(segment.replace(b"-", b"+").replace(b"_", b"/") + _PAD[len(segment) % 4])


def parts(*, fast: bool) -> tuple[Callable[[bytes], bytes], Callable[[bytes], Any]]:
    """The base64url decoder and JSON parser of a floor: the standard library's, or the speed extra's."""
    if not fast:
        return b64url, json.loads
    import orjson
    import pybase64

    return (lambda segment: pybase64.b64decode(segment + _PAD[len(segment) % 4], b"-_", True)), orjson.loads


def aes_gcm_floor(key: bytes, *, fast: bool = False) -> Floor:
    """next-auth v4 (``dir`` + ``A256GCM``): split + base64url + ``AESGCM.decrypt`` + ``json.loads``."""
    aead = AESGCM(key)
    b64url, loads = parts(fast=fast)

    def decode(token: bytes) -> Any:
        header, _, iv, ciphertext, tag = token.split(b".")
        return loads(aead.decrypt(b64url(iv), b64url(ciphertext) + b64url(tag), header))

    return decode


def aes_cbc_hs512_floor(key: bytes, *, fast: bool = False) -> Floor:
    """Auth.js v5 (``dir`` + ``A256CBC-HS512``): split + base64url + HMAC-SHA512 tag check +
    AES-256-CBC decrypt + PKCS#7 unpad + ``json.loads``."""
    mac_key, aes = key[:32], algorithms.AES(key[32:])
    b64url, loads = parts(fast=fast)

    def decode(token: bytes) -> Any:
        aad, _, iv_segment, ciphertext_segment, tag_segment = token.split(b".")
        iv, ciphertext = b64url(iv_segment), b64url(ciphertext_segment)
        mac = hmac.digest(mac_key, aad + iv + ciphertext + (len(aad) * 8).to_bytes(8, "big"), "sha512")
        if not hmac.compare_digest(mac[:32], b64url(tag_segment)):
            raise ValueError("bad tag")
        decryptor = Cipher(aes, modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        pad = padded[-1]
        if not 0 < pad <= 16 or padded[-pad:] != bytes((pad,)) * pad:
            raise ValueError("bad padding")
        return loads(padded[:-pad])

    return decode
