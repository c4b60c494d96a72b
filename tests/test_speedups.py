"""The ``speed`` extra (pybase64, orjson) accepts and refuses exactly what the standard library
path does, with identical claims and identical errors.

Every test here decodes the same input twice, once with the standard library only and once
with the installed speed-ups, and compares the outcomes: the claims (by ``repr``, so key
order and int/float matter) or the exception's type and message. Without the extra both runs
take the standard library path; CI runs the suite once with the extra and once without
(``ASGI_WITHAUTH_EXPECT_SPEED=1`` marks the run that must have it).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asgi_withauth import jwt
from asgi_withauth._codec import speedups
from asgi_withauth._codec.compact import b64decode
from asgi_withauth._request.cookies import read_session_cookie
from asgi_withauth.errors import JWTError
from tests.handmade_jwe import b64, seal_with_key

SECRET = "speed-extra-secret"
SALT = {4: "", 5: "authjs.session-token"}
ENC = {4: jwt.A256GCM, 5: jwt.A256CBC_HS512}
KEYS = {version: jwt.derive_key(SECRET, salt=SALT[version], version=version) for version in (4, 5)}
HEADERS = {4: b'{"alg":"dir","enc":"A256GCM"}', 5: b'{"alg":"dir","enc":"A256CBC-HS512"}'}
CODECS = {version: jwt.TokenCodec(SECRET, salt=SALT[version], version=version) for version in (4, 5)}
FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "nextauth_tokens.json").read_text())["cases"]

Outcome = tuple[str, str]


def outcome(run: Callable[[], object]) -> Outcome:
    try:
        return ("ok", repr(run()))
    except JWTError as exc:
        return (type(exc).__name__, str(exc))


def both(run: Callable[[], object]) -> Outcome:
    """The outcome on the standard library path, after checking the speed-ups give the same."""
    with speedups.stdlib_only():
        slow = outcome(run)
    fast = outcome(run)
    assert fast == slow
    return slow


def sealed(version: jwt.Version, plaintext: bytes) -> str:
    return seal_with_key(HEADERS[version], plaintext, KEYS[version])


def decrypted(version: jwt.Version, plaintext: bytes) -> Outcome:
    token = sealed(version, plaintext)
    return both(lambda: CODECS[version].decrypt(token))


# ------------------------------------------------------------------ which path runs


def test_the_extra_is_used_when_installed() -> None:
    importable = []
    for name in ("pybase64", "orjson"):
        try:
            __import__(name)
        except ImportError:
            continue
        importable.append(name)
    assert speedups.installed() == tuple(importable)
    assert speedups.BACKEND.names == tuple(importable)
    if os.environ.get("ASGI_WITHAUTH_EXPECT_SPEED") == "1":
        assert speedups.BACKEND.names == ("pybase64", "orjson"), "this run must have the speed extra"
    with speedups.stdlib_only():
        assert speedups.BACKEND.names == ()
        assert speedups.BACKEND.claims(b'{"a":1}') is None


def test_the_fast_path_answers_for_honest_claims() -> None:
    """With the extra, orjson and pybase64 really answer for what next-auth writes (else the
    extra would be dead weight); without it, the standard library does."""
    claims = {"name": "Ada", "sub": "110169484474386276334", "iat": 1, "exp": 2, "n": 1.5, "user": {"roles": ["a"]}}
    data = json.dumps(claims).encode()
    padded = b64(b"x" * 100) + "=="
    assert speedups.BACKEND.a2b(padded) == b"x" * 100
    if "orjson" in speedups.installed():
        assert speedups.BACKEND.claims(data) == claims
    else:
        assert speedups.BACKEND.claims(data) is None
    if "pybase64" in speedups.installed():
        assert speedups.BACKEND.a2b is not speedups.stdlib_a2b
    else:
        assert speedups.BACKEND.a2b is speedups.stdlib_a2b


# ------------------------------------------------------------------ the real next-auth's tokens


@pytest.mark.parametrize("case", FIXTURES, ids=[case["id"] for case in FIXTURES])
def test_fixture_tokens_from_next_auth(case: dict[str, Any]) -> None:
    token = read_session_cookie(case["cookies"], case["cookie_name"]) if "cookies" in case else case["token"]
    assert token
    codec = jwt.TokenCodec(case["decode_secret"], salt=case["salt"], version=case["version"])
    result = both(lambda: codec.decrypt(token))
    if case["expect"] == "ok":
        assert result == ("ok", repr(case["claims"]))


# ------------------------------------------------------------------ payloads

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson reads those as floats
    | st.floats()  # NaN and Infinity too: json.dumps writes them, neither path accepts them
    | st.text()  # lone surrogates too: escaped by ensure_ascii, raw (CESU-8) otherwise
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
NUMBER = r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?"
WHITESPACE = [" ", "\t", "\n", "\r", "\x0c", "\x0b", "\x00", "\u00a0", "\u2028", "\ufeff"]


def render(value: object, *, ascii_only: bool, indent: int | None) -> bytes:
    text = json.dumps({"v": value}, ensure_ascii=ascii_only, indent=indent)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    """JSON-ish plaintexts: honest JSON, then perhaps mutated where the libraries differ."""
    data = render(draw(json_values), ascii_only=draw(st.booleans()), indent=draw(st.sampled_from([None, 0, 2])))
    mutation = draw(st.sampled_from(["none", "bom", "space", "number", "duplicate", "byte", "cut"]))
    at = draw(st.integers(0, len(data)))
    if mutation == "bom":
        data = b"\xef\xbb\xbf" * draw(st.integers(1, 2)) + data
    elif mutation == "space":
        data = data[:at] + draw(st.sampled_from(WHITESPACE)).encode() + data[at:]
    elif mutation == "number":
        data = b'{"n":' + draw(st.from_regex(NUMBER, fullmatch=True)).encode() + b"," + data[1:]
    elif mutation == "duplicate":
        data = b'{"v":' + render(draw(json_scalars), ascii_only=True, indent=None)[5:-1] + b"," + data[1:]
    elif mutation == "byte":
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif mutation == "cut":
        data = data[:at]
    return data


@pytest.mark.parametrize("version", [4, 5])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plaintext=payloads())
def test_payloads_decode_alike(version: jwt.Version, plaintext: bytes) -> None:
    decrypted(version, plaintext)


@settings(max_examples=300, deadline=None)
@given(literal=st.from_regex(NUMBER, fullmatch=True))
def test_number_literals_read_alike(literal: str) -> None:
    """Integers beyond 64 bits, doubles that overflow or underflow, long mantissas, -0."""
    result = decrypted(4, b'{"n":' + literal.encode() + b',"m":[' + literal.encode() + b"]}")
    assert result[0] == "ok"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"n":18446744073709551615}',
        b'{"n":18446744073709551616}',
        b'{"n":-9223372036854775809}',
        b'{"n":[' + b"9" * 400 + b"]}",
        b'{"n":1e400}',
        b'{"n":-1e400}',
        b'{"n":9.3e18}',
        b'{"n":NaN}',
        b'{"n":Infinity}',
        b'{"n":"\\ud800"}',
        b'{"\\udc00":1}',
        b'{"n":"\xed\xa0\x80"}',
        b'{"n":"\xc0\x80"}',
        b"\xef\xbb\xbf{}",
        b"\xef\xbb\xbf\xef\xbb\xbf{}",
        b'{"a":1,"a":2,"b":3,"a":4}',
        b'{"a":1}\x0c',
        b'{"a":"\x01"}',
        b'{"a":01}',
        b"[" * 63 + b"]" * 63,
        b'{"a":' + b"[" * 70 + b"]" * 70 + b"}",
        b'{"a":' + b"[" * 2000 + b"]" * 2000 + b"}",
        b'{"a":' + b'{"b":' * 900 + b"1" + b"}" * 901,
    ],
)
def test_where_the_libraries_differ(payload: bytes) -> None:
    decrypted(4, payload)
    decrypted(5, payload)


def test_big_integers_stay_integers() -> None:
    """orjson would read 2**64 as a float: the standard library's int must come back."""
    big = 2**64
    token = sealed(4, json.dumps({"n": big, "m": {"k": [-big]}}).encode())
    assert CODECS[4].decrypt(token) == {"n": big, "m": {"k": [-big]}}
    assert type(CODECS[4].decrypt(token)["n"]) is int


# ------------------------------------------------------------------ base64url

BASE64ISH = st.text(alphabet="AQgwBz09-_+/= .\n\t\u00e9\x00", max_size=30)


@settings(max_examples=500, deadline=None)
@given(segment=BASE64ISH | st.binary(max_size=80).map(b64))
def test_base64url_reads_alike(segment: str) -> None:
    both(lambda: b64decode(segment, "segment"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=st.sampled_from([4, 5]),
    plaintext=st.binary(min_size=1, max_size=400).map(lambda raw: json.dumps({"p": b64(raw)}).encode()),
    segment=st.integers(0, 4),
    at=st.integers(0, 1000),
    char=st.sampled_from(list("A-_+/=. \u00e9")),
)
def test_tampered_tokens_fail_alike(version: jwt.Version, plaintext: bytes, segment: int, at: int, char: str) -> None:
    parts = sealed(version, plaintext).split(".")
    assume(parts[segment] or segment == 1)
    position = at % (len(parts[segment]) + 1)
    parts[segment] = parts[segment][:position] + char + parts[segment][position + 1 :]
    token = ".".join(parts)
    both(lambda: CODECS[version].decrypt(token))


# ------------------------------------------------------------------ one CBC context, many threads


def test_cbc_decryption_shared_by_threads() -> None:
    """A256CBC-HS512 keeps one CBC context per key: threads decoding at once each get their own plaintext."""
    tokens = [(sealed(5, json.dumps({"i": i, "p": "x" * (i % 97)}).encode()), i) for i in range(400)]
    codec = jwt.TokenCodec(SECRET, salt=SALT[5], version=5)
    wrong: list[int] = []

    def work(offset: int) -> None:
        for index in range(len(tokens)):
            token, i = tokens[(index + offset) % len(tokens)]
            if codec.decrypt(token) != {"i": i, "p": "x" * (i % 97)}:
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(n * 37,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
