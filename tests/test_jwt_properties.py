"""Property tests: round trips, total rejection of junk (hostile headers and payloads too),
and agreement with joserfc."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asgi_withauth import jwt
from tests.handmade_jwe import seal
from tests.reference import ReferenceRejected, reference_decode

NOW = 1_800_000_000

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
payloads = st.dictionaries(st.text(max_size=12), json_values, max_size=6)
secrets = st.text(min_size=1, max_size=40) | st.binary(min_size=1, max_size=40)
salts = st.text(max_size=30)
versions = st.sampled_from([4, 5])


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads, secret=secrets, salt=salts, version=versions)
def test_round_trip_any_json_object(payload: dict[str, Any], secret: str | bytes, salt: str, version: int) -> None:
    payload = {k: v for k, v in payload.items() if k not in ("iat", "exp", "jti", "nbf")}
    token = jwt.encode(payload, secret, salt=salt, version=version, now=NOW)  # type: ignore[arg-type]
    claims = jwt.decode(token, secret, salt=salt, now=NOW)
    assert _same({k: claims[k] for k in payload}, payload)
    assert claims["exp"] == NOW + jwt.DEFAULT_MAX_AGE


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads, secret=st.text(min_size=1, max_size=40), salt=salts, version=versions)
def test_our_tokens_decode_in_joserfc(payload: dict[str, Any], secret: str, salt: str, version: int) -> None:
    """Encoding uses ``cryptography`` directly; joserfc, an independent JWE implementation, must
    read every token it writes to the same claims, under the same header."""
    token = jwt.encode(payload, secret, salt=salt, version=version, now=NOW)  # type: ignore[arg-type]
    assert _same(
        reference_decode(token, secret, salt=salt, version=version, now=NOW),
        jwt.decode(token, secret, salt=salt, now=NOW),
    )
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))
    assert list(header) == (["alg", "enc"] if version == 4 else ["alg", "enc", "kid"])


@settings(max_examples=400)
@given(st.text(max_size=300))
def test_decode_of_any_string_raises_only_jwterror(text: str) -> None:
    with pytest.raises(jwt.JWTError):
        jwt.decode(text, "secret")


segment = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .", max_size=40)


@settings(max_examples=300)
@given(st.lists(segment, min_size=5, max_size=5))
def test_decode_of_token_shaped_junk_raises_only_jwterror(parts: list[str]) -> None:
    with pytest.raises(jwt.JWTError):
        jwt.decode(".".join(parts), "secret")


# JSON-ish text: brackets, strings, escapes, numbers, a BOM; sometimes behind deep nesting.
json_ish = st.text(alphabet='[]{}",:0123456789eE.-+ \\adeiklnrstuz\ufeff\udcff', max_size=120)
nested = st.builds(
    lambda opener, count, inner: opener * count + inner,
    st.sampled_from(["[", "{", '{"a":', "[{", '["', '{"alg":"dir","enc":"A256GCM","x":[']),
    st.integers(min_value=0, max_value=3000),
    json_ish,
)
header_objects = st.dictionaries(
    st.sampled_from(["alg", "enc", "kid", "typ", "crit", "zip", "sub", "aud", "x"]),
    json_values | st.sampled_from(["dir", "A256GCM", "A256CBC-HS512"]),
    max_size=5,
).map(json.dumps)
json_texts = json_ish | nested | header_objects
tails = st.sampled_from(["..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", "", ".", "....", ".x.y.z.w"]) | st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", max_size=60
)


def _total(token: Any) -> None:
    """decode ends in a JWTError (it never accepts junk here), peek_version in 4, 5 or None,
    and read_header in a header or a JWTError."""
    with pytest.raises(jwt.JWTError):
        jwt.decode(token, "secret")
    with pytest.raises(jwt.JWTError):
        jwt.TokenCodec("secret", version=5).decode(token)
    assert jwt.peek_version(token) in (4, 5, None)
    _read_header_is_total(token)


def _read_header_is_total(token: Any) -> None:
    """read_header returns a header or raises a JWTError, nothing else; when it returns, the
    token can fail to decode only for its key or its claims."""
    try:
        header = jwt.read_header(token)
    except jwt.JWTError:
        return
    assert isinstance(header, jwt.JoseHeader)
    assert header.version == jwt.peek_version(token)
    with contextlib.suppress(jwt.DecryptionError, jwt.InvalidClaimsError):
        jwt.decode(token, "secret")  # anything else (a malformed token) would propagate


@settings(max_examples=400)
@given(st.text(max_size=400))
def test_read_header_of_any_string_returns_or_raises_jwterror(text: str) -> None:
    _read_header_is_total(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=versions,
    position=st.integers(min_value=0),
    replacement=st.sampled_from("AQgw_-9zZ.=+/ é"),
)
def test_read_header_of_mutated_tokens_returns_or_raises_jwterror(
    version: int, position: int, replacement: str
) -> None:
    token = jwt.encode({"sub": "1"}, "secret", salt="" if version == 4 else "authjs.session-token", version=version)  # type: ignore[arg-type]
    index = position % len(token)
    _read_header_is_total(token[:index] + replacement + token[index + 1 :])
    _read_header_is_total(token[:index] + token[index + 1 :])


@settings(max_examples=300)
@given(st.text(max_size=400) | st.binary(max_size=400))
def test_any_text_or_bytes_token_gives_jwterror_and_a_version_or_none(token: str | bytes) -> None:
    _total(token)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(text=json_texts, bom=st.booleans(), tail=tails)
def test_hostile_headers_give_jwterror_and_a_version_or_none(text: str, bom: bool, tail: str) -> None:
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass")
    _total(_b64(raw) + tail)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payload=json_texts.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=200), version=versions)
def test_any_payload_under_the_right_key_gives_claims_or_jwterror(payload: bytes, version: int) -> None:
    salt = "" if version == 4 else "authjs.session-token"
    enc = "A256GCM" if version == 4 else "A256CBC-HS512"
    header = {"alg": "dir", "enc": enc}
    token = seal(header, payload, secret="secret", salt=salt, version=version, enc=enc)  # type: ignore[arg-type]
    try:
        claims = jwt.decode(token, "secret", salt=salt, version=version, now=NOW)  # type: ignore[arg-type]
    except jwt.JWTError:
        return
    assert isinstance(claims, dict)
    assert claims == json.loads(payload.removeprefix(b"\xef\xbb\xbf"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _agree(token: str, secret: str, salt: str, version: int) -> None:
    """Our decode and joserfc's accept and reject the same tokens with the same claims."""
    try:
        ours: Any = jwt.decode(token, secret, salt=salt, version=version, now=NOW)  # type: ignore[arg-type]
    except jwt.JWTError as exc:
        ours = exc
    try:
        theirs: Any = reference_decode(token, secret, salt=salt, version=version, now=NOW)
    except ReferenceRejected as exc:
        theirs = exc
    if isinstance(theirs, Exception):
        assert isinstance(ours, jwt.JWTError), f"we accepted what joserfc rejects: {theirs}"
    else:
        assert not isinstance(ours, Exception), f"we rejected what joserfc accepts: {ours!r}"
        assert _same(ours, theirs)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=payloads,
    version=versions,
    max_age=st.integers(min_value=-100_000, max_value=100_000),
    position=st.integers(min_value=0),
    replacement=st.sampled_from("AQgw_-9zZ.="),
)
def test_mutations_agree_with_joserfc(
    payload: dict[str, Any], version: int, max_age: int, position: int, replacement: str
) -> None:
    salt = "" if version == 4 else "authjs.session-token"
    token = jwt.encode(payload, "differential", salt=salt, version=version, max_age=max_age, now=NOW)  # type: ignore[arg-type]
    _agree(token, "differential", salt, version)
    index = position % len(token)
    assume(token[index] != replacement)
    _agree(token[:index] + replacement + token[index + 1 :], "differential", salt, version)
    _agree(token[:index] + token[index + 1 :], "differential", salt, version)
