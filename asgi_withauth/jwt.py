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
"""

from __future__ import annotations

import binascii
import functools
import hmac
import json
import math
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, TypeGuard

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwe
from joserfc.jwk import OctKey
from joserfc.jwk import thumbprint as jwk_thumbprint

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
    "MalformedTokenError",
    "NotYetValidError",
    "Secret",
    "TokenCodec",
    "TokenTooLargeError",
    "UnsupportedAlgorithmError",
    "Version",
    "decode",
    "derive_key",
    "encode",
    "key_id",
    "peek_version",
]

Secret: TypeAlias = "str | bytes | Sequence[str | bytes]"  # noqa: S105 (a type, not a password)
"""One secret, or several for rotation: the first encrypts, all may decrypt."""

Version: TypeAlias = Literal[4, 5]

DEFAULT_MAX_AGE: Final = 30 * 24 * 60 * 60
"""next-auth's default session lifetime: 30 days, in seconds."""

DEFAULT_LEEWAY: Final = 15
"""next-auth's clock tolerance on ``exp`` and ``nbf``, in seconds."""

MAX_TOKEN_LENGTH: Final = 64 * 1024
"""Longest token (in characters) that decode looks at; longer ones are rejected unread."""

A256GCM: Final = "A256GCM"
A256CBC_HS512: Final = "A256CBC-HS512"
_KEY_LENGTHS: Final = {A256GCM: 32, A256CBC_HS512: 64}
_TIME_CLAIMS: Final = ("iat", "nbf", "exp")
_PLAN_CACHE_SIZE: Final = 64
_CODEC_CACHE_SIZE: Final = 64
_REGISTRY: Final = jwe.JWERegistry(algorithms=["dir", A256GCM, A256CBC_HS512])


# --------------------------------------------------------------------------- keys


def _secret_list(secret: Secret) -> tuple[bytes, ...]:
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


@functools.lru_cache(maxsize=256)
def _derive(secret: bytes, salt: str, version: Version, enc: str) -> bytes:
    if version == 4:
        info = "NextAuth.js Generated Encryption Key" + (f" ({salt})" if salt else "")
    else:
        info = f"Auth.js Generated Encryption Key ({salt})"
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_LENGTHS[enc],
        salt=salt.encode("utf-8"),
        info=info.encode("utf-8"),
    )
    return hkdf.derive(secret)


def derive_key(secret: str | bytes, *, salt: str = "", version: Version = 4, enc: str | None = None) -> bytes:
    """Return the content-encryption key next-auth derives from ``secret``.

    ``enc`` defaults to the format's own (A256GCM for v4, A256CBC-HS512 for v5).
    Results are cached per (secret, salt, version, enc).
    """
    enc = enc or (A256GCM if version == 4 else A256CBC_HS512)
    if version not in (4, 5):
        raise ValueError("version: expected 4 (next-auth) or 5 (Auth.js)")
    if enc not in _KEY_LENGTHS or (version == 4 and enc != A256GCM):
        raise ValueError(f"enc: next-auth v{version} does not use {enc!r}")
    return _derive(_secret_bytes(secret), salt, version, enc)


def key_id(key: bytes) -> str:
    """The ``kid`` Auth.js puts on tokens: the key's RFC 7638 thumbprint."""
    digest: Literal["sha256", "sha512"] = "sha512" if len(key) == 64 else "sha256"
    return jwk_thumbprint({"kty": "oct", "k": _b64encode(key)}, digest)


@dataclass(frozen=True, slots=True)
class _Key:
    """A derived key ready for one content-encryption algorithm."""

    enc: str
    raw: bytes
    kid: str | None
    gcm: AESGCM | None
    mac_key: bytes
    aes: algorithms.AES | None

    @classmethod
    def make(cls, secret: bytes, salt: str, version: Version, enc: str) -> _Key:
        raw = _derive(secret, salt, version, enc)
        kid = key_id(raw) if version == 5 else None
        if enc == A256GCM:
            return cls(enc=enc, raw=raw, kid=kid, gcm=AESGCM(raw), mac_key=b"", aes=None)
        return cls(enc=enc, raw=raw, kid=kid, gcm=None, mac_key=raw[:32], aes=algorithms.AES(raw[32:]))

    def decrypt(self, aad: bytes, iv: bytes, ciphertext: bytes, tag: bytes) -> bytes | None:
        """Plaintext, or None when the tag does not verify under this key."""
        if self.gcm is not None:
            try:
                return self.gcm.decrypt(iv, ciphertext + tag, aad)
            except InvalidTag:
                return None
        assert self.aes is not None
        return _cbc_hs512_decrypt(self.mac_key, self.aes, aad, iv, ciphertext, tag)


_PAD_BYTES: Final = tuple(bytes((n,)) * n for n in range(17))


def _cbc_hs512_decrypt(
    mac_key: bytes, aes: algorithms.AES, aad: bytes, iv: bytes, ciphertext: bytes, tag: bytes
) -> bytes | None:
    # RFC 7518 5.2.2.2: MAC first (constant-time compare), decrypt only when it verifies.
    mac_input = b"".join((aad, iv, ciphertext, (len(aad) * 8).to_bytes(8, "big")))
    if not hmac.compare_digest(hmac.digest(mac_key, mac_input, "sha512")[:32], tag):
        return None
    decryptor = Cipher(aes, modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    # PKCS#7, checked by hand: the MAC has verified, so there is no padding oracle to fear.
    count = padded[-1]
    if not 0 < count <= 16 or not padded.endswith(_PAD_BYTES[count]):
        # Authenticated but badly padded: only someone holding the key can do this.
        raise DecryptionError("token decrypted to invalid padding")
    return padded[:-count]


# --------------------------------------------------------------------------- parsing


def _b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").decode("ascii").translate(_TO_URLSAFE)


_TO_URLSAFE: Final = str.maketrans("+/", "-_")
_PADDING: Final = ("", "", "==", "=")
_LAST_CHARS: Final = ("", "", "AQgw", "AEIMQUYcgkosw048")
"""By length mod 4: the characters that can end a canonical segment (unused low bits zero)."""


def _b64decode(segment: str, what: str) -> bytes:
    """Decode canonical unpadded base64url; anything else is a MalformedTokenError."""
    size = len(segment)
    tail = size % 4
    # '+' and '/' are base64 but not base64url; 4n+1 characters are never base64.
    if tail == 1 or "+" in segment or "/" in segment:
        raise MalformedTokenError(f"{what} is not canonical base64url")
    try:
        # str.replace() is many times cheaper than translate() on long segments.
        raw = binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + _PADDING[tail])
    except ValueError:  # binascii.Error, or a non-ASCII str
        raise MalformedTokenError(f"{what} is not base64url") from None
    # a2b_base64 skips characters outside the alphabet and stops at '=': either way fewer
    # bytes come out. Only the last character can carry unused bits, and they must be zero.
    if len(raw) != size * 3 // 4 or (tail and segment[-1] not in _LAST_CHARS[tail]):
        raise MalformedTokenError(f"{what} is not canonical base64url")
    return raw


_MAX_HEADER_LENGTH: Final = 1024
"""Longest header segment (base64url characters) decode reads; next-auth's are under 200."""

_MAX_HEADER_DEPTH: Final = 16
"""Deepest nesting of arrays and objects a header may have (the header object itself is 1)."""

_HEADER_CACHE_SIZE: Final = 128
_BOM: Final = b"\xef\xbb\xbf"
_REPLICATED_CLAIMS: Final = ("iss", "sub", "aud")
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR: Final = re.compile(r"\[\]|\{\}")


@dataclass(frozen=True, slots=True)
class _Header:
    """What decoding needs from a JOSE header; every other parameter is ignored, as jose does."""

    enc: str
    kid: str | None
    bad_kid: bool
    """A ``kid`` is present but is not a string: Auth.js matches no key, next-auth v4 ignores it."""
    replicated: tuple[tuple[str, Any], ...] = field(default=(), compare=False)
    """``iss``, ``sub``, ``aud`` copied into the header: jose requires them to equal the claims."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate member in JSON object")
    return out


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


_HEADER_DECODER: Final = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)


def _header_json(segment: str) -> dict[str, Any]:
    """The header as a JSON object: small, shallow, UTF-8 (one leading BOM allowed, as
    TextDecoder strips it), no duplicate members; MalformedTokenError otherwise."""
    try:
        text = _b64decode(segment, "header").removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedTokenError("header is not UTF-8") from None
    if _nested_deeper_than(text, _MAX_HEADER_DEPTH):
        raise MalformedTokenError(f"header nests deeper than {_MAX_HEADER_DEPTH} levels")
    try:
        header = _HEADER_DECODER.decode(text)
    except (ValueError, RecursionError):  # not JSON, a duplicate member, an integer too long to read
        raise MalformedTokenError("header is not a JSON object") from None
    if not isinstance(header, dict):
        raise MalformedTokenError("header is not a JSON object")
    return header


def _parse_header(segment: str) -> _Header:
    """Parse and check a JOSE header segment; MalformedTokenError or UnsupportedAlgorithmError."""
    if len(segment) > _MAX_HEADER_LENGTH:  # checked before the cache hashes it
        raise MalformedTokenError(f"header is longer than {_MAX_HEADER_LENGTH} characters")
    return _parse_short_header(segment)


@functools.lru_cache(maxsize=_HEADER_CACHE_SIZE)
def _parse_short_header(segment: str) -> _Header:
    """:func:`_parse_header`, cached: honest tokens repeat a handful of headers. Keys are short
    (the length check comes first) and failures are not cached."""
    header = _header_json(segment)
    if "crit" in header:
        # jose recognises no JWE extension, so it refuses every crit (even an empty or malformed one).
        raise MalformedTokenError("header lists critical extensions (crit), which next-auth refuses")
    if "zip" in header:
        raise UnsupportedAlgorithmError("compressed (zip) tokens are not accepted; next-auth never writes them")
    alg, enc, kid = header.get("alg"), header.get("enc"), header.get("kid")
    if alg != "dir":
        raise UnsupportedAlgorithmError(f"alg {alg!r} is not accepted; next-auth uses 'dir'")
    if not isinstance(enc, str) or enc not in _KEY_LENGTHS:
        raise UnsupportedAlgorithmError(f"enc {enc!r} is not accepted; next-auth uses A256GCM or A256CBC-HS512")
    return _Header(
        enc=enc,
        kid=kid if isinstance(kid, str) else None,
        bad_kid="kid" in header and not isinstance(kid, str),
        replicated=tuple((name, header[name]) for name in _REPLICATED_CLAIMS if name in header),
    )


_CLAIMS_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)


def _parse_claims(plaintext: bytes) -> dict[str, Any]:
    # TextDecoder (what jose reads the payload with) drops one leading BOM; so do we.
    try:
        claims = _CLAIMS_DECODER.decode(plaintext.removeprefix(_BOM).decode("utf-8"))
    except RecursionError:
        raise InvalidClaimsError("payload nests too deeply to parse") from None
    except ValueError:  # bad UTF-8 or JSON, or an integer over sys.get_int_max_str_digits() digits
        raise InvalidClaimsError("payload is not UTF-8 JSON (or holds an integer too long to read)") from None
    if not isinstance(claims, dict):
        raise InvalidClaimsError("payload is not a JSON object")
    return claims


def _check_replicated(header: _Header, claims: Mapping[str, Any]) -> None:
    """jose's rule for ``iss``/``sub`` (``===``) and ``aud`` (same ``JSON.stringify``) in the header."""
    for name, value in header.replicated:
        same = _same_json_text if name == "aud" else _js_identical
        if name not in claims or not same(value, claims[name]):
            raise InvalidClaimsError(f"header parameter {name!r} does not match the {name!r} claim")


def _js_identical(a: object, b: object) -> bool:
    """JavaScript's ``a === b`` for two values of two JSON.parse calls: numbers compare as
    doubles, arrays and objects are never identical."""
    if _is_json_number(a) and _is_json_number(b):
        return _js_number(a) == _js_number(b)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return type(a) is type(b) and a == b


def _is_json_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _js_number(value: float) -> float:
    """A JSON number as JavaScript holds it: a double, infinite when out of range."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _same_json_text(a: object, b: object) -> bool:
    """Whether ``JSON.stringify(a) === JSON.stringify(b)`` for two JSON.parse results: same
    structure, keys in JavaScript's order, non-finite numbers written as null. Recurses only
    where both sides nest, so no deeper than the (depth-limited) header value."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = _js_key_order(a)
        return keys == _js_key_order(b) and all(_same_json_text(a[key], b[key]) for key in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same_json_text, a, b))
    return _js_identical(_json_scalar(a), _json_scalar(b))


def _json_scalar(value: object) -> object:
    if _is_json_number(value) and not math.isfinite(_js_number(value)):
        return None  # JSON.stringify(Infinity) is "null"
    return value


def _js_key_order(obj: Mapping[str, Any]) -> list[str]:
    """An object's keys in JavaScript's property order: array indices ascending, then the rest
    in insertion order."""
    indices = sorted((key for key in obj if _is_array_index(key)), key=int)
    return indices + [key for key in obj if not _is_array_index(key)]


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and len(key) <= 10 and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1


def _check_times(claims: Mapping[str, Any], *, now: int, leeway: int, require_exp: bool) -> None:
    for name in _TIME_CLAIMS:
        if name in claims:
            value = claims[name]
            if not _is_finite_number(value):
                raise InvalidClaimsError(f"claim {name!r} is not a finite number")
    if "nbf" in claims and claims["nbf"] > now + leeway:
        raise NotYetValidError("token is not valid yet (nbf is in the future); check the server clocks")
    if "exp" in claims:
        if claims["exp"] <= now - leeway:
            raise ExpiredTokenError("token has expired; the user must sign in again")
    elif require_exp:
        raise InvalidClaimsError("token has no exp claim and require_exp is set")


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the range of a double: Infinity in JavaScript
        return False


def peek_version(token: str) -> Version | None:
    """The format a token's header announces, without decrypting anything: 5 for
    A256CBC-HS512 (with a string ``kid`` or none) or for A256GCM with a string ``kid``, else 4;
    None when the header is not next-auth's (or ``token`` is not a string)."""
    if not isinstance(token, str):
        return None
    try:
        header = _parse_header(token[: _MAX_HEADER_LENGTH + 1].partition(".")[0])
    except JWTError:
        return None
    if header.enc == A256CBC_HS512:
        return None if header.bad_kid else 5
    return 5 if header.kid is not None else 4


# --------------------------------------------------------------------------- codec


class TokenCodec:
    """Encode and decode next-auth session tokens for one secret (or list) and salt.

    Keys are derived on first use and kept for the codec's lifetime, so build one
    codec and reuse it. ``version`` restricts decoding to one format (None: either).
    """

    __slots__ = ("_keys", "_plans", "_secrets", "leeway", "require_exp", "salt", "version")

    def __init__(
        self,
        secret: Secret,
        *,
        salt: str = "",
        version: Version | None = None,
        leeway: int = DEFAULT_LEEWAY,
        require_exp: bool = False,
    ) -> None:
        if version not in (None, 4, 5):
            raise ValueError("version: expected 4 (next-auth), 5 (Auth.js) or None (either)")
        if not isinstance(salt, str):
            raise TypeError("salt: expected str")
        self._secrets = _secret_list(secret)
        self.salt = salt
        self.version: Version | None = version
        self.leeway = leeway
        self.require_exp = require_exp
        self._keys: dict[tuple[int, Version, str], _Key] = {}
        self._plans: dict[_Header, tuple[_Key, ...]] = {}

    def _key(self, index: int, version: Version, enc: str) -> _Key:
        slot = (index, version, enc)
        key = self._keys.get(slot)
        if key is None:
            key = self._keys[slot] = _Key.make(self._secrets[index], self.salt, version, enc)
        return key

    def _candidates(self, header: _Header) -> tuple[_Key, ...]:
        """Keys worth trying for this header, in next-auth's order. Memoised per header, except
        when its kid matches none of our keys: anyone can send endless such kids."""
        keys = self._plans.get(header)
        if keys is None:
            keys, known = self._plan(header)
            if known and len(self._plans) < _PLAN_CACHE_SIZE:
                self._plans[header] = keys
        return keys

    def _plan(self, header: _Header) -> tuple[tuple[_Key, ...], bool]:
        """The keys for ``header``, and whether its kid (if any) is one of ours.

        next-auth v4 ignores the kid. Auth.js takes the first secret whose key's thumbprint
        equals the kid, or the first secret when there is no kid; a kid that is not a string
        matches nothing.
        """
        version, enc = self.version, header.enc
        if version == 4 and enc != A256GCM:
            raise UnsupportedAlgorithmError(
                "this is an Auth.js v5 token (A256CBC-HS512); decode it with version=5 or None"
            )
        secrets = range(len(self._secrets))
        keys = [self._key(i, 4, enc) for i in secrets] if version != 5 and enc == A256GCM else []
        known = True
        if version != 4:
            if header.kid is not None:
                matching = [key for i in secrets if (key := self._key(i, 5, enc)).kid == header.kid]
                keys.extend(matching[:1])
                known = bool(matching)
            elif not header.bad_kid:
                keys.append(self._key(0, 5, enc))
        if not keys and header.bad_kid:
            raise MalformedTokenError("header kid is not a string; Auth.js refuses such tokens")
        return tuple(keys), known

    def decode(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        """Decrypt and validate ``token``; return its claims or raise :class:`JWTError`."""
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
        header = _parse_header(header_segment)
        iv = _b64decode(iv_segment, "iv")
        ciphertext = _b64decode(ciphertext_segment, "ciphertext")
        tag = _b64decode(tag_segment, "tag")
        gcm = header.enc == A256GCM
        if len(iv) != (12 if gcm else 16) or len(tag) != (16 if gcm else 32):
            raise MalformedTokenError(f"iv or tag has the wrong length for {header.enc}")
        if not gcm and (not ciphertext or len(ciphertext) % 16):
            raise MalformedTokenError("ciphertext is not a whole number of AES blocks")
        aad = header_segment.encode("ascii")
        for key in self._candidates(header):
            plaintext = key.decrypt(aad, iv, ciphertext, tag)
            if plaintext is not None:
                break
        else:
            raise DecryptionError(
                "token does not decrypt with the configured secret(s): check that the secret is the "
                "Next.js app's NEXTAUTH_SECRET/AUTH_SECRET (and for Auth.js v5 that the salt is the "
                "session cookie's name)"
            )
        claims = _parse_claims(plaintext)
        _check_times(
            claims,
            now=int(time.time() if now is None else now),
            leeway=self.leeway,
            require_exp=self.require_exp,
        )
        if header.replicated:
            _check_replicated(header, claims)
        return claims

    def encode(
        self,
        payload: Mapping[str, Any],
        *,
        max_age: int = DEFAULT_MAX_AGE,
        version: Version = 4,
        now: float | None = None,
    ) -> str:
        """Encrypt ``payload`` as next-auth would, adding ``iat``, ``exp`` and ``jti``.

        Uses the first secret. ``version=4`` writes dir + A256GCM; ``version=5``
        writes dir + A256CBC-HS512 with the key's thumbprint as ``kid``.
        """
        if not isinstance(payload, Mapping):
            raise TypeError(f"payload must be a mapping, not {type(payload).__name__}")
        if isinstance(max_age, bool) or not isinstance(max_age, int):
            raise TypeError("max_age must be an int (seconds)")
        issued = int(time.time() if now is None else now)
        claims = dict(payload)
        claims["iat"] = issued
        claims["exp"] = issued + max_age
        claims["jti"] = str(uuid.uuid4())
        plaintext = json.dumps(claims, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        if version == 4:
            key = self._key(0, 4, A256GCM)
            protected: dict[str, str] = {"alg": "dir", "enc": A256GCM}
        elif version == 5:
            key = self._key(0, 5, A256CBC_HS512)
            protected = {"alg": "dir", "enc": A256CBC_HS512, "kid": str(key.kid)}
        else:
            raise ValueError("version: expected 4 (next-auth) or 5 (Auth.js)")
        return jwe.encrypt_compact(protected, plaintext.encode("utf-8"), OctKey.import_key(key.raw), registry=_REGISTRY)


def _secret_key(secret: Secret) -> str | bytes | tuple[str | bytes, ...]:
    return secret if isinstance(secret, (str, bytes)) else tuple(secret)


@functools.lru_cache(maxsize=_CODEC_CACHE_SIZE)
def _codec(
    secret: str | bytes | tuple[str | bytes, ...],
    salt: str,
    version: Version | None,
    leeway: int,
    require_exp: bool,
) -> TokenCodec:
    return TokenCodec(secret, salt=salt, version=version, leeway=leeway, require_exp=require_exp)


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
    """
    return _codec(_secret_key(secret), salt, None, DEFAULT_LEEWAY, False).encode(
        payload, max_age=max_age, version=version, now=now
    )


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
    :class:`JWTError` subclass on any bad token.
    """
    return _codec(_secret_key(secret), salt, version, leeway, require_exp).decode(token, now=now)
