"""get_token: where the token is read from, how it is decoded, and every way it is absent."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket

from asgi_withauth import MissingSecretError, TokenReader, get_token
from asgi_withauth._request.cookies import chunk_session_cookie
from asgi_withauth._request.headers import bearer_token
from asgi_withauth.jwt import Version, encode
from tests.asgi import http_scope

pytestmark = pytest.mark.anyio

SECRET = "get-token-secret"
V4 = "next-auth.session-token"
V5 = "authjs.session-token"
CLAIMS = {"name": "Ada", "sub": "1"}


def scope(
    *, cookie: str | None = None, authorization: str | None = None, scheme: str = "http", kind: str = "http"
) -> dict[str, Any]:
    headers = {"cookie": cookie, "authorization": authorization}
    return http_scope(f"{scheme}://testserver/", kind=kind, headers={k: v for k, v in headers.items() if v is not None})


def v4_token(**extra: Any) -> str:
    return encode({**CLAIMS, **extra}, SECRET)


def v5_token(name: str = V5, **extra: Any) -> str:
    return encode({**CLAIMS, **extra}, SECRET, salt=name, version=5)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)


async def receive() -> dict[str, Any]:
    raise AssertionError("get_token must not read the body")


async def send(message: Any) -> None:
    raise AssertionError("get_token must not send")


async def test_reads_v4_cookie_from_scope_request_and_websocket() -> None:
    raw = scope(cookie=f"{V4}={v4_token()}")
    for conn in (
        raw,
        Request(raw),
        HTTPConnection(raw),
        WebSocket(scope(cookie=f"{V4}={v4_token()}", kind="websocket"), receive, send),
    ):
        token = await get_token(conn, secret=SECRET)
        assert token is not None
        assert token["name"] == "Ada"


async def test_reads_v5_cookie_with_its_name_as_salt() -> None:
    token = await get_token(scope(cookie=f"{V5}={v5_token()}"), secret=SECRET)
    assert token is not None
    assert token["sub"] == "1"
    assert await get_token(scope(cookie=f"{V5}={v5_token()}"), secret=SECRET, version=4) is None
    assert (await get_token(scope(cookie=f"{V5}={v5_token()}"), secret=SECRET, version=5)) is not None


async def test_https_reads_only_secure_prefixed_cookies() -> None:
    secure = f"__Secure-{V4}={v4_token(sub='secure')}"
    plain = f"{V4}={v4_token(sub='plain')}"
    assert await get_token(scope(cookie=plain, scheme="https"), secret=SECRET) is None
    token = await get_token(scope(cookie=f"{plain}; {secure}", scheme="https"), secret=SECRET)
    assert token is not None
    assert token["sub"] == "secure"


async def test_plain_http_prefers_plain_then_accepts_secure_prefixed() -> None:
    secure = f"__Secure-{V4}={v4_token(sub='secure')}"
    plain = f"{V4}={v4_token(sub='plain')}"
    assert (await get_token(scope(cookie=f"{secure}; {plain}"), secret=SECRET) or {})["sub"] == "plain"
    assert (await get_token(scope(cookie=secure), secret=SECRET) or {})["sub"] == "secure"


async def test_explicit_secure_cookie_option_wins() -> None:
    plain = f"{V4}={v4_token()}"
    assert await get_token(scope(cookie=plain), secret=SECRET, secure_cookie=True) is None
    secure_v5 = f"__Secure-{V5}={v5_token('__Secure-' + V5)}"
    assert await get_token(scope(cookie=secure_v5), secret=SECRET, secure_cookie=True) is not None


async def test_https_nextauth_url_makes_cookies_secure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTAUTH_URL", "https://app.example.com")
    assert await get_token(scope(cookie=f"{V4}={v4_token()}"), secret=SECRET) is None
    monkeypatch.setenv("NEXTAUTH_URL", "http://localhost:3000")
    assert await get_token(scope(cookie=f"{V4}={v4_token()}"), secret=SECRET) is not None


async def test_custom_cookie_name_and_salt() -> None:
    name = "my-session"
    assert (await get_token(scope(cookie=f"{name}={v4_token()}"), secret=SECRET, cookie_name=name)) is not None
    v5 = v5_token(name)
    assert (await get_token(scope(cookie=f"{name}={v5}"), secret=SECRET, cookie_name=name)) is not None
    salted = encode(CLAIMS, SECRET, salt="pepper")
    assert await get_token(scope(cookie=f"{V4}={salted}"), secret=SECRET) is None
    assert await get_token(scope(cookie=f"{V4}={salted}"), secret=SECRET, salt="pepper") is not None


@pytest.mark.parametrize("version", [4, 5])
async def test_chunked_cookies_are_joined(version: int) -> None:
    name = V4 if version == 4 else V5
    long_token = v4_token(blob="x" * 9000) if version == 4 else v5_token(blob="x" * 9000)
    writes = chunk_session_cookie(name, long_token, version=version)  # type: ignore[arg-type]
    assert len(writes) >= 3
    cookie = "; ".join(f"{w.name}={w.value}" for w in reversed(writes))
    token = await get_token(scope(cookie=cookie), secret=SECRET)
    assert token is not None
    assert token["blob"] == "x" * 9000
    missing_middle = "; ".join(f"{w.name}={w.value}" for w in writes if not w.name.endswith(".1"))
    assert await get_token(scope(cookie=missing_middle), secret=SECRET) is None


async def test_stray_cookie_names_do_not_count() -> None:
    assert await get_token(scope(cookie=f"{V4}X={v4_token()}"), secret=SECRET) is None
    cookie = f"{V4}={v4_token()}; {V4}.evil=junk"
    assert await get_token(scope(cookie=cookie), secret=SECRET) is not None


async def test_duplicate_cookies_first_wins() -> None:
    first, second = v4_token(sub="first"), v4_token(sub="second")
    token = await get_token(scope(cookie=f"{V4}={first}; {V4}={second}"), secret=SECRET)
    assert token is not None
    assert token["sub"] == "first"
    # A broken first copy is not rescued by a good second one: one rule, no guessing.
    assert await get_token(scope(cookie=f"{V4}=broken; {V4}={second}"), secret=SECRET) is None


async def test_percent_encoded_cookie_values_are_decoded_like_next_auth() -> None:
    token = v4_token().replace(".", "%2E")
    assert await get_token(scope(cookie=f"{V4}={token}"), secret=SECRET) is not None


async def test_bearer_fallback() -> None:
    token = v4_token(sub="bearer")
    assert (await get_token(scope(authorization=f"Bearer {token}"), secret=SECRET) or {})["sub"] == "bearer"
    encoded = token.replace(".", "%2E")
    assert (await get_token(scope(authorization=f"Bearer {encoded}"), secret=SECRET) or {})["sub"] == "bearer"
    v5 = v5_token()
    assert (await get_token(scope(authorization=f"Bearer {v5}"), secret=SECRET) or {})["sub"] == "1"


@pytest.mark.parametrize(
    "header",
    [
        "bearer {t}",
        "Basic {t}",
        "Bearer  {t}",
        "Bearer {t} extra",
        "Bearer",
        "Bearer ",
        "Bearer %E0%A4%A",
        "Bearer %zz",
    ],
)
async def test_malformed_bearer_headers_give_no_token(header: str) -> None:
    assert await get_token(scope(authorization=header.format(t=v4_token())), secret=SECRET) is None


async def test_cookie_wins_over_bearer_and_empty_cookie_falls_back() -> None:
    cookie, bearer = v4_token(sub="cookie"), v4_token(sub="bearer")
    both = scope(cookie=f"{V4}={cookie}", authorization=f"Bearer {bearer}")
    assert (await get_token(both, secret=SECRET) or {})["sub"] == "cookie"
    empty = scope(cookie=f"{V4}=", authorization=f"Bearer {bearer}")
    assert (await get_token(empty, secret=SECRET) or {})["sub"] == "bearer"


async def test_raw_returns_the_string_without_a_secret() -> None:
    token = v4_token()
    assert await get_token(scope(cookie=f"{V4}={token}"), raw=True) == token
    assert await get_token(scope(), raw=True) is None


async def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = scope(cookie=f"{V4}={v4_token()}")
    with pytest.raises(MissingSecretError, match="NEXTAUTH_SECRET"):
        await get_token(conn)
    monkeypatch.setenv("AUTH_SECRET", SECRET)
    assert await get_token(conn) is not None
    monkeypatch.setenv("NEXTAUTH_SECRET", "takes-precedence")
    assert await get_token(conn) is None
    assert await get_token(conn, secret=SECRET) is not None


async def test_secret_rotation_list() -> None:
    conn = scope(cookie=f"{V4}={v4_token()}")
    assert await get_token(conn, secret=["new", SECRET]) is not None


async def test_custom_decode_hooks_sync_and_async() -> None:
    seen: list[dict[str, Any]] = []

    def hook(*, token: str, secret: Any, salt: str) -> dict[str, Any]:
        seen.append({"token": token, "secret": secret, "salt": salt})
        return {"sub": token}

    async def async_hook(*, token: str, secret: Any, salt: str) -> dict[str, Any]:
        return {"sub": token.upper()}

    conn = scope(cookie=f"{V5}=opaque")
    assert await get_token(conn, decode=hook) == {"sub": "opaque"}
    assert seen == [{"token": "opaque", "secret": None, "salt": V5}]
    assert await get_token(conn, decode=async_hook) == {"sub": "OPAQUE"}


@pytest.mark.parametrize("result", [None, "a string", 42, ["list"]])
async def test_hook_results_that_are_not_claims_give_none(result: Any) -> None:
    assert await get_token(scope(cookie=f"{V4}=x"), decode=lambda **_: result) is None


async def test_hook_exceptions_give_none() -> None:
    def boom(**_: Any) -> None:
        raise RuntimeError("bad token")

    assert await get_token(scope(cookie=f"{V4}=x"), decode=boom) is None


@pytest.mark.parametrize(
    "value",
    ["junk", "a.b.c.d.e", "tok\x00en", "tok en", "tok\u00e9n", "x" * 70_000],
    ids=["junk", "dots", "nul", "space", "latin1", "huge"],
)
async def test_bad_cookie_values_give_none(value: str) -> None:
    assert await get_token(scope(cookie=f"{V4}={value}"), secret=SECRET) is None


async def test_expired_tokens_give_none_and_log_without_contents(caplog: pytest.LogCaptureFixture) -> None:
    token = encode(CLAIMS, SECRET, max_age=-60)
    with caplog.at_level(logging.DEBUG, logger="asgi_withauth"):
        assert await get_token(scope(cookie=f"{V4}={token}"), secret=SECRET) is None
    assert "ExpiredTokenError" in caplog.text
    assert token.split(".")[3] not in caplog.text


async def test_leeway_and_require_exp_options() -> None:
    token = encode(CLAIMS, SECRET, max_age=-10)
    assert await get_token(scope(cookie=f"{V4}={token}"), secret=SECRET) is not None
    assert await get_token(scope(cookie=f"{V4}={token}"), secret=SECRET, leeway=0) is None


@given(cookie=st.text(max_size=300), authorization=st.text(max_size=300))
def test_any_header_text_gives_a_token_or_none(cookie: str, authorization: str) -> None:
    reader = TokenReader(secret=SECRET)
    raw = scope()
    raw["headers"] += [(b"cookie", cookie.encode("utf-8")), (b"authorization", authorization.encode("utf-8"))]
    found = reader.find(raw)
    if found is not None:
        assert reader.decode_sync(*found) is None


@given(st.text(max_size=200))
def test_bearer_token_parser_never_raises(header: str) -> None:
    token = bearer_token(header)
    assert token is None or (token and header.startswith("Bearer "))


async def test_an_explicit_empty_secret_is_no_secret_even_with_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTAUTH_SECRET", SECRET)
    with pytest.raises(MissingSecretError):
        await get_token(scope(cookie=f"{V4}={v4_token()}"), secret="")


async def test_vercel_means_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERCEL", "1")
    assert await get_token(scope(cookie=f"{V4}={v4_token()}"), secret=SECRET) is None
    assert await get_token(scope(cookie=f"__Secure-{V4}={v4_token()}"), secret=SECRET) is not None


# ----------------------------------------------------------------------------- the name implies the format

NAMED_FORMATS = [
    pytest.param(V5, "http", 4, id="authjs-name-refuses-v4"),
    pytest.param(f"__Secure-{V5}", "https", 4, id="secure-authjs-name-refuses-v4"),
    pytest.param(V4, "http", 5, id="next-auth-name-refuses-v5"),
    pytest.param(f"__Secure-{V4}", "https", 5, id="secure-next-auth-name-refuses-v5"),
]


def token_for(version: int, name: str, **extra: Any) -> str:
    """A token in ``version``'s format with the salt that format would use under ``name``."""
    return v4_token(**extra) if version == 4 else v5_token(name, **extra)


@pytest.mark.parametrize(("name", "scheme", "wrong"), NAMED_FORMATS)
async def test_a_default_cookie_name_implies_its_format(name: str, scheme: str, wrong: Version) -> None:
    conn = scope(cookie=f"{name}={token_for(wrong, name)}", scheme=scheme)
    assert await get_token(conn, secret=SECRET, cookie_name=name) is None
    assert await get_token(conn, secret=SECRET, cookie_name=name, version=wrong) is not None  # unless told
    right = 5 if wrong == 4 else 4
    good = scope(cookie=f"{name}={token_for(right, name)}", scheme=scheme)
    assert await get_token(good, secret=SECRET, cookie_name=name) is not None


@pytest.mark.parametrize(("name", "scheme", "wrong"), NAMED_FORMATS)
async def test_the_implied_format_applies_to_the_bearer_fallback(name: str, scheme: str, wrong: Version) -> None:
    bearer = scope(authorization=f"Bearer {token_for(wrong, name)}", scheme=scheme)
    assert await get_token(bearer, secret=SECRET, cookie_name=name) is None


async def test_a_custom_cookie_name_keeps_trying_both_formats_and_salts_the_bearer() -> None:
    name = "my-session"
    for token in (v4_token(), v5_token(name)):
        assert await get_token(scope(cookie=f"{name}={token}"), secret=SECRET, cookie_name=name) is not None
        # As Auth.js's getToken: the bearer token's v5 salt is the configured cookie name.
        assert await get_token(scope(authorization=f"Bearer {token}"), secret=SECRET, cookie_name=name) is not None
    assert await get_token(scope(authorization=f"Bearer {v5_token()}"), secret=SECRET, cookie_name=name) is None


async def test_default_names_bearer_tries_both_formats_with_default_salts() -> None:
    assert (await get_token(scope(authorization=f"Bearer {v4_token()}"), secret=SECRET)) is not None
    assert (await get_token(scope(authorization=f"Bearer {v5_token()}"), secret=SECRET)) is not None
    secure_v5 = v5_token(f"__Secure-{V5}")
    assert (await get_token(scope(authorization=f"Bearer {secure_v5}", scheme="https"), secret=SECRET)) is not None
    assert (await get_token(scope(authorization=f"Bearer {secure_v5}"), secret=SECRET)) is None
