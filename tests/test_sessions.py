"""The session strategy seam: a read remembers where the session came from, and refreshing or
clearing it uses that, never a second parse of the Cookie header."""

from __future__ import annotations

from typing import Any

import pytest

from asgi_withauth import AuthOptions, WithAuth, jwt, load_server_session
from asgi_withauth._request.cookies import chunk_session_cookie, parse_cookie_header
from asgi_withauth.sessions import JwtSessions, SessionStrategy, sessions_for
from asgi_withauth.sessions import reader as reader_module
from tests.asgi import http_scope, run

pytestmark = pytest.mark.anyio

SECRET = "sessions-secret"
V4 = "next-auth.session-token"
BIG = {"sub": "1", "blob": "x" * 6000}  # two chunks


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Cookie header the session reader parses."""
    seen: list[str] = []
    real = parse_cookie_header

    def counting(header: str) -> dict[str, str]:
        seen.append(header)
        return real(header)

    monkeypatch.setattr(reader_module, "parse_cookie_header", counting)
    return seen


def chunked_cookie(claims: dict[str, Any], *, stale: int = 0) -> tuple[str, list[str]]:
    """The Cookie header of a session (chunked if large), plus ``stale`` leftover chunks
    after it, and the names of the session's own cookies."""
    token = jwt.encode(claims, SECRET)
    writes = chunk_session_cookie(V4, token)
    pairs = [f"{w.name}={w.value}" for w in writes]
    pairs += [f"{V4}.{len(writes) + i}=leftover" for i in range(stale)]
    return "; ".join(pairs), [w.name for w in writes]


def test_jwt_sessions_is_a_session_strategy() -> None:
    strategy: SessionStrategy = sessions_for(AuthOptions(secret=SECRET))
    assert isinstance(strategy, JwtSessions)


async def test_a_read_remembers_the_cookie_and_its_chunks() -> None:
    sessions = sessions_for(AuthOptions(secret=SECRET))
    cookie, names = chunked_cookie(BIG)
    found = await sessions.read(http_scope("http://app.test/", headers={"cookie": cookie}))
    assert found is not None
    assert (found.cookie_name, found.version, found.salt) == (V4, 4, "")
    assert len(names) > 1
    assert found.cookies == tuple(names)


async def test_get_server_session_parses_the_cookie_header_once(parses: list[str]) -> None:
    cookie, names = chunked_cookie({"sub": "1"}, stale=2)
    assert names == [V4]
    scope = http_scope("http://app.test/", headers={"cookie": cookie})
    result = await load_server_session(scope, options=AuthOptions(secret=SECRET))
    assert result.session is not None
    assert len(parses) == 1
    cleared = sorted(c.split("=")[0] for c in result.set_cookie if "Max-Age=0" in c)
    assert cleared == [f"{V4}.1", f"{V4}.2"]  # the leftovers seen at read time: the token now fits in one


async def test_a_broken_session_is_cleared_from_the_first_read(parses: list[str]) -> None:
    scope = http_scope("http://app.test/", headers={"cookie": f"{V4}.0=a; {V4}.2=c"})  # .1 missing
    result = await load_server_session(scope, options=AuthOptions(secret=SECRET))
    assert result.session is None
    assert sorted(c.split("=")[0] for c in result.set_cookie) == [f"{V4}.0", f"{V4}.2"]
    assert len(parses) == 1


async def test_withauth_refresh_rewrites_the_chunks_it_read(parses: list[str]) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    cookie, names = chunked_cookie(BIG)
    stale = f"{V4}={jwt.encode({'sub': '1'}, SECRET)}"  # a plain cookie wins over chunks
    sent = await run(
        WithAuth(app, secret=SECRET, refresh=True), http_scope("/", headers={"cookie": f"{stale}; {cookie}"})
    )
    assert sent.status == 200
    written = [v.decode().split("=")[0] for k, v in sent.messages[0]["headers"] if k == b"set-cookie"]
    assert written == [V4, *names]  # the small session rewritten as one, every chunk seen cleared
    assert len(parses) == 1


async def test_an_encode_hook_writes_the_refreshed_session() -> None:
    written: list[dict[str, Any]] = []

    def decode(*, token: str, secret: Any, salt: str) -> dict[str, Any] | None:
        return {"sub": token.removeprefix("plain:")} if token.startswith("plain:") else None

    async def encode(*, token: dict[str, Any], secret: Any, salt: str, max_age: int) -> str:
        written.append({"token": token, "salt": salt, "max_age": max_age})
        return "plain:" + str(token["sub"])

    options = AuthOptions(secret=SECRET, decode=decode, encode=encode, max_age=60)
    scope = http_scope("http://app.test/", headers={"cookie": f"{V4}=plain:42"})
    result = await load_server_session(scope, options=options)
    assert result.session is not None
    assert result.session["user"] == {}
    assert written == [{"token": {"sub": "42"}, "salt": "", "max_age": 60}]
    assert result.set_cookie[0].startswith(f"{V4}=plain:42;")


async def test_a_hook_read_session_without_an_encode_hook_is_served_not_rewritten() -> None:
    options = AuthOptions(decode=lambda **_: {"sub": "1", "name": "Ada"})
    scope = http_scope("http://app.test/", headers={"cookie": f"{V4}=opaque"})
    result = await load_server_session(scope, options=options)
    assert result.session is not None
    assert result.session["user"] == {"name": "Ada"}
    assert result.set_cookie == []  # its format is the hook's: the built-in codec must not overwrite it


async def test_withauth_without_refresh_never_writes_a_session_even_with_hooks() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def encode(**_: Any) -> str:
        raise AssertionError("refresh=False must not encode")

    options = AuthOptions(decode=lambda **_: {"sub": "1"}, encode=encode)
    sent = await run(WithAuth(app, options=options), http_scope("/", headers={"cookie": f"{V4}=opaque"}))
    assert sent.status == 200
    assert not [k for k, _ in sent.messages[0]["headers"] if k == b"set-cookie"]
    refreshing = WithAuth(app, options=options, refresh=True)
    sent = await run(refreshing, http_scope("/", headers={"cookie": f"{V4}=x"}))
    assert sent.status == 200  # the failing hook is logged; the response goes out without a cookie
    assert not [k for k, _ in sent.messages[0]["headers"] if k == b"set-cookie"]


async def test_a_large_session_is_parsed_once_too(parses: list[str]) -> None:
    """A Cookie header over the reader's memo limit (16 KiB) is not remembered between reads:
    get_server_session decodes the cookie it located instead of locating it again."""
    cookie, names = chunked_cookie({"sub": "1", "blob": "x" * 14_000})
    assert len(cookie) > 16 * 1024
    result = await load_server_session(http_scope("/", headers={"cookie": cookie}), options=AuthOptions(secret=SECRET))
    assert result.session is not None
    assert len(parses) == 1
    assert len(names) > 1
