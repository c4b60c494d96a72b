"""Hostile tokens: every untrusted input ends in a JWTError (decode) or None (peek_version).

Also the JOSE header rules next-auth applies through jose: unknown parameters are ignored,
``crit`` and ``zip`` are refused, a ``kid`` that is not a string matches no Auth.js key,
``iss``/``sub``/``aud`` in the header must equal the claims, and one leading BOM is dropped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from asgi_withauth import WithAuth, get_server_session, get_token, jwt
from asgi_withauth._codec import compact, keys
from asgi_withauth.jwt import (
    DecryptionError,
    InvalidClaimsError,
    JWTError,
    MalformedTokenError,
    TokenCodec,
    UnsupportedAlgorithmError,
)
from tests.asgi import http_scope, run
from tests.handmade_jwe import KID, b64, seal

SECRET = "hostile-token-secret"
V5_SALT = "authjs.session-token"
TAIL = "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"
"""Four segments that complete a token whose header is all that gets read."""

FORMATS = [(4, "A256GCM"), (5, "A256CBC-HS512"), (5, "A256GCM")]
FORMAT_IDS = ["v4", "v5", "v5-gcm"]


def salt_for(version: int) -> str:
    return "" if version == 4 else V5_SALT


def base_header(version: int, enc: str) -> dict[str, Any]:
    return {"alg": "dir", "enc": enc, **({"kid": KID} if version == 5 else {})}


def sealed(version: int, enc: str, plaintext: bytes = b'{"sub":"1"}', **extra: Any) -> str:
    """A token for ``version``/``enc`` with extra header parameters (None values are kept)."""
    header = {**base_header(version, enc), **extra}
    return seal(header, plaintext, secret=SECRET, salt=salt_for(version), version=version, enc=enc)  # type: ignore[arg-type]


def ours(token: Any, version: int | None, *, salt: str | None = None) -> dict[str, Any]:
    """Our decode; the salt is the format's unless given (pass it with version=None)."""
    salt = salt_for(version or 4) if salt is None else salt
    return jwt.decode(token, SECRET, salt=salt, version=version)  # type: ignore[arg-type]


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


@contextlib.contextmanager
def recursion_headroom(frames: int) -> Iterator[None]:
    """Run the block with only ``frames`` frames of recursion left (as deep in a framework)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


# ---------------------------------------------------------------- the reported cookie

REPORTED = b64(b"[" * 1000) + TAIL  # the 1.4 KB cookie of the security issue


def test_the_reported_nested_header_is_a_jwt_error_not_a_recursion_error() -> None:
    assert 1300 < len(REPORTED) < 1500
    with pytest.raises(MalformedTokenError):
        jwt.decode(REPORTED, SECRET)
    with pytest.raises(MalformedTokenError):
        TokenCodec(SECRET, version=5).decode(REPORTED)
    assert jwt.peek_version(REPORTED) is None


@pytest.mark.anyio
async def test_the_reported_cookie_means_no_token_and_no_session() -> None:
    for name in ("next-auth.session-token", "authjs.session-token"):
        headers = [(b"host", b"testserver"), (b"cookie", f"{name}={REPORTED}".encode())]
        scope = {"type": "http", "scheme": "http", "path": "/", "headers": headers, "query_string": b""}
        assert await get_token(scope, secret=SECRET) is None
        assert await get_server_session(scope, secret=SECRET) is None


@pytest.mark.anyio
async def test_withauth_denies_the_reported_cookie_quietly(caplog: pytest.LogCaptureFixture) -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a request with a hostile cookie reached the app")

    app = WithAuth(inner, secret=SECRET)
    scope = http_scope("http://testserver/admin", headers={"cookie": f"next-auth.session-token={REPORTED}"})
    sent = await run(app, scope)
    assert sent.status == 307  # to the sign-in page, like any bad token
    assert sent.headers["location"].startswith("http://testserver/api/auth/signin?callbackUrl=")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback per request


@pytest.mark.parametrize(
    "text",
    [
        b"[" * 700,
        b"{" * 700,
        b'{"alg":"dir","enc":"A256GCM","x":' + b"[" * 300,
        b'{"alg":"dir","enc":"A256GCM","x":' + b"[" * 300 + b"]" * 300 + b"}",
        b'{"alg":"dir","enc":"A256GCM","x":' + b'{"a":' * 100 + b"1" + b"}" * 101,
        b'{"alg":"dir","enc":"A256GCM","x":' + b"[{" * 150,
    ],
    ids=["open-brackets", "open-braces", "unclosed", "balanced", "objects", "mixed"],
)
def test_deep_headers_are_refused_without_recursion(text: bytes) -> None:
    token = b64(text) + TAIL
    assert len(token.split(".")[0]) <= 1024  # refused for depth, not for length
    with recursion_headroom(60):
        with pytest.raises(MalformedTokenError):
            jwt.decode(token, SECRET)
        assert jwt.peek_version(token) is None


@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_header_depth_limit_is_sixteen(version: int, enc: str) -> None:
    def nested(levels: int) -> Any:
        value: Any = 1
        for _ in range(levels):
            value = [value]
        return value

    assert ours(sealed(version, enc, x=nested(15)), version) == {"sub": "1"}  # 16 with the header object
    with pytest.raises(MalformedTokenError, match="deeper"):
        ours(sealed(version, enc, x=nested(16)), version)


def test_brackets_inside_header_strings_do_not_count_as_nesting() -> None:
    tricky = '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{ \\\\'
    assert ours(sealed(4, "A256GCM", x=tricky, y=["]]]]", "[[[["]), 4) == {"sub": "1"}


def test_headers_over_1024_characters_are_refused_unparsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(segment: str) -> Any:
        raise AssertionError("an oversized header reached the parser")

    monkeypatch.setattr(compact, "_header_json", never)
    compact._HEADERS.clear()
    header = b64(json.dumps({"alg": "dir", "enc": "A256GCM", "pad": "x" * 800}).encode())
    assert len(header) > 1024
    with pytest.raises(MalformedTokenError, match="longer"):
        jwt.decode(header + TAIL, SECRET)
    assert jwt.peek_version(header + TAIL) is None
    assert jwt.peek_version(header) is None  # no dot at all
    assert jwt.peek_version("A" * 10_000_000) is None


def test_a_header_of_exactly_1024_characters_is_read() -> None:
    def token(pad: int) -> str:
        return sealed(4, "A256GCM", pad="x" * pad)

    pad = next(n for n in range(700, 800) if len(token(n).split(".")[0]) == 1024)
    assert ours(token(pad), 4) == {"sub": "1"}
    with pytest.raises(MalformedTokenError):
        ours(token(pad + 1), 4)


# ---------------------------------------------------------------- numbers and text


def test_integers_over_the_conversion_limit_are_jwt_errors() -> None:
    header = b'{"alg":"dir","enc":"A256GCM","n":' + b"9" * 700 + b"}"
    token = seal(header, b'{"sub":"1","n":' + b"9" * 700 + b"}", secret=SECRET)
    assert ours(token, 4)["n"] == int("9" * 700)  # within the default limit (4300 digits)
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)  # the lowest limit Python allows
    try:
        compact._HEADERS.clear()
        with pytest.raises(MalformedTokenError):
            ours(token, 4)  # the header's 700 digits are now too many
        assert jwt.peek_version(token) is None
    finally:
        sys.set_int_max_str_digits(previous)
        compact._HEADERS.clear()


@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_a_claim_with_5000_digits_is_invalid_claims(version: int, enc: str) -> None:
    with pytest.raises(InvalidClaimsError):
        ours(sealed(version, enc, b'{"sub":"1","n":' + b"9" * 5000 + b"}"), version)


@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_invalid_utf8_is_refused_in_header_and_payload(version: int, enc: str) -> None:
    header = json.dumps(base_header(version, enc)).encode()[:-1] + b',"x":"\xff"}'
    key_args = {"secret": SECRET, "salt": salt_for(version), "version": version, "enc": enc}
    with pytest.raises(MalformedTokenError):
        ours(seal(header, b'{"sub":"1"}', **key_args), version)  # type: ignore[arg-type]
    with pytest.raises(InvalidClaimsError):
        ours(sealed(version, enc, b'{"sub":"\xff"}'), version)
    with pytest.raises(InvalidClaimsError):
        ours(sealed(version, enc, b'{"sub":"\xed\xa0\x80"}'), version)  # an encoded surrogate


# ---------------------------------------------------------------- nested claims (a key holder)


DEEP_PAYLOADS = {
    "balanced-5000": b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
    "open-20000": b'{"a":' + b"[" * 20_000,
    "objects-3000": b'{"a":' * 3000 + b"1" + b"}" * 3000,
}


@pytest.mark.parametrize("payload", DEEP_PAYLOADS.values(), ids=DEEP_PAYLOADS.keys())
@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_deeply_nested_claims_are_invalid_claims(version: int, enc: str, payload: bytes) -> None:
    with pytest.raises(InvalidClaimsError, match="deep"):
        ours(sealed(version, enc, payload), version)


def test_nested_claims_deep_in_a_call_stack_are_invalid_claims_not_recursion_errors() -> None:
    token = sealed(4, "A256GCM", b'{"a":' + b"[" * 100 + b"]" * 100 + b"}")
    assert ours(token, 4)["a"] is not None  # fine with room to spare
    with recursion_headroom(60), pytest.raises(InvalidClaimsError):
        ours(token, 4)


@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_claims_nested_200_deep_are_read(version: int, enc: str) -> None:
    claims = ours(sealed(version, enc, b'{"a":' + b"[" * 200 + b"]" * 200 + b"}"), version)
    depth, value = 0, claims["a"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 199


# ---------------------------------------------------------------- BOM


@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_one_leading_bom_is_dropped_like_textdecoder(version: int, enc: str) -> None:
    bom = b"\xef\xbb\xbf"
    assert ours(sealed(version, enc, bom + b'{"sub":"1"}'), version) == {"sub": "1"}
    for payload in (bom + bom + b'{"sub":"1"}', b" " + bom + b'{"sub":"1"}', b'{"sub":"1"}' + bom):
        with pytest.raises(InvalidClaimsError):
            ours(sealed(version, enc, payload), version)
    header = bom + json.dumps(base_header(version, enc)).encode()
    key_args = {"secret": SECRET, "salt": salt_for(version), "version": version, "enc": enc}
    assert ours(seal(header, b'{"sub":"1"}', **key_args), version) == {"sub": "1"}  # type: ignore[arg-type]
    with pytest.raises(MalformedTokenError):
        ours(seal(bom + header, b'{"sub":"1"}', **key_args), version)  # type: ignore[arg-type]


# ---------------------------------------------------------------- header parameters


IGNORED = [
    {"typ": "JWT"},
    {"cty": "JWT"},
    {"x": [1, {"a": None}]},
    {"epk": {"kty": "EC", "crv": "P-256"}},
    {"jku": "https://example.com", "p2c": 5, "p2s": "AAAA", "apu": "", "iv": 1, "tag": None},
    {"b64": False},
    {"exp": 1},
]


@pytest.mark.parametrize("extra", IGNORED, ids=lambda e: "+".join(e))
@pytest.mark.parametrize(("version", "enc"), FORMATS, ids=FORMAT_IDS)
def test_unknown_header_parameters_are_ignored(version: int, enc: str, extra: dict[str, Any]) -> None:
    token = sealed(version, enc, **extra)
    assert ours(token, version) == {"sub": "1"}
    assert ours(token, None, salt=salt_for(version)) == {"sub": "1"}


@pytest.mark.parametrize("kid", ["not-a-thumbprint", None, 7, 1.5, True, ["x"], {"k": "v"}, ""])
def test_next_auth_v4_ignores_any_kid(kid: Any) -> None:
    token = seal({"alg": "dir", "enc": "A256GCM", "kid": kid}, b'{"sub":"1"}', secret=SECRET)
    assert ours(token, 4) == {"sub": "1"}
    assert ours(token, None) == {"sub": "1"}


@pytest.mark.parametrize("kid", [None, 7, True, [KID], {"kid": KID}])
@pytest.mark.parametrize("enc", ["A256CBC-HS512", "A256GCM"])
def test_authjs_refuses_a_kid_that_is_not_a_string(kid: Any, enc: str) -> None:
    token = sealed(5, enc, kid=kid)
    with pytest.raises(MalformedTokenError, match="kid"):
        ours(token, 5)
    with pytest.raises(JWTError):
        ours(token, None, salt=V5_SALT)  # a v4 key does not open a v5 token either
    assert jwt.peek_version(token) == (None if enc == "A256CBC-HS512" else 4)


@pytest.mark.parametrize("crit", [["x"], ["exp"], ["kid"], [], None, "x", [""], [1]])
def test_any_crit_is_refused_before_a_key_is_used(crit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    token = sealed(4, "A256GCM", crit=crit, x=1)

    def no_keys(*args: Any) -> None:
        raise AssertionError("a key was derived for a token that should be refused first")

    codec = TokenCodec("never-used-secret")
    monkeypatch.setattr(keys.Key, "make", no_keys)
    with pytest.raises(MalformedTokenError, match="crit"):
        codec.decode(token)
    assert jwt.peek_version(token) is None


@pytest.mark.parametrize("zip_value", ["DEF", None, "", "GZIP"])
def test_any_zip_is_refused(zip_value: Any) -> None:
    with pytest.raises(UnsupportedAlgorithmError, match="zip"):
        ours(sealed(4, "A256GCM", zip=zip_value), 4)


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"dir","enc":"A256GCM","enc":"A256GCM"}',
        b'{"alg":"dir","enc":"A256GCM","typ":"JWT","typ":"JWT"}',
        b'{"alg":"dir","enc":"A256GCM","x":{"a":1,"a":1}}',
    ],
)
def test_duplicate_header_members_are_refused(header: bytes) -> None:
    with pytest.raises(MalformedTokenError):
        ours(seal(header, b'{"sub":"1"}', secret=SECRET), 4)


@pytest.mark.parametrize(
    ("header", "alg"),
    [
        ({"alg": "dir", "enc": "A128GCM"}, "enc"),
        ({"alg": "A256KW", "enc": "A256GCM"}, "alg"),
        ({"enc": "A256GCM"}, "alg"),
        ({"alg": "dir", "enc": []}, "enc"),  # unhashable: once a TypeError
        ({"alg": "dir", "enc": {"A256GCM": 1}}, "enc"),
        ({"alg": ["dir"], "enc": "A256GCM"}, "alg"),
    ],
)
def test_other_algorithms_stay_refused_with_extra_parameters(header: dict[str, Any], alg: str) -> None:
    token = b64(json.dumps({**header, "typ": "JWT"}).encode()) + TAIL
    with pytest.raises(UnsupportedAlgorithmError, match=alg):
        jwt.decode(token, SECRET)


REPLICATED = [
    ({"sub": "1"}, b'{"sub":"1"}', True),
    ({"sub": "2"}, b'{"sub":"1"}', False),
    ({"sub": 1}, b'{"sub":"1"}', False),
    ({"sub": 1}, b'{"sub":1.0}', True),
    ({"sub": None}, b'{"sub":null}', True),
    ({"sub": None}, b"{}", False),
    ({"sub": {}}, b'{"sub":{}}', False),
    ({"sub": True}, b'{"sub":1}', False),
    ({"iss": "https://a"}, b'{"iss":"https://a"}', True),
    ({"iss": "https://a"}, b'{"iss":"https://b"}', False),
    ({"aud": "x"}, b'{"aud":"x"}', True),
    ({"aud": ["x", "y"]}, b'{"aud":["x","y"]}', True),
    ({"aud": ["x", "y"]}, b'{"aud":["y","x"]}', False),
    ({"aud": {"a": 1, "b": [2]}}, b'{"aud":{"a":1,"b":[2.0]}}', True),
    ({"aud": {"a": 1, "b": 2}}, b'{"aud":{"b":2,"a":1}}', False),
    ({"aud": {"b": 1, "2": 2, "10": 3}}, b'{"aud":{"10":3,"b":1,"2":2}}', True),
    ({"aud": None}, b'{"aud":1e400}', True),
    ({"aud": 1}, b'{"aud":true}', False),
    ({"aud": "x"}, b"{}", False),
]


@pytest.mark.parametrize(("extra", "payload", "accepted"), REPLICATED, ids=lambda c: repr(c))
@pytest.mark.parametrize(("version", "enc"), FORMATS[:2], ids=FORMAT_IDS[:2])
def test_replicated_claims_in_the_header_must_match(
    version: int, enc: str, extra: dict[str, Any], payload: bytes, accepted: bool
) -> None:
    token = sealed(version, enc, payload, **extra)
    if accepted:
        assert ours(token, version) == json.loads(payload)
    else:
        with pytest.raises(InvalidClaimsError, match="does not match"):
            ours(token, version)


# ---------------------------------------------------------------- caches


def test_header_cache_is_bounded_and_keeps_serving_honest_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = jwt.encode({"sub": "1"}, SECRET)
    compact._HEADERS.clear()
    for i in range(2000):  # attacker-chosen headers that parse fine
        assert jwt.peek_version(b64(json.dumps({"alg": "dir", "enc": "A256GCM", "n": i}).encode())) == 4
    assert len(compact._HEADERS) <= 128
    assert compact._HEADERS.maxsize == 128
    parsed: list[str] = []
    real = compact._header_json

    def counting(segment: str) -> dict[str, Any]:
        parsed.append(segment)
        return real(segment)

    monkeypatch.setattr(compact, "_header_json", counting)
    for _ in range(3):
        assert ours(honest, 4)["sub"] == "1"
    assert len(parsed) == 1  # evicted junk, cached the honest header again


def test_plan_memo_ignores_unknown_kids() -> None:
    codec = TokenCodec(SECRET, salt=V5_SALT)
    honest = codec.encode({"sub": "1"}, version=5)
    for i in range(300):
        token = seal(
            {"alg": "dir", "enc": "A256CBC-HS512", "kid": f"kid-{i}"},
            b"{}",
            secret=SECRET,
            salt=V5_SALT,
            version=5,
            enc="A256CBC-HS512",
        )
        with pytest.raises(DecryptionError):
            codec.decode(token)
    assert len(codec._plans) <= 2
    assert codec.decode(honest)["sub"] == "1"
    assert codec._plans.get(compact.parse_header(honest.split(".")[0]).plan_key) is not None


# ---------------------------------------------------------------- peek_version


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"alg": "dir", "enc": "A256GCM"}, 4),
        ({"alg": "dir", "enc": "A256GCM", "kid": 7}, 4),
        ({"alg": "dir", "enc": "A256GCM", "kid": "k"}, 5),
        ({"alg": "dir", "enc": "A256CBC-HS512"}, 5),
        ({"alg": "dir", "enc": "A256CBC-HS512", "kid": "k", "typ": "JWT"}, 5),
        ({"alg": "dir", "enc": "A256CBC-HS512", "kid": None}, None),
        ({"alg": "dir", "enc": "A256GCM", "crit": ["b64"]}, None),
        ({"alg": "dir", "enc": "A128GCM"}, None),
    ],
)
def test_peek_version(header: dict[str, Any], expected: int | None) -> None:
    segment = b64(json.dumps(header).encode())
    assert jwt.peek_version(segment + TAIL) == expected
    assert jwt.peek_version(segment) == expected


@pytest.mark.parametrize("token", [None, 5, b"eyJhbGciOiJkaXIifQ..", ["x"], "", ".", "é.é", "\x00"])
def test_peek_version_of_anything_else_is_none(token: Any) -> None:
    assert jwt.peek_version(token) is None
