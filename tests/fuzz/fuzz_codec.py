"""Fuzz the token codec: ``TokenCodec.decode``/``decrypt`` on arbitrary text, and on tokens
whose header and payload bytes are arbitrary but encrypted with the right key (so the fuzzer
reaches the header checks, the claims parser and the time checks, not only the tag check).

Oracle: a claims dict, or a :class:`~asgi_withauth.errors.WithAuthError`; any other exception
is a crash. With the speed extra installed, the same token is decoded again on the standard
library alone, and any difference (claims, error type or message) is a crash too. Codecs for
v4, v5 and either, with and without salts and with rotation lists, are built once, with the
secrets of ``tests/fixtures/nextauth_tokens.json`` so that the seeds (real next-auth tokens)
decode.

Input: byte 0 picks the codec (and, its high bit set, ``decrypt`` instead of ``decode``);
byte 1 the mode: 0-1 the rest is the token (decoded from bytes as UTF-8 with surrogates, or as
Latin-1); 2-3 a flag byte (v5 for a codec that reads either), then two chunks (header JSON,
payload) encrypted with A256GCM (2) or, for v5, A256CBC-HS512 (3) into a compact token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import sys
from pathlib import Path
from typing import Any, Final, NamedTuple

if __name__ == "__main__":  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.fuzz.common import Crash, Reader, fuzz_main, instrumented

with instrumented(__name__ == "__main__"):
    from asgi_withauth._codec import speedups
    from asgi_withauth.errors import WithAuthError
    from asgi_withauth.jwt import A256CBC_HS512, A256GCM, TokenCodec, Version, derive_key

__all__ = ["CODECS", "NOW", "Case", "check", "compact"]

NOW: Final = 1_800_000_000
"""The clock ``decode`` runs at (2027): the fixtures' tokens are valid then, their expired ones not."""
V5_SALT: Final = "authjs.session-token"


class Case(NamedTuple):
    """A codec, and the secret and salt that tokens built for it are encrypted with."""

    codec: TokenCodec
    secret: str | bytes
    salt: str


CODECS: Final = (
    Case(TokenCodec("v4-fixture-secret"), "v4-fixture-secret", ""),
    Case(TokenCodec("v4-fixture-secret", version=4), "v4-fixture-secret", ""),
    Case(TokenCodec("v4-fixture-secret", salt="custom-salt", version=4), "v4-fixture-secret", "custom-salt"),
    Case(TokenCodec("v5-fixture-secret", salt=V5_SALT, version=5), "v5-fixture-secret", V5_SALT),
    Case(TokenCodec("v5-fixture-secret", salt=V5_SALT), "v5-fixture-secret", V5_SALT),
    Case(TokenCodec(["new-secret", "old-secret"], salt=V5_SALT, version=5, require_exp=True), "old-secret", V5_SALT),
    Case(TokenCodec(["v5-fixture-secret", "other"], salt=V5_SALT, leeway=0), "v5-fixture-secret", V5_SALT),
    Case(TokenCodec([b"v4-fixture-secret", b"\x00\xff"], leeway=0), b"\x00\xff", ""),
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(header: bytes, payload: bytes, key: bytes, enc: str, iv: bytes) -> str:
    """A compact JWE with ``alg: dir``: ``header`` and ``payload`` as given, encrypted with ``key``."""
    protected = _b64(header)
    aad = protected.encode("ascii")
    if enc == A256GCM:
        sealed = AESGCM(key[:32]).encrypt(iv[:12], payload, aad)
        return ".".join([protected, "", _b64(iv[:12]), _b64(sealed[:-16]), _b64(sealed[-16:])])
    mac_key, enc_key = key[:32], key[32:64]
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv[:16])).encryptor()
    ciphertext = encryptor.update(padder.update(payload) + padder.finalize()) + encryptor.finalize()
    mac = hmac.new(mac_key, aad + iv[:16] + ciphertext + struct.pack(">Q", len(aad) * 8), hashlib.sha512)
    return ".".join([protected, "", _b64(iv[:16]), _b64(ciphertext), _b64(mac.digest()[:32])])


def _token(reader: Reader, case: Case) -> str:
    mode = reader.byte() % 4
    if mode < 2:
        raw = reader.rest()
        return raw.decode("utf-8", "surrogateescape") if mode == 0 else raw.decode("latin-1")
    either = case.codec.version is None and reader.flag()
    header, payload = reader.chunk(), reader.rest()
    version: Version = 5 if case.codec.version == 5 or either else 4
    enc = A256CBC_HS512 if version == 5 and mode == 3 else A256GCM
    key = derive_key(case.secret, salt=case.salt, version=version, enc=enc)
    return compact(header, payload, key, enc, iv=bytes(16))


def _outcome(case: Case, token: str, *, check_times: bool) -> tuple[str, str]:
    """What the codec made of ``token``: its claims, or its error; a crash for anything else."""
    opened: Any
    try:
        opened = case.codec.decode(token, now=NOW) if check_times else case.codec.decrypt(token)
    except WithAuthError as exc:
        return (type(exc).__name__, str(exc))
    except Exception as exc:
        raise Crash(f"TokenCodec raised {type(exc).__name__}, not a WithAuthError: {exc}") from exc
    if type(opened) is not dict:
        raise Crash(f"TokenCodec returned {type(opened).__name__}, not a dict")
    return ("claims", repr(opened))


def check(data: bytes) -> None:
    """The oracle for one input (see the module docstring)."""
    reader = Reader(data)
    selector = reader.byte()
    case = CODECS[(selector & 0x7F) % len(CODECS)]
    token = _token(reader, case)
    check_times = not selector & 0x80
    outcome = _outcome(case, token, check_times=check_times)
    if speedups.BACKEND.names:
        with speedups.stdlib_only():
            plain = _outcome(case, token, check_times=check_times)
        if plain != outcome:
            raise Crash(f"the speed extra read the token as {outcome!r}, the standard library as {plain!r}")


if __name__ == "__main__":
    fuzz_main(check)
