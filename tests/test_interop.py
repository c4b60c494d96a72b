"""Against the real next-auth: committed fixtures always, the live packages when Node is here.

Fixtures come from ``npm run fixtures --prefix interop``; the live tests talk to
``interop/bridge.mjs`` (next-auth 4.24.15 and 5.0.0-beta.32).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asgi_withauth import get_token, jwt
from asgi_withauth._request.cookies import chunk_session_cookie, clear_session_cookie
from tests.asgi import http_scope
from tests.handmade_jwe import KID, seal
from tests.nodebridge import NodeBridge, NodeBridgeError
from tests.reference import reference_decode

FIXTURES = Path(__file__).parent / "fixtures"
CASES = json.loads((FIXTURES / "nextauth_tokens.json").read_text())["cases"]
KEYS = json.loads((FIXTURES / "nextauth_keys.json").read_text())["keys"]
EXPECTED_ERRORS = {
    "expired": jwt.ExpiredTokenError,
    "not_yet_valid": jwt.NotYetValidError,
    "wrong_secret": jwt.DecryptionError,
}
CLAIMS = {"name": "Ada Lovelace", "email": "ada@example.com", "picture": "https://example.com/a.png", "sub": "u1"}
UNICODE = {"name": "Zoë 🦊 \u2028", "nested": {"list": [1, 2.5, None, True, {"k": "v"}]}, "empty": {}}


def case_token(case: dict[str, Any]) -> str:
    if "token" in case:
        return str(case["token"])
    cookies = case["cookies"]
    return "".join(cookies[f"{case['cookie_name']}.{i}"] for i in range(len(cookies)))


# ----------------------------------------------------------------- committed fixtures


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_fixture_tokens_decode_as_next_auth_says(case: dict[str, Any]) -> None:
    token = case_token(case)
    decode = case["decode_secret"]
    if case["expect"] == "ok":
        claims = jwt.decode(token, decode, salt=case["salt"], version=case["version"])
        assert claims == case["claims"]
        assert jwt.decode(token, decode, salt=case["salt"]) == case["claims"]  # format detected
        if isinstance(decode, str):
            assert reference_decode(token, decode, salt=case["salt"], version=case["version"]) == claims
    else:
        with pytest.raises(EXPECTED_ERRORS[case["expect"]]):
            jwt.decode(token, decode, salt=case["salt"], version=case["version"])


@pytest.mark.anyio
@pytest.mark.parametrize("case", [c for c in CASES if c["expect"] == "ok"], ids=lambda c: c["id"])
async def test_fixture_cookies_read_by_get_token(case: dict[str, Any]) -> None:
    cookies = case.get("cookies") or {case["cookie_name"]: case["token"]}
    secure = case["cookie_name"].startswith("__Secure-")
    scope = http_scope(f"{'https' if secure else 'http'}://testserver/", cookies=dict(reversed(list(cookies.items()))))
    salt = case["salt"] if case["salt"] not in ("", case["cookie_name"]) else None
    token = await get_token(scope, secret=case["decode_secret"], salt=salt, version=case["version"])
    assert token == case["claims"]


@pytest.mark.parametrize("entry", KEYS, ids=lambda k: f"v{k['version']}-{k['enc']}-{k['salt'] or 'nosalt'}")
def test_derived_keys_and_kids_match_next_auth(entry: dict[str, Any]) -> None:
    key = jwt.derive_key(entry["secret"], salt=entry["salt"], version=entry["version"], enc=entry["enc"])
    assert key.hex() == entry["key_hex"]
    if entry["kid"] is not None:
        assert jwt.key_id(key) == entry["kid"]


# ----------------------------------------------------------------- live packages


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("claims", [CLAIMS, UNICODE, {"blob": "z" * 12_000}], ids=["session", "unicode", "12kb"])
def test_their_tokens_decode_in_ours(nextauth_bridge: NodeBridge, version: int, claims: dict[str, Any]) -> None:
    salt = "" if version == 4 else "authjs.session-token"
    token = nextauth_bridge.call("encode", version=version, token=claims, secret="live-secret", salt=salt)
    ours = jwt.decode(token, "live-secret", salt=salt)
    theirs = nextauth_bridge.call("decode", version=version, token=token, secret="live-secret", salt=salt)
    assert ours == theirs
    assert {k: ours[k] for k in claims} == claims


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("claims", [CLAIMS, UNICODE, {"blob": "z" * 12_000}], ids=["session", "unicode", "12kb"])
def test_our_tokens_decode_in_theirs(nextauth_bridge: NodeBridge, version: jwt.Version, claims: dict[str, Any]) -> None:
    salt = "" if version == 4 else "__Secure-authjs.session-token"
    token = jwt.encode({**claims, "nbf": 100}, "live-secret", salt=salt, version=version, max_age=3600)
    theirs = nextauth_bridge.call("decode", version=version, token=token, secret="live-secret", salt=salt)
    assert theirs == jwt.decode(token, "live-secret", salt=salt)
    assert theirs["exp"] - theirs["iat"] == 3600


def test_our_rotated_v5_tokens_decode_in_theirs(nextauth_bridge: NodeBridge) -> None:
    salt = "authjs.session-token"
    token = jwt.encode(CLAIMS, ["new", "old"], salt=salt, version=5)
    assert nextauth_bridge.call("decode", version=5, token=token, secret=["old", "new"], salt=salt)["sub"] == "u1"


@pytest.mark.parametrize("version", [4, 5])
def test_both_reject_tampering_wrong_secret_and_expiry(nextauth_bridge: NodeBridge, version: jwt.Version) -> None:
    salt = "" if version == 4 else "authjs.session-token"
    token = jwt.encode(CLAIMS, "live-secret", salt=salt, version=version)
    expired = jwt.encode(CLAIMS, "live-secret", salt=salt, version=version, max_age=-60)
    parts = token.split(".")
    tampered = ".".join([*parts[:3], ("A" if parts[3][0] != "A" else "B") + parts[3][1:], parts[4]])
    for bad, secret in ((tampered, "live-secret"), (token, "other-secret"), (expired, "live-secret")):
        with pytest.raises(NodeBridgeError):
            nextauth_bridge.call("decode", version=version, token=bad, secret=secret, salt=salt)
        with pytest.raises(jwt.JWTError):
            jwt.decode(bad, secret, salt=salt)


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("length", [10, 3933, 3934, 3936, 3937, 12_000])
@pytest.mark.parametrize(
    "existing",
    [[], ["{n}"], ["{n}.0", "{n}.1", "{n}.2"], ["{n}.0", "other", "{n}"]],
    ids=["none", "plain", "3", "mixed"],
)
def test_chunk_writes_match_session_store(
    nextauth_bridge: NodeBridge, version: jwt.Version, length: int, existing: list[str]
) -> None:
    name = "next-auth.session-token" if version == 4 else "authjs.session-token"
    names = [e.format(n=name) for e in existing]
    value = ("abcdefghij" * (length // 10 + 1))[:length]
    theirs = nextauth_bridge.call("chunk", version=version, name=name, value=value, existing=dict.fromkeys(names, "x"))
    ours = chunk_session_cookie(name, value, existing=names, version=version)
    assert [(w.name, w.value, w.clear) for w in ours] == [
        (c["name"], c["value"], c["options"].get("maxAge") == 0) for c in theirs
    ]


@pytest.mark.parametrize("version", [4, 5])
def test_clean_matches_session_store(nextauth_bridge: NodeBridge, version: int) -> None:
    name = "next-auth.session-token" if version == 4 else "authjs.session-token"
    existing = [f"{name}.0", "unrelated", name, f"{name}.1"]
    theirs = nextauth_bridge.call("clean", version=version, name=name, existing=dict.fromkeys(existing, "x"))
    assert [w.name for w in clear_session_cookie(name, existing=existing)] == [c["name"] for c in theirs]


@pytest.mark.anyio
@pytest.mark.parametrize("version", [4, 5])
async def test_their_chunked_cookies_are_read_by_our_get_token(nextauth_bridge: NodeBridge, version: int) -> None:
    name = "next-auth.session-token" if version == 4 else "authjs.session-token"
    salt = "" if version == 4 else name
    token = nextauth_bridge.call(
        "encode", version=version, token={**CLAIMS, "blob": "q" * 9000}, secret="live-secret", salt=salt
    )
    chunks = nextauth_bridge.call("chunk", version=version, name=name, value=token)
    assert len(chunks) >= 3
    cookies = {c["name"]: c["value"] for c in chunks}
    ours = await get_token(http_scope(cookies=cookies), secret="live-secret")
    theirs = nextauth_bridge.call("getToken", version=version, cookies=cookies, headers={}, secret="live-secret")
    assert ours == theirs
    assert ours is not None
    assert ours["blob"] == "q" * 9000


GET_TOKEN_CASES: list[tuple[str, Any, dict[str, str]]] = [
    ("plain cookie", lambda t: {"{n}": t}, {}),
    ("bearer", lambda t: {}, {"authorization": "Bearer {t}"}),
    ("bearer percent-encoded", lambda t: {}, {"authorization": "Bearer {pct}"}),
    ("bearer malformed percent", lambda t: {}, {"authorization": "Bearer %E0%A4%A"}),
    ("bearer lowercase scheme", lambda t: {}, {"authorization": "bearer {t}"}),
    ("cookie beats bearer", lambda t: {"{n}": t}, {"authorization": "Bearer junk"}),
    ("empty cookie falls back", lambda t: {"{n}": ""}, {"authorization": "Bearer {t}"}),
    ("garbage cookie", lambda t: {"{n}": "garbage"}, {}),
    ("nothing", lambda t: {}, {}),
]


@pytest.mark.anyio
@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize(("label", "cookies", "headers"), GET_TOKEN_CASES, ids=[c[0] for c in GET_TOKEN_CASES])
async def test_get_token_agrees_with_next_auth(
    nextauth_bridge: NodeBridge, version: int, label: str, cookies: Any, headers: dict[str, str]
) -> None:
    name = "next-auth.session-token" if version == 4 else "authjs.session-token"
    token = nextauth_bridge.call(
        "encode", version=version, token=CLAIMS, secret="live-secret", salt="" if version == 4 else name
    )
    jar = {k.format(n=name): v for k, v in cookies(token).items()}
    hdrs = {k: v.format(t=token, pct=token.replace(".", "%2E")) for k, v in headers.items()}
    theirs = nextauth_bridge.call("getToken", version=version, cookies=jar, headers=hdrs, secret="live-secret")
    scope = http_scope(headers=hdrs, cookies=jar or None)  # no Cookie header at all for an empty jar
    ours = await get_token(scope, secret="live-secret", version=4 if version == 4 else 5)
    assert ours == theirs, label


# ----------------------------------------------------------------- hand-built tokens
# Headers and payloads next-auth never writes itself, sealed here with the derived key and
# decoded by the real next-auth v4 / Auth.js v5 `decode` (op decodeOutcome) and by ours.

HeaderBuilder = Callable[[dict[str, Any]], bytes]
BOM = b"\xef\xbb\xbf"


def with_params(**extra: Any) -> HeaderBuilder:
    return lambda base: json.dumps({**base, **extra}).encode()


def spliced(suffix: bytes) -> HeaderBuilder:
    """The base header with raw JSON text inserted before its closing brace."""
    return lambda base: json.dumps(base).encode()[:-1] + suffix + b"}"


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def as_json_stringify_sees_it(value: Any) -> Any:
    """``value`` with non-finite numbers as null, as the bridge's JSON.stringify writes them."""
    if isinstance(value, dict):
        return {k: as_json_stringify_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_stringify_sees_it(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


SUB = b'{"sub":"1"}'
# (id, header, payload, accepted: one bool for every format, or None when they differ by format)
AGREED: list[tuple[str, HeaderBuilder, bytes, bool | None]] = [
    ("plain", with_params(), SUB, True),
    ("payload-bom", with_params(), BOM + SUB, True),
    ("payload-two-boms", with_params(), BOM + BOM + SUB, False),
    ("payload-bom-after-space", with_params(), b" " + BOM + SUB, False),
    ("header-bom", lambda base: BOM + json.dumps(base).encode(), SUB, True),
    ("typ", with_params(typ="JWT"), SUB, True),
    ("cty", with_params(cty="JWT"), SUB, True),
    ("nested-param", with_params(x=[1, {"a": None, "b": [True]}]), SUB, True),
    ("header-depth-16", with_params(x=nested(15)), SUB, True),
    ("epk", with_params(epk={"kty": "EC", "crv": "P-256"}), SUB, True),
    ("jku-p2c-p2s", with_params(jku="https://example.com", p2c=5, p2s="AAAA"), SUB, True),
    ("b64", with_params(b64=False), SUB, True),
    ("exp-param", with_params(exp=1), SUB, True),
    ("kid-unknown", with_params(kid="not-a-thumbprint"), SUB, None),
    ("kid-null", with_params(kid=None), SUB, None),
    ("kid-number", with_params(kid=7), SUB, None),
    ("kid-list", with_params(kid=[KID]), SUB, None),
    ("kid-object", with_params(kid={"kid": KID}), SUB, None),
    ("kid-true", with_params(kid=True), SUB, None),
    ("crit-x", with_params(crit=["x"], x=1), SUB, False),
    ("crit-exp", with_params(crit=["exp"]), SUB, False),
    ("crit-b64", with_params(crit=["b64"], b64=True), SUB, False),
    ("crit-empty", with_params(crit=[]), SUB, False),
    ("crit-null", with_params(crit=None), SUB, False),
    ("crit-string", with_params(crit="x"), SUB, False),
    ("zip-null", with_params(zip=None), SUB, False),
    ("zip-def-uncompressed", with_params(zip="DEF"), SUB, False),
    ("alg-a256kw", with_params(alg="A256KW"), SUB, False),
    ("sub-match", with_params(sub="1"), SUB, True),
    ("sub-mismatch", with_params(sub="2"), SUB, False),
    ("sub-number-vs-string", with_params(sub=1), SUB, False),
    ("sub-1-vs-1.0", with_params(sub=1), b'{"sub":1.0}', True),
    ("sub-null", with_params(sub=None), b'{"sub":null}', True),
    ("sub-null-missing", with_params(sub=None), b"{}", False),
    ("sub-object", with_params(sub={}), b'{"sub":{}}', False),
    ("iss-match", with_params(iss="https://a"), b'{"iss":"https://a"}', True),
    ("iss-mismatch", with_params(iss="https://a"), b'{"iss":"https://b"}', False),
    ("aud-list", with_params(aud=["x", "y"]), b'{"aud":["x","y"]}', True),
    ("aud-list-order", with_params(aud=["x", "y"]), b'{"aud":["y","x"]}', False),
    ("aud-object-js-key-order", with_params(aud={"b": 1, "2": 2, "10": 3}), b'{"aud":{"10":3,"b":1,"2":2}}', True),
    ("aud-object-order", with_params(aud={"a": 1, "b": 2}), b'{"aud":{"b":2,"a":1}}', False),
    ("aud-null-vs-infinity", with_params(aud=None), b'{"aud":1e400}', True),
    ("aud-missing", with_params(aud="x"), b"{}", False),
    ("claims-200-deep", with_params(), b'{"a":' + b"[" * 200 + b"]" * 200 + b"}", True),
    ("payload-array", with_params(), b"[1]", False),
    ("payload-empty", with_params(), b"", False),
]
# What we refuse and next-auth accepts (README "Where we are stricter"); v5 rejects invalid UTF-8 too.
STRICTER: list[tuple[str, HeaderBuilder, bytes, tuple[int, ...]]] = [
    ("duplicate-member", spliced(b',"x":1,"x":2'), SUB, (4, 5)),
    ("header-depth-17", with_params(x=nested(16)), SUB, (4, 5)),
    ("header-over-1024", with_params(pad="x" * 800), SUB, (4, 5)),
    ("claims-5000-deep", with_params(), b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", (4, 5)),
    ("claims-5000-digits", with_params(), b'{"sub":"1","n":' + b"9" * 5000 + b"}", (4, 5)),
    ("payload-invalid-utf8", with_params(), b'{"sub":"\xff"}', (4,)),
    ("header-invalid-utf8", spliced(b',"x":"\xff"'), SUB, (4,)),
]
CODEC_FORMATS = [(4, "A256GCM"), (5, "A256CBC-HS512"), (5, "A256GCM")]


def _outcomes(
    bridge: NodeBridge, header: HeaderBuilder, payload: bytes, version: int, enc: str
) -> tuple[dict[str, Any], Any]:
    """(their decodeOutcome, our claims or JWTError) for one hand-built token."""
    salt = "" if version == 4 else "authjs.session-token"
    base = {"alg": "dir", "enc": enc, **({"kid": KID} if version == 5 else {})}
    token = seal(header(base), payload, secret="live-secret", salt=salt, version=version, enc=enc)  # type: ignore[arg-type]
    theirs = bridge.call("decodeOutcome", version=version, token=token, secret="live-secret", salt=salt)
    try:
        ours: Any = jwt.decode(token, "live-secret", salt=salt, version=version)  # type: ignore[arg-type]
    except jwt.JWTError as exc:
        ours = exc
    return theirs, ours


@pytest.mark.parametrize(("version", "enc"), CODEC_FORMATS, ids=["v4", "v5", "v5-gcm"])
@pytest.mark.parametrize(("label", "header", "payload", "accepted"), AGREED, ids=[c[0] for c in AGREED])
def test_hand_built_tokens_get_next_auths_verdict(
    nextauth_bridge: NodeBridge,
    version: int,
    enc: str,
    label: str,
    header: HeaderBuilder,
    payload: bytes,
    accepted: bool | None,
) -> None:
    theirs, ours = _outcomes(nextauth_bridge, header, payload, version, enc)
    if accepted is not None:
        assert theirs["accepted"] is accepted, theirs
    if theirs["accepted"]:
        assert not isinstance(ours, Exception), f"next-auth accepts, we refuse: {ours!r}"
        assert as_json_stringify_sees_it(ours) == json.loads(theirs["claims_json"])
    else:
        assert isinstance(ours, jwt.JWTError), f"next-auth refuses ({theirs['error']}), we accept"


def test_kid_verdicts_differ_by_format_as_documented(nextauth_bridge: NodeBridge) -> None:
    # next-auth v4 ignores any kid; Auth.js matches it against thumbprints, so a kid that is not
    # a string, or not ours, opens nothing.
    for label, header, payload, accepted in AGREED:
        if accepted is None:
            for version, enc in CODEC_FORMATS:
                theirs, _ = _outcomes(nextauth_bridge, header, payload, version, enc)
                assert theirs["accepted"] is (version == 4), (label, version, enc)


@pytest.mark.parametrize(("label", "header", "payload", "versions"), STRICTER, ids=[c[0] for c in STRICTER])
def test_where_we_are_stricter_than_next_auth(
    nextauth_bridge: NodeBridge, label: str, header: HeaderBuilder, payload: bytes, versions: tuple[int, ...]
) -> None:
    for version, enc in CODEC_FORMATS[:2]:
        theirs, ours = _outcomes(nextauth_bridge, header, payload, version, enc)
        assert isinstance(ours, jwt.JWTError)
        assert theirs["accepted"] is (version in versions), (label, version, theirs)
