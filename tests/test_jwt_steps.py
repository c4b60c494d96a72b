"""Decoding in three steps, each on its own: read_header (no key), decrypt (no clock),
check_claims (the times), and decode as the three together."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from asgi_withauth import jwt
from asgi_withauth.jwt import (
    DecryptionError,
    ExpiredTokenError,
    InvalidClaimsError,
    JoseHeader,
    JWTError,
    MalformedTokenError,
    NotYetValidError,
    TokenCodec,
    TokenTooLargeError,
    UnsupportedAlgorithmError,
)
from tests.handmade_jwe import b64, seal

SECRET = "three-steps-secret"
V5_SALT = "authjs.session-token"
NOW = 1_800_000_000


def v4_token(**claims: Any) -> str:
    return jwt.encode(claims, SECRET, now=NOW)


def v5_token(**claims: Any) -> str:
    return jwt.encode(claims, SECRET, salt=V5_SALT, version=5, now=NOW)


def with_header(token: str, header: dict[str, Any] | bytes) -> str:
    """``token`` with another header segment (it no longer decrypts; the structure is all)."""
    raw = json.dumps(header).encode() if isinstance(header, dict) else header
    return ".".join([b64(raw), *token.split(".")[1:]])


def with_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


# ---------------------------------------------------------------- read_header: accepted


def test_read_header_of_a_v4_token() -> None:
    header = jwt.read_header(v4_token(sub="1"))
    assert header == JoseHeader(alg="dir", enc="A256GCM", kid=None, version=4, params={"alg": "dir", "enc": "A256GCM"})


def test_read_header_of_a_v5_token() -> None:
    token = v5_token(sub="1")
    kid = jwt.key_id(jwt.derive_key(SECRET, salt=V5_SALT, version=5))
    header = jwt.read_header(token)
    assert (header.alg, header.enc, header.kid, header.version) == ("dir", "A256CBC-HS512", kid, 5)
    assert dict(header.params) == {"alg": "dir", "enc": "A256CBC-HS512", "kid": kid}


@pytest.mark.parametrize(
    ("extra", "enc", "kid", "version"),
    [
        ({"typ": "JWT", "x": [1, {"a": None}]}, "A256GCM", None, 4),
        ({"kid": 7}, "A256GCM", None, 4),  # next-auth v4 ignores a kid that is not a string
        ({"kid": "k"}, "A256GCM", "k", 5),
        ({}, "A256CBC-HS512", None, 5),
        ({"kid": "k", "iss": "https://a"}, "A256CBC-HS512", "k", 5),
    ],
)
def test_read_header_keeps_every_parameter_and_announces_the_version(
    extra: dict[str, Any], enc: str, kid: str | None, version: int
) -> None:
    members = {"alg": "dir", "enc": enc, **extra}
    token = with_header(v4_token() if enc == "A256GCM" else v5_token(), members)
    header = jwt.read_header(token)
    assert (header.enc, header.kid, header.version) == (enc, kid, version)
    assert dict(header.params) == members
    assert header.version == jwt.peek_version(token)


def test_read_header_needs_no_key_and_decode_fails_only_for_the_key() -> None:
    token = v4_token(sub="1")
    assert jwt.read_header(token).version == 4
    with pytest.raises(DecryptionError):
        jwt.decode(token, "another-secret")


def test_read_header_params_are_a_read_only_copy() -> None:
    token = with_header(v4_token(), {"alg": "dir", "enc": "A256GCM", "aud": ["x"], "sub": "1"})
    header = jwt.read_header(token)
    with pytest.raises(TypeError):
        header.params["alg"] = "none"  # type: ignore[index]
    header.params["aud"].append("y")  # a copy: neither the next reader nor decode sees it
    assert jwt.read_header(token).params["aud"] == ["x"]
    assert hash(header) == hash(jwt.read_header(token))  # params do not take part in the hash


def test_decode_still_checks_the_replicated_claims_after_read_header_handed_out_a_copy() -> None:
    header = {"alg": "dir", "enc": "A256GCM", "aud": ["x"]}
    token = seal(header, b'{"aud":["x"]}', secret=SECRET)
    jwt.read_header(token).params["aud"].append("y")
    assert jwt.decode(token, SECRET) == {"aud": ["x"]}


# ---------------------------------------------------------------- read_header: refused

V4 = v4_token(sub="1")
V5 = v5_token(sub="1")
DIR_GCM = {"alg": "dir", "enc": "A256GCM"}

REFUSED: dict[str, tuple[Callable[[], Any], type[JWTError], str]] = {
    "not-a-str": (lambda: V4.encode(), MalformedTokenError, "malformed_token"),
    "too-large": (lambda: "A" * (jwt.MAX_TOKEN_LENGTH + 1), TokenTooLargeError, "token_too_large"),
    "non-ascii": (lambda: "é" + V4, MalformedTokenError, "malformed_token"),
    "4-segments": (lambda: V4.rpartition(".")[0], MalformedTokenError, "malformed_token"),
    "6-segments": (lambda: V4 + ".AAAA", MalformedTokenError, "malformed_token"),
    "encrypted-key": (lambda: with_segment(V4, 1, "AAAA"), UnsupportedAlgorithmError, "unsupported_algorithm"),
    "header-padding": (lambda: with_segment(V4, 0, V4.split(".")[0] + "="), MalformedTokenError, "malformed_token"),
    "iv-space": (lambda: with_segment(V4, 2, "AAAA AAAAAAAAAAA"), MalformedTokenError, "malformed_token"),
    "ciphertext-std-alphabet": (lambda: with_segment(V4, 3, "AA+/"), MalformedTokenError, "malformed_token"),
    "tag-unused-bits": (lambda: with_segment(V4, 4, "A" * 21 + "B"), MalformedTokenError, "malformed_token"),
    "header-not-json": (lambda: with_header(V4, b"{alg: dir}"), MalformedTokenError, "malformed_token"),
    "header-array": (lambda: with_header(V4, b'["dir"]'), MalformedTokenError, "malformed_token"),
    "header-duplicate": (
        lambda: with_header(V4, b'{"alg":"dir","enc":"A256GCM","enc":"A256GCM"}'),
        MalformedTokenError,
        "malformed_token",
    ),
    "header-deep": (lambda: with_header(V4, b"[" * 20 + b"]" * 20), MalformedTokenError, "malformed_token"),
    "header-long": (lambda: with_header(V4, {**DIR_GCM, "pad": "x" * 800}), MalformedTokenError, "malformed_token"),
    "header-not-utf8": (
        lambda: with_header(V4, b'{"alg":"dir","enc":"A256GCM","x":"\xff"}'),
        MalformedTokenError,
        "malformed_token",
    ),
    "crit": (lambda: with_header(V4, {**DIR_GCM, "crit": ["x"]}), MalformedTokenError, "malformed_token"),
    "zip": (lambda: with_header(V4, {**DIR_GCM, "zip": "DEF"}), UnsupportedAlgorithmError, "unsupported_algorithm"),
    "alg": (
        lambda: with_header(V4, {"alg": "A256KW", "enc": "A256GCM"}),
        UnsupportedAlgorithmError,
        "unsupported_algorithm",
    ),
    "no-alg": (lambda: with_header(V4, {"enc": "A256GCM"}), UnsupportedAlgorithmError, "unsupported_algorithm"),
    "enc": (
        lambda: with_header(V4, {"alg": "dir", "enc": "A128GCM"}),
        UnsupportedAlgorithmError,
        "unsupported_algorithm",
    ),
    "v5-kid-not-a-string": (
        lambda: with_header(V5, {"alg": "dir", "enc": "A256CBC-HS512", "kid": 7}),
        MalformedTokenError,
        "malformed_token",
    ),
    "gcm-iv-length": (lambda: with_segment(V4, 2, b64(bytes(16))), MalformedTokenError, "malformed_token"),
    "gcm-tag-length": (lambda: with_segment(V4, 4, b64(bytes(32))), MalformedTokenError, "malformed_token"),
    "cbc-iv-length": (lambda: with_segment(V5, 2, b64(bytes(12))), MalformedTokenError, "malformed_token"),
    "cbc-tag-length": (lambda: with_segment(V5, 4, b64(bytes(16))), MalformedTokenError, "malformed_token"),
    "cbc-partial-block": (lambda: with_segment(V5, 3, b64(bytes(33))), MalformedTokenError, "malformed_token"),
    "cbc-no-ciphertext": (lambda: with_segment(V5, 3, ""), MalformedTokenError, "malformed_token"),
}


@pytest.mark.parametrize(("make", "error", "code"), REFUSED.values(), ids=REFUSED.keys())
def test_read_header_refuses_each_malformed_shape(make: Callable[[], Any], error: type[JWTError], code: str) -> None:
    token = make()
    with pytest.raises(JWTError) as caught:
        jwt.read_header(token)
    assert type(caught.value) is error
    assert caught.value.code == code
    # decode runs the very same checks first: the same error, whatever the key.
    for codec in (TokenCodec(SECRET), TokenCodec(SECRET, salt=V5_SALT, version=5)):
        with pytest.raises(JWTError) as decoded:
            codec.decode(token)
        assert type(decoded.value) is error
        assert str(decoded.value) == str(caught.value)


def test_gcm_ciphertext_may_be_any_length() -> None:
    assert jwt.read_header(with_segment(V4, 3, b64(bytes(33)))).version == 4
    assert jwt.read_header(with_segment(V4, 3, "")).version == 4


def test_a_v5_kid_that_is_not_a_string_is_refused_for_gcm_only_by_a_v5_decoder() -> None:
    token = seal({"alg": "dir", "enc": "A256GCM", "kid": 7}, b'{"sub":"1"}', secret=SECRET)
    assert jwt.read_header(token).version == 4  # next-auth v4 reads it
    with pytest.raises(MalformedTokenError, match="kid"):
        TokenCodec(SECRET, version=5).decode(token)


# ---------------------------------------------------------------- decrypt and decode


def test_decrypt_returns_an_expired_tokens_claims_and_decode_refuses_it() -> None:
    token = jwt.encode({"sub": "1"}, SECRET, max_age=60, now=NOW)
    later = NOW + 3600
    codec = TokenCodec(SECRET)
    claims = codec.decrypt(token)
    assert (claims["sub"], claims["exp"]) == ("1", NOW + 60)
    assert jwt.decrypt(token, SECRET) == claims
    with pytest.raises(ExpiredTokenError) as caught:
        codec.decode(token, now=later)
    assert caught.value.code == "token_expired"
    with pytest.raises(ExpiredTokenError):
        jwt.check_claims(claims, now=later)


def test_decrypt_of_a_token_not_valid_yet() -> None:
    token = jwt.encode({"sub": "1", "nbf": NOW + 3600}, SECRET, salt=V5_SALT, version=5, now=NOW)
    claims = jwt.decrypt(token, SECRET, salt=V5_SALT, version=5)
    assert claims["nbf"] == NOW + 3600
    with pytest.raises(NotYetValidError):
        jwt.decode(token, SECRET, salt=V5_SALT, now=NOW)


def test_decrypt_checks_everything_but_the_times() -> None:
    with pytest.raises(DecryptionError):
        jwt.decrypt(v4_token(sub="1"), "another-secret")
    with pytest.raises(UnsupportedAlgorithmError):
        jwt.decrypt(V5, SECRET, salt=V5_SALT, version=4)
    with pytest.raises(InvalidClaimsError, match="payload"):
        jwt.decrypt(seal(DIR_GCM, b"[1]", secret=SECRET), SECRET)
    mismatch = seal({**DIR_GCM, "sub": "2"}, b'{"sub":"1"}', secret=SECRET)
    with pytest.raises(InvalidClaimsError, match="does not match"):
        jwt.decrypt(mismatch, SECRET)
    with pytest.raises(MalformedTokenError):
        jwt.decrypt("not a token", SECRET)


def test_decrypt_leaves_time_claims_that_are_not_numbers_to_check_claims() -> None:
    token = seal(DIR_GCM, b'{"sub":"1","exp":"soon"}', secret=SECRET)
    claims = jwt.decrypt(token, SECRET)
    assert claims["exp"] == "soon"
    with pytest.raises(InvalidClaimsError, match="finite"):
        jwt.check_claims(claims)
    with pytest.raises(InvalidClaimsError, match="finite"):
        jwt.decode(token, SECRET)


def test_decode_judges_the_times_before_the_replicated_claims_as_jose_does() -> None:
    token = seal({**DIR_GCM, "sub": "2"}, b'{"sub":"1","exp":1}', secret=SECRET)
    with pytest.raises(ExpiredTokenError):
        jwt.decode(token, SECRET)


def test_decrypt_with_rotation_and_kid() -> None:
    token = jwt.encode({"sub": "1"}, "old", salt=V5_SALT, version=5, now=NOW - 10**8)
    codec = TokenCodec(["new", "old"], salt=V5_SALT)
    assert codec.decrypt(token)["sub"] == "1"
    with pytest.raises(ExpiredTokenError):
        codec.decode(token)


# ---------------------------------------------------------------- check_claims

CASES: list[tuple[dict[str, Any], dict[str, Any], type[JWTError] | None]] = [
    ({}, {}, None),
    ({"exp": NOW + 1}, {}, None),
    ({"exp": NOW - 14}, {}, None),  # within the 15 s leeway
    ({"exp": NOW - 15}, {}, ExpiredTokenError),
    ({"exp": NOW - 1}, {"leeway": 0}, ExpiredTokenError),
    ({"exp": NOW + 100}, {"leeway": 0}, None),
    ({"nbf": NOW + 15}, {}, None),
    ({"nbf": NOW + 16}, {}, NotYetValidError),
    ({"nbf": NOW + 1}, {"leeway": 0}, NotYetValidError),
    ({"iat": NOW + 10**6}, {}, None),  # iat is only checked to be a number, as jose does
    ({"iat": "x"}, {}, InvalidClaimsError),
    ({"exp": True}, {}, InvalidClaimsError),
    ({"exp": None}, {}, InvalidClaimsError),
    ({"exp": float("inf")}, {}, InvalidClaimsError),
    ({"exp": 10**400}, {}, InvalidClaimsError),
    ({"exp": float(NOW + 1)}, {}, None),
    ({"exp": 2**60}, {}, None),
    ({"nbf": NOW + 100, "exp": NOW - 100}, {}, NotYetValidError),  # nbf is judged first
    ({"sub": "1"}, {"require_exp": True}, InvalidClaimsError),
    ({"exp": NOW + 1}, {"require_exp": True}, None),
]


@pytest.mark.parametrize(("claims", "options", "error"), CASES, ids=[repr(c[:2]) for c in CASES])
def test_check_claims_judges_as_decode_does(
    claims: dict[str, Any], options: dict[str, Any], error: type[JWTError] | None
) -> None:
    payload = json.dumps(claims).replace("Infinity", "1e400")  # JSON's spelling of a number too large
    token = seal(DIR_GCM, payload.encode(), secret=SECRET)
    if error is None:
        jwt.check_claims(claims, now=NOW, **options)
        assert jwt.decode(token, SECRET, now=NOW, **options) == claims
        return
    with pytest.raises(JWTError) as checked:
        jwt.check_claims(claims, now=NOW, **options)
    with pytest.raises(JWTError) as decoded:
        jwt.decode(token, SECRET, now=NOW, **options)
    assert type(checked.value) is type(decoded.value) is error
    assert str(checked.value) == str(decoded.value)


def test_check_claims_uses_the_clock_by_default() -> None:
    jwt.check_claims({"exp": 10**10})
    with pytest.raises(ExpiredTokenError):
        jwt.check_claims({"exp": 1})
