"""WithAuth's hot path: a repeated Cookie header is one lookup, and the shortcut decides
exactly as the general path does (expiry, cache off, Bearer tokens, denials, failures)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from asgi_withauth import Rule, WithAuth, jwt
from asgi_withauth.sessions import TokenReader
from tests.asgi import run, session_scope

pytestmark = pytest.mark.anyio

SECRET = "hot-path-secret"
V4 = "next-auth.session-token"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)


def scope(path: str = "/app/x", *, cookie: str | None = None, bearer: str | None = None) -> dict[str, Any]:
    return session_scope(f"http://app.test{path}", cookie=cookie, bearer=bearer)


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    token = scope["nextauth"]["token"]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(token["sub"]).encode()})


def test_a_repeated_cookie_header_decodes_once_and_hands_out_copies(decodes: list[str]) -> None:
    token = jwt.encode({"sub": "1", "roles": ["a"]}, SECRET)
    reader = TokenReader(secret=SECRET)
    first = reader.claims_now(scope(cookie=f"{V4}={token}; other=1"))
    assert first is not None
    first["roles"].append("changed")
    again = reader.claims_now(scope(cookie=f"{V4}={token}; other=1"))
    assert again is not None
    assert again["roles"] == ["a"]
    assert again is not reader.claims_now(scope(cookie=f"{V4}={token}; other=1"))
    assert decodes == [token]


def test_with_the_cache_off_every_request_decodes(decodes: list[str]) -> None:
    token = jwt.encode({"sub": "1"}, SECRET)
    reader = TokenReader(secret=SECRET, cache_size=0)
    for _ in range(3):
        assert reader.claims_now(scope(cookie=f"{V4}={token}")) == jwt.decode(token, SECRET)
    assert len(decodes) == 3


def test_a_remembered_token_expires_as_a_cold_decode_would(monkeypatch: pytest.MonkeyPatch) -> None:
    token = jwt.encode({"sub": "1"}, SECRET, max_age=60)
    reader = TokenReader(secret=SECRET, leeway=5)
    request = scope(cookie=f"{V4}={token}")
    assert reader.claims_now(request) is not None
    assert reader.claims_now(request) is not None  # remembered
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + 64)
    assert reader.claims_now(request) is not None  # within exp + leeway
    monkeypatch.setattr(time, "time", lambda: start + 66)
    assert TokenReader(secret=SECRET, leeway=5).claims_now(request) is None  # cold: expired
    assert reader.claims_now(request) is None


def test_bearer_tokens_are_not_remembered_for_the_cookie_header() -> None:
    """A Cookie header without a session cookie says nothing about the Bearer token beside it."""
    reader = TokenReader(secret=SECRET)
    for sub in ("1", "2", "3"):
        bearer = jwt.encode({"sub": sub}, SECRET)
        claims = reader.claims_now(scope(cookie="theme=dark", bearer=bearer))
        assert claims is not None
        assert claims["sub"] == sub
    assert reader.claims_now(scope(cookie="theme=dark")) is None


async def test_withauth_hot_path_allows_and_denies_as_the_general_path() -> None:
    token = jwt.encode({"sub": "7"}, SECRET)
    app = WithAuth(echo, secret=SECRET, matcher=["/app/:path*"])
    for _ in range(2):  # the second request takes the memo
        sent = await run(app, scope(cookie=f"{V4}={token}"))
        assert (sent.status, sent.body) == (200, b"7")
    denied = await run(app, scope(cookie=f"{V4}={token[:-2]}"))
    assert denied.status == 307
    assert denied.headers["location"].startswith("http://app.test/api/auth/signin?")


async def test_withauth_hot_path_denies_with_the_first_protecting_rules_deny() -> None:
    rules = [Rule("/app/public", public=True), Rule("/app/api/:path*", deny=403), Rule("/app/:path*", deny="status")]
    app = WithAuth(echo, secret=SECRET, rules=rules, matcher=[])
    assert (await run(app, scope("/app/x"))).status == 401
    assert (await run(app, scope("/app/api/x"))).status == 403
    bad = f"{V4}={jwt.encode({'sub': '1'}, 'another-secret')}"
    assert (await run(app, scope("/app/x", cookie=bad))).status == 401


async def test_a_custom_authorized_is_still_called() -> None:
    token = jwt.encode({"sub": "7", "role": "user"}, SECRET)
    calls: list[Any] = []

    def admin_only(token: dict[str, Any] | None, request: Any) -> bool:
        calls.append(token)
        return token is not None and token.get("role") == "admin"

    rules = [Rule("/app/admin/:path*", authorized=admin_only)]
    app = WithAuth(echo, secret=SECRET, rules=rules, matcher=["/app/:path*"])
    assert (await run(app, scope("/app/x", cookie=f"{V4}={token}"))).status == 200
    assert (await run(app, scope("/app/admin/x", cookie=f"{V4}={token}"))).status == 307
    assert len(calls) == 1
    assert calls[0]["sub"] == "7"


async def test_a_read_that_raises_denies_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = WithAuth(echo, secret=SECRET, matcher=["/app/:path*"])

    def broken(scope: Any) -> Any:
        raise RuntimeError("storage on fire")

    app._claims_now = broken
    app.sessions.claims_now = broken
    with caplog.at_level(logging.ERROR, logger="asgi_withauth"):
        sent = await run(app, scope(cookie=f"{V4}={jwt.encode({'sub': '1'}, SECRET)}"))
    assert sent.status == 307
    assert "denying the request" in caplog.text
