"""The codec: formats, key derivation, claims, rotation and every kind of bad token."""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any

import pytest
from joserfc import jwe, jws
from joserfc.jwk import OctKey

from asgi_withauth import jwt
from asgi_withauth._codec import keys
from asgi_withauth.jwt import (
    DecryptionError,
    ExpiredTokenError,
    InvalidClaimsError,
    JWTError,
    MalformedTokenError,
    NotYetValidError,
    TokenCodec,
    TokenTooLargeError,
    UnsupportedAlgorithmError,
)
from tests.handmade_jwe import seal

SECRET = "a-test-secret-of-reasonable-length"
V5_SALT = "authjs.session-token"
CLAIMS = {"name": "Ada", "email": "ada@example.com", "picture": None, "sub": "42"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def handmade(
    header: dict[str, Any],
    plaintext: bytes,
    *,
    secret: str = SECRET,
    salt: str = "",
    version: jwt.Version = 4,
) -> str:
    """A JWE made by joserfc with next-auth's derived key but any header we like."""
    key = jwt.derive_key(secret, salt=salt, version=version, enc=header["enc"])
    registry = jwe.JWERegistry(algorithms=["dir", header["enc"], "DEF"])
    return jwe.encrypt_compact(header, plaintext, OctKey.import_key(key), registry=registry)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("version", [4, 5])
def test_round_trip_adds_iat_exp_jti(version: jwt.Version) -> None:
    before = int(time.time())
    token = jwt.encode(CLAIMS, SECRET, salt=V5_SALT if version == 5 else "", version=version)
    claims = jwt.decode(token, SECRET, salt=V5_SALT if version == 5 else "", version=version)
    assert {k: claims[k] for k in CLAIMS} == CLAIMS
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + jwt.DEFAULT_MAX_AGE
    assert len(claims["jti"]) == 36
    assert jwt.encode(CLAIMS, SECRET) != jwt.encode(CLAIMS, SECRET)  # fresh iv and jti


def test_v4_header_is_dir_a256gcm_without_kid() -> None:
    header = json.loads(unb64(jwt.encode(CLAIMS, SECRET).split(".")[0]))
    assert header == {"alg": "dir", "enc": "A256GCM"}


def test_v5_header_carries_the_sha512_thumbprint_as_kid() -> None:
    token = jwt.encode(CLAIMS, SECRET, salt=V5_SALT, version=5)
    header = json.loads(unb64(token.split(".")[0]))
    key = jwt.derive_key(SECRET, salt=V5_SALT, version=5)
    assert len(key) == 64
    assert header == {"alg": "dir", "enc": "A256CBC-HS512", "kid": jwt.key_id(key)}
    assert len(unb64(header["kid"])) == 64  # SHA-512


def test_encode_overwrites_time_claims_and_keeps_nbf() -> None:
    token = jwt.encode({**CLAIMS, "iat": 1, "exp": 2, "jti": "x", "nbf": 3}, SECRET, max_age=60, now=1_000_000)
    claims = jwt.decode(token, SECRET, now=1_000_000)
    assert (claims["iat"], claims["exp"], claims["nbf"]) == (1_000_000, 1_000_060, 3)
    assert claims["jti"] != "x"


def test_encode_past_2038_does_not_overflow() -> None:
    token = jwt.encode(CLAIMS, SECRET, max_age=20 * 365 * 86400, now=2_000_000_000)
    assert jwt.decode(token, SECRET, now=2_000_000_000)["exp"] == 2_000_000_000 + 20 * 365 * 86400


def test_encode_rejects_what_json_cannot_carry() -> None:
    with pytest.raises(TypeError):
        jwt.encode({"x": object()}, SECRET)
    with pytest.raises(ValueError, match="JSON"):
        jwt.encode({"x": float("nan")}, SECRET)
    with pytest.raises(TypeError):
        jwt.encode(["not", "a", "mapping"], SECRET)  # type: ignore[arg-type]


def test_salt_separates_keys() -> None:
    token = jwt.encode(CLAIMS, SECRET, salt="one")
    assert jwt.decode(token, SECRET, salt="one")["sub"] == "42"
    with pytest.raises(DecryptionError, match="salt"):
        jwt.decode(token, SECRET, salt="two")
    with pytest.raises(DecryptionError):
        jwt.decode(token, SECRET)


def test_v5_salt_is_required_to_match_the_cookie_name() -> None:
    token = jwt.encode(CLAIMS, SECRET, salt=V5_SALT, version=5)
    with pytest.raises(DecryptionError):
        jwt.decode(token, SECRET, salt="__Secure-" + V5_SALT)


# ---------------------------------------------------------------- versions and rotation


def test_version_4_refuses_v5_tokens_with_a_pointer() -> None:
    token = jwt.encode(CLAIMS, SECRET, salt=V5_SALT, version=5)
    with pytest.raises(UnsupportedAlgorithmError, match="version=5"):
        jwt.decode(token, SECRET, salt=V5_SALT, version=4)


def test_version_5_accepts_a256gcm_with_the_v5_key() -> None:
    key = jwt.derive_key(SECRET, salt=V5_SALT, version=5, enc="A256GCM")
    assert len(key) == 32
    payload = json.dumps({"sub": "gcm"}).encode()
    with_kid = handmade({"alg": "dir", "enc": "A256GCM", "kid": jwt.key_id(key)}, payload, salt=V5_SALT, version=5)
    without_kid = handmade({"alg": "dir", "enc": "A256GCM"}, payload, salt=V5_SALT, version=5)
    assert jwt.decode(with_kid, SECRET, salt=V5_SALT, version=5) == {"sub": "gcm"}
    assert jwt.decode(without_kid, SECRET, salt=V5_SALT, version=5) == {"sub": "gcm"}
    assert jwt.decode(with_kid, SECRET, salt=V5_SALT) == {"sub": "gcm"}
    # A v4 decoder derives another key for the same header.
    with pytest.raises(JWTError):
        jwt.decode(without_kid, SECRET, salt=V5_SALT, version=4)


def test_v4_rotation_tries_every_secret() -> None:
    token = jwt.encode(CLAIMS, "old-secret")
    assert jwt.decode(token, ["new-secret", "old-secret"])["sub"] == "42"
    assert jwt.encode(CLAIMS, ["new-secret", "old-secret"]).count(".") == 4
    with pytest.raises(DecryptionError):
        jwt.decode(jwt.encode(CLAIMS, ["new-secret", "old-secret"]), "old-secret")


def test_v5_rotation_picks_the_secret_by_kid() -> None:
    token = jwt.encode(CLAIMS, "old-secret", salt=V5_SALT, version=5)
    assert jwt.decode(token, ["new-secret", "old-secret"], salt=V5_SALT)["sub"] == "42"
    with pytest.raises(DecryptionError):
        jwt.decode(token, ["new-secret", "other"], salt=V5_SALT)


def test_v5_without_kid_uses_only_the_first_secret_like_authjs() -> None:
    payload = json.dumps({"sub": "x"}).encode()
    token = handmade({"alg": "dir", "enc": "A256CBC-HS512"}, payload, secret="old", salt=V5_SALT, version=5)
    assert jwt.decode(token, ["old", "new"], salt=V5_SALT, version=5) == {"sub": "x"}
    with pytest.raises(DecryptionError):
        jwt.decode(token, ["new", "old"], salt=V5_SALT, version=5)


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every key derivation, as it happens."""
    calls: list[tuple[Any, ...]] = []
    real = keys.derive

    def counting(*args: Any) -> bytes:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(keys, "derive", counting)
    return calls


def test_codec_derives_each_key_once(derivations: list[tuple[Any, ...]]) -> None:
    calls = derivations
    codec = TokenCodec("fresh-secret-for-counting")
    token = codec.encode(CLAIMS)
    codec.decode(token)
    derived = len(calls)
    assert derived == 2  # the v4 key, and the v5 key the same header could also mean
    for _ in range(50):
        codec.decode(token)
    assert len(calls) == derived


def test_module_functions_keep_no_secrets_or_keys(derivations: list[tuple[Any, ...]]) -> None:
    calls = derivations
    token = jwt.encode(CLAIMS, "module-level-secret")
    for _ in range(3):
        jwt.decode(token, "module-level-secret")
    assert len(calls) == 1 + 3 * 2  # derived on every call: nothing kept between calls
    codec_modules = [module for name, module in sys.modules.items() if name.startswith("asgi_withauth._codec.")]
    assert len(codec_modules) >= 5
    for module in [jwt, *codec_modules]:  # no functools cache anywhere
        assert not [name for name, value in vars(module).items() if hasattr(value, "cache_info")]


# ---------------------------------------------------------------- claims


def test_expired_within_and_beyond_leeway() -> None:
    token = jwt.encode(CLAIMS, SECRET, max_age=100, now=1_000_000)
    assert jwt.decode(token, SECRET, now=1_000_100 + 14)["sub"] == "42"
    with pytest.raises(ExpiredTokenError):
        jwt.decode(token, SECRET, now=1_000_100 + 15)
    with pytest.raises(ExpiredTokenError):
        jwt.decode(token, SECRET, now=1_000_100 + 1, leeway=0)


def test_nbf_in_the_future_is_not_yet_valid() -> None:
    token = jwt.encode({**CLAIMS, "nbf": 1_000_100}, SECRET, now=1_000_000)
    with pytest.raises(NotYetValidError):
        jwt.decode(token, SECRET, now=1_000_000)
    assert jwt.decode(token, SECRET, now=1_000_085)["sub"] == "42"


def raw_token(payload: bytes, *, version: jwt.Version = 4) -> str:
    header = {"alg": "dir", "enc": "A256GCM"} if version == 4 else {"alg": "dir", "enc": "A256CBC-HS512"}
    return handmade(header, payload, salt="" if version == 4 else V5_SALT, version=version)


def test_token_without_exp_is_accepted_unless_required() -> None:
    token = raw_token(b'{"sub":"1"}')
    assert jwt.decode(token, SECRET) == {"sub": "1"}
    with pytest.raises(InvalidClaimsError, match="exp"):
        jwt.decode(token, SECRET, require_exp=True)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"exp": 1e400}',
        b'{"exp": -1e400}',
        b'{"nbf": "0"}',
        b'{"iat": true}',
        b'{"exp": null}',
        b'{"exp": NaN}',
        b'{"exp": Infinity}',
        b'{"exp": 1' + b"0" * 400 + b"}",
        b"[1, 2]",
        b'"a string"',
        b"not json",
        b"\xff\xfe{}",
        b"",
    ],
)
@pytest.mark.parametrize("version", [4, 5])
def test_bad_payloads_are_invalid_claims(payload: bytes, version: jwt.Version) -> None:
    with pytest.raises(InvalidClaimsError):
        jwt.decode(raw_token(payload, version=version), SECRET, salt="" if version == 4 else V5_SALT)


# ---------------------------------------------------------------- bad tokens


def test_wrong_secret() -> None:
    with pytest.raises(DecryptionError):
        jwt.decode(jwt.encode(CLAIMS, SECRET), "another-secret")


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("segment", [0, 2, 3, 4])
def test_every_flipped_bit_is_rejected(version: jwt.Version, segment: int) -> None:
    salt = "" if version == 4 else V5_SALT
    token = jwt.encode(CLAIMS, SECRET, salt=salt, version=version)
    parts = token.split(".")
    raw = bytearray(unb64(parts[segment]))
    for bit in range(0, len(raw) * 8, 7):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        mutated = parts.copy()
        mutated[segment] = b64(bytes(flipped))
        with pytest.raises(JWTError):
            jwt.decode(".".join(mutated), SECRET, salt=salt)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t[: len(t) // 2],
        lambda t: ".".join(t.split(".")[:4]),
        lambda t: t + ".",
        lambda t: t + ".AAAA",
        lambda t: t.replace(".", "..", 1),
        lambda t: "",
        lambda t: "....",
        lambda t: "a.b.c.d.e",
    ],
    ids=["chop-one", "half", "4-segments", "6-segments-empty", "6-segments", "extra-dot", "empty", "dots", "junk"],
)
def test_truncated_and_misshapen_tokens(mangle: Any) -> None:
    with pytest.raises(JWTError):
        jwt.decode(mangle(jwt.encode(CLAIMS, SECRET)), SECRET)


def test_jws_signed_with_the_secret_is_not_a_session() -> None:
    key = OctKey.import_key(SECRET.encode())
    signed = jws.serialize_compact({"alg": "HS256"}, json.dumps(CLAIMS), key)
    with pytest.raises(MalformedTokenError):
        jwt.decode(signed, SECRET)


def test_alg_none_is_rejected() -> None:
    header = b64(b'{"alg":"none"}')
    with pytest.raises(JWTError):
        jwt.decode(f"{header}.{b64(json.dumps(CLAIMS).encode())}.", SECRET)
    with pytest.raises(UnsupportedAlgorithmError):
        jwt.decode(f"{header}..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", SECRET)


@pytest.mark.parametrize(
    ("header", "algorithms"),
    [
        ({"alg": "A256KW", "enc": "A256GCM"}, ["A256KW", "A256GCM"]),
        ({"alg": "A256GCMKW", "enc": "A256GCM"}, ["A256GCMKW", "A256GCM"]),
        ({"alg": "dir", "enc": "A128CBC-HS256"}, ["dir", "A128CBC-HS256"]),
        ({"alg": "PBES2-HS256+A128KW", "enc": "A256GCM"}, ["PBES2-HS256+A128KW", "A256GCM"]),
    ],
)
def test_other_jwe_algorithms_are_rejected_before_any_key_is_used(
    header: dict[str, Any], algorithms: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = jwt.derive_key(SECRET)
    registry = jwe.JWERegistry(algorithms=algorithms)
    token = jwe.encrypt_compact(header, json.dumps(CLAIMS).encode(), OctKey.import_key(key), registry=registry)

    def no_keys(*args: Any) -> None:
        raise AssertionError("a key was derived for a token that should be refused first")

    codec = TokenCodec("never-used-secret")
    monkeypatch.setattr(keys.Key, "make", no_keys)
    with pytest.raises(UnsupportedAlgorithmError):
        codec.decode(token)


def test_zip_tokens_are_rejected() -> None:
    header = {"alg": "dir", "enc": "A256GCM", "zip": "DEF"}
    token = handmade(header, json.dumps(CLAIMS).encode())
    with pytest.raises(UnsupportedAlgorithmError, match="zip"):
        jwt.decode(token, SECRET)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ({"alg": "dir", "enc": "A256GCM", "crit": ["exp"]}, False),
        ({"alg": "dir", "enc": "A256GCM", "typ": "JWT"}, True),
        ({"alg": "dir", "enc": "A256GCM", "kid": 7}, True),
    ],
)
def test_header_parameters_are_ignored_unless_critical(header: dict[str, Any], accepted: bool) -> None:
    # As jose (next-auth v4): unknown parameters and a v4 kid are ignored, any crit is refused.
    # More cases, and Auth.js's kid rule, in test_jwt_hostile.py.
    token = seal(header, b'{"sub":"1"}', secret=SECRET)
    if accepted:
        assert jwt.decode(token, SECRET, version=4) == {"sub": "1"}
    else:
        with pytest.raises(MalformedTokenError, match="crit"):
            jwt.decode(token, SECRET)


def test_duplicate_header_members_are_rejected() -> None:
    token = jwt.encode(CLAIMS, SECRET).split(".")
    token[0] = b64(b'{"alg":"dir","enc":"A256GCM","enc":"A256GCM"}')
    with pytest.raises(MalformedTokenError):
        jwt.decode(".".join(token), SECRET)


@pytest.mark.parametrize(
    "spell",
    [
        lambda s: s + "=" * (-len(s) % 4 or 4),
        lambda s: s.replace("-", "+").replace("_", "/") if ("-" in s or "_" in s) else s + "=",
        lambda s: s[:10] + " " + s[10:],
        lambda s: s[:10] + "\n" + s[10:],
        lambda s: s[:10] + "\x00" + s[10:],
    ],
    ids=["padding", "std-alphabet", "space", "newline", "nul"],
)
@pytest.mark.parametrize("segment", [0, 2, 3, 4])
def test_non_canonical_base64url_is_rejected(spell: Any, segment: int) -> None:
    parts = jwt.encode({"s": "?>?>?>~~~"}, SECRET).split(".")
    parts[segment] = spell(parts[segment])
    with pytest.raises(MalformedTokenError):
        jwt.decode(".".join(parts), SECRET)


def test_non_zero_unused_bits_are_rejected() -> None:
    # a 16-byte tag is 22 characters: the last one carries 4 unused bits
    original = jwt.encode(CLAIMS, SECRET).split(".")
    parts = original.copy()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(parts[4][-1])
    parts[4] = parts[4][:-1] + alphabet[last | 1]
    assert unb64(parts[4]) == unb64(original[4])  # the same bytes, another spelling
    with pytest.raises(MalformedTokenError, match="canonical"):
        jwt.decode(".".join(parts), SECRET)


@pytest.mark.parametrize("text", ["é" * 10, "tok\u2028en", "\ud800"])
def test_non_ascii_is_rejected(text: str) -> None:
    with pytest.raises(MalformedTokenError):
        jwt.decode(text + jwt.encode(CLAIMS, SECRET), SECRET)


def test_absurdly_large_tokens_are_refused_unread() -> None:
    huge = "A" * (jwt.MAX_TOKEN_LENGTH + 1)
    with pytest.raises(TokenTooLargeError):
        jwt.decode(huge, SECRET)


def test_large_but_allowed_tokens_decode() -> None:
    claims = {"blob": "x" * 40_000}
    assert jwt.decode(jwt.encode(claims, SECRET), SECRET)["blob"] == claims["blob"]


def test_non_string_tokens_are_malformed() -> None:
    with pytest.raises(MalformedTokenError):
        jwt.decode(b"bytes", SECRET)  # type: ignore[arg-type]


def test_bad_secrets_are_configuration_errors_not_token_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        jwt.decode("x", "")
    with pytest.raises(ValueError, match="at least one"):
        jwt.decode("x", [])
    with pytest.raises(ValueError, match="version"):
        jwt.decode("x", SECRET, version=3)  # type: ignore[arg-type]


def test_error_messages_never_contain_the_token() -> None:
    token = jwt.encode(CLAIMS, SECRET)
    for bad in (token, token[:-2] + "zz", token.replace(".", "..")):
        with pytest.raises(JWTError) as caught:
            jwt.decode(bad, "wrong-secret")
        assert bad not in str(caught.value)
        assert token.split(".")[3] not in str(caught.value)
