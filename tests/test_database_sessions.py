"""The database strategy over an in-memory adapter: next-auth's rules for get_server_session,
and WithAuth's cached, read-only lookups. (Real PostgreSQL and SQLite: test_adapters.py;
the real next-auth against the same rows: test_database_interop.py.)"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from starlette.requests import Request

from asgi_withauth import AuthOptions, WithAuth, get_token, load_server_session
from asgi_withauth.fastapi import NextAuth
from asgi_withauth.sessions import DatabaseSessions, JwtSessions, database, sessions_for
from asgi_withauth.sessions._callbacks import iso_ms
from tests.asgi import Sent, http_scope, run
from tests.memory_adapter import MemoryAdapter

pytestmark = pytest.mark.anyio

V4 = "next-auth.session-token"
V5 = "authjs.session-token"
TOKEN = "6f1c8a52-1d3b-4b7e-9c59-2f4a1d6e8b10"
NOW = 1_800_000_000.123  # a fixed clock, milliseconds included
DAY = 24 * 60 * 60
MAX_AGE = 30 * DAY


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """next-auth's clock, fixed at NOW; tests move it by changing ``clock[0]``."""
    moment = [NOW]
    monkeypatch.setattr(database, "now", lambda: moment[0])
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)
    return moment


def at(seconds_from_now: float) -> datetime:
    return datetime.fromtimestamp(round((NOW + seconds_from_now) * 1000) / 1000, tz=timezone.utc)


def adapter_with(expires_in: float = MAX_AGE, *, token: str = TOKEN) -> MemoryAdapter:
    adapter = MemoryAdapter()
    adapter.add(token, expires_in=expires_in)
    return adapter


def cookie_scope(value: str = TOKEN, name: str = V4, path: str = "/") -> dict[str, Any]:
    return http_scope(f"http://app.test{path}", cookies={name: value})


def cookies_of(set_cookie: list[str]) -> dict[str, str]:
    return {line.split("=", 1)[0]: line for line in set_cookie}


def expires_of(line: str) -> datetime:
    part = next(p for p in line.split("; ") if p.startswith("Expires="))
    return parsedate_to_datetime(part.removeprefix("Expires="))


# --------------------------------------------------------------------------- choosing the strategy


def test_an_adapter_means_the_database_strategy_unless_jwt_is_asked_for() -> None:
    adapter = MemoryAdapter()
    assert isinstance(sessions_for(AuthOptions(adapter=adapter)), DatabaseSessions)
    assert isinstance(sessions_for(AuthOptions.build(adapter=adapter, session={"strategy": "jwt"})), JwtSessions)
    assert isinstance(sessions_for(AuthOptions(secret="s")), JwtSessions)
    with pytest.raises(ValueError, match="adapter"):
        AuthOptions(strategy="database")


# --------------------------------------------------------------------------- get_server_session


async def test_a_session_is_read_and_its_cookie_re_set() -> None:
    adapter = adapter_with(expires_in=MAX_AGE - 60)  # extended a minute ago: not due
    result = await load_server_session(cookie_scope(), adapter=adapter)
    assert result.session == {
        "user": {"name": "Ada", "email": "ada@x.test", "image": None},
        "expires": iso_ms(at(MAX_AGE - 60)),  # the row's, before any update
    }
    (line,) = result.set_cookie
    assert line.startswith(f"{V4}={TOKEN}; ")
    assert expires_of(line) == at(MAX_AGE).replace(microsecond=0)  # now + maxAge, whole seconds
    assert "HttpOnly" in line
    assert "SameSite=Lax" in line
    assert adapter.calls == ["get_session_and_user"]  # not due: no update


async def test_a_session_due_for_an_update_is_extended() -> None:
    adapter = adapter_with(expires_in=MAX_AGE - DAY)  # last extended a day ago: due (updateAge 24 h)
    result = await load_server_session(cookie_scope(), adapter=adapter)
    assert result.session is not None
    assert result.session["expires"] == iso_ms(at(MAX_AGE - DAY))  # the row's old expires
    assert adapter.calls == ["get_session_and_user", "update_session"]
    assert adapter.sessions[TOKEN].expires == at(MAX_AGE)


async def test_update_age_decides_when_a_row_is_due() -> None:
    adapter = adapter_with(expires_in=MAX_AGE - 3600)
    await load_server_session(cookie_scope(), adapter=adapter, update_age=3601)
    assert "update_session" not in adapter.calls
    await load_server_session(cookie_scope(), adapter=adapter, update_age=3600)
    assert adapter.calls.count("update_session") == 1


async def test_an_expired_session_is_deleted_and_its_cookie_cleared(clock: list[float]) -> None:
    adapter = adapter_with(expires_in=10)
    clock[0] = NOW + 10.01  # just past expires: no tolerance
    result = await load_server_session(cookie_scope(), adapter=adapter)
    assert result.session is None
    assert adapter.calls == ["get_session_and_user", "delete_session"]
    assert TOKEN not in adapter.sessions
    assert "Max-Age=0" in cookies_of(result.set_cookie)[V4]


async def test_a_session_at_its_exact_expiry_still_counts(clock: list[float]) -> None:
    adapter = adapter_with(expires_in=10)
    clock[0] = NOW + 10
    assert (await load_server_session(cookie_scope(), adapter=adapter)).session is not None


async def test_no_row_clears_the_cookie_and_no_cookie_asks_nothing() -> None:
    adapter = MemoryAdapter()
    result = await load_server_session(cookie_scope(), adapter=adapter)
    assert (result.session, list(cookies_of(result.set_cookie))) == (None, [V4])
    result = await load_server_session(http_scope("http://app.test/"), adapter=adapter)
    assert (result.session, result.set_cookie) == (None, [])
    assert adapter.calls == ["get_session_and_user"]


@pytest.mark.parametrize("value", ["x" * 10_000, "a b", "' OR 1=1 --"])
async def test_an_implausible_cookie_is_no_session_without_a_query(value: str) -> None:
    adapter = MemoryAdapter()
    result = await load_server_session(cookie_scope(value.replace(" ", "%20")), adapter=adapter)
    assert result.session is None
    assert adapter.calls == []


async def test_an_injection_shaped_token_is_only_a_value() -> None:
    token = "x'--or-1=1"
    adapter = adapter_with(token=token)
    assert (await load_server_session(cookie_scope(token), adapter=adapter)).session is not None


async def test_a_failing_adapter_gives_no_session_and_leaves_the_cookie(caplog: pytest.LogCaptureFixture) -> None:
    adapter = adapter_with()
    adapter.down = True
    result = await load_server_session(cookie_scope(), adapter=adapter)
    assert (result.session, result.set_cookie) == (None, [])
    assert "SESSION_ERROR" in caplog.text


async def test_v5_sessions_have_authjs_shape_and_cookie() -> None:
    adapter = adapter_with(expires_in=MAX_AGE - 60)
    seen: list[dict[str, Any]] = []

    def session(session: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        seen.append(session)
        return {"user": {**session["user"], "id": user["id"]}, "expires": session["expires"]}

    result = await load_server_session(cookie_scope(name=V5), adapter=adapter, callbacks={"session": session})
    assert seen[0]["sessionToken"] == TOKEN  # Auth.js passes the row, with the user
    assert seen[0]["user"]["id"] == "1"
    assert result.session is not None
    assert result.session["user"]["id"] == "1"
    assert list(cookies_of(result.set_cookie)) == [V5]
    default = await load_server_session(cookie_scope(name=V5), adapter=adapter)
    public = {"name": "Ada", "email": "ada@x.test", "image": None}
    assert default.session == {"user": public, "expires": seen[0]["expires"]}


async def test_v4_session_callback_gets_the_public_session_and_the_user() -> None:
    adapter = adapter_with()
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def session(session: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        seen.append((session, user))
        return session

    await load_server_session(cookie_scope(), adapter=adapter, callbacks={"session": session})
    public, user = seen[0]
    assert set(public) == {"user", "expires"}
    assert user == {"id": "1", "name": "Ada", "email": "ada@x.test", "emailVerified": None, "image": None}


# --------------------------------------------------------------------------- WithAuth


class Inner:
    def __init__(self) -> None:
        self.tokens: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.tokens.append(scope.get("nextauth", {}).get("token"))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def guarded(app: WithAuth, path: str = "/x", value: str = TOKEN) -> Sent:
    return await run(app, cookie_scope(value, path=path))


async def test_withauth_lets_a_database_session_through_with_its_rows() -> None:
    inner = Inner()
    sent = await guarded(WithAuth(inner, adapter=adapter_with()))
    assert sent.status == 200
    (token,) = inner.tokens
    assert token["user"]["email"] == "ada@x.test"
    assert token["session"] == {"userId": "1", "expires": iso_ms(at(MAX_AGE))}


async def test_withauth_denies_without_a_session_and_never_writes(clock: list[float]) -> None:
    adapter = adapter_with(expires_in=10)
    app = WithAuth(Inner(), adapter=adapter, lookup_ttl=0)
    assert (await guarded(app, value="unknown-token")).status == 307
    clock[0] = NOW + 11
    assert (await guarded(app)).status == 307  # expired
    assert set(adapter.calls) == {"get_session_and_user"}  # read-only: the row stays
    assert TOKEN in adapter.sessions


async def test_withauth_asks_once_per_lookup_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = adapter_with()
    app = WithAuth(Inner(), adapter=adapter, lookup_ttl=5)
    moment = [1000.0]
    monkeypatch.setattr(database, "monotonic", lambda: moment[0])
    for _ in range(3):
        assert (await guarded(app)).status == 200
    assert adapter.calls == ["get_session_and_user"]
    del adapter.sessions[TOKEN]  # signed out elsewhere: still passes until the lookup is stale
    assert (await guarded(app)).status == 200
    moment[0] += 5
    assert (await guarded(app)).status == 307
    assert adapter.calls == ["get_session_and_user"] * 2


async def test_misses_are_cached_apart_and_cannot_push_hits_out(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = adapter_with()
    app = WithAuth(Inner(), adapter=adapter, cache_size=4)
    assert (await guarded(app)).status == 200
    for i in range(10):
        assert (await guarded(app, value=f"junk-{i}")).status == 307
    assert (await guarded(app, value="junk-9")).status == 307
    assert (await guarded(app)).status == 200
    assert adapter.calls.count("get_session_and_user") == 11  # the hit and the last miss were cached


async def test_withauth_denies_when_the_database_is_down_and_asks_again(caplog: pytest.LogCaptureFixture) -> None:
    adapter = adapter_with()
    adapter.down = True
    app = WithAuth(Inner(), adapter=adapter)
    assert (await guarded(app)).status == 307
    assert "lookup failed" in caplog.text
    adapter.down = False
    assert (await guarded(app)).status == 200  # failures are not cached


async def test_withauth_checks_the_cookie_before_any_query() -> None:
    adapter = MemoryAdapter()
    app = WithAuth(Inner(), adapter=adapter, deny="status")
    assert (await guarded(app, value="x" * 300)).status == 401
    assert adapter.calls == []


async def test_withauth_with_refresh_writes_nothing_for_database_sessions() -> None:
    sent = await guarded(WithAuth(Inner(), adapter=adapter_with(), refresh=True))
    assert sent.status == 200
    assert not [k for k, _ in sent.messages[0]["headers"] if k == b"set-cookie"]


# --------------------------------------------------------------------------- integrations


async def test_get_token_and_fastapi_dependencies_read_database_sessions() -> None:
    options = AuthOptions(adapter=adapter_with(expires_in=MAX_AGE - 60))
    scope = cookie_scope()
    token = await get_token(scope, options=options)
    assert token is not None
    assert token["user"]["id"] == "1"
    auth = NextAuth(options)
    assert (await auth.token(Request(scope)) or {})["session"]["userId"] == "1"

    class Response:
        def __init__(self) -> None:
            self.raw_headers: list[tuple[bytes, bytes]] = []

    response = Response()
    session = await auth.session(Request(scope), response)  # type: ignore[arg-type]
    assert session is not None
    assert json.dumps(session)
    assert [k for k, _ in response.raw_headers] == [b"set-cookie"]


def test_lookup_ttl_and_strategy_are_checked() -> None:
    with pytest.raises(ValueError, match="lookup_ttl"):
        AuthOptions(adapter=MemoryAdapter(), lookup_ttl=-1)
    with pytest.raises(ValueError, match="strategy"):
        AuthOptions(adapter=MemoryAdapter(), strategy="cookie")  # type: ignore[arg-type]
    assert timedelta(seconds=AuthOptions().lookup_ttl) == timedelta(seconds=5)


async def test_starlettes_backend_reads_database_sessions() -> None:
    from starlette.authentication import AuthCredentials
    from starlette.requests import HTTPConnection

    from asgi_withauth.starlette_auth import NextAuthBackend, NextAuthUser

    backend = NextAuthBackend(adapter=adapter_with(), scopes=lambda token: ["member"])
    found = await backend.authenticate(HTTPConnection(cookie_scope()))
    assert found is not None
    credentials, user = found
    assert isinstance(credentials, AuthCredentials)
    assert credentials.scopes == ["authenticated", "member"]
    assert isinstance(user, NextAuthUser)
    assert user.token["user"]["email"] == "ada@x.test"
    assert (user.identity, user.display_name) == ("1", "Ada")
    assert await backend.authenticate(HTTPConnection(cookie_scope("unknown"))) is None


async def test_a_cached_session_stops_passing_when_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = adapter_with(expires_in=2)
    app = WithAuth(Inner(), adapter=adapter, lookup_ttl=5)
    moment = [1000.0]
    monkeypatch.setattr(database, "monotonic", lambda: moment[0])
    assert (await guarded(app)).status == 200
    moment[0] += 3  # still within lookup_ttl, but past the row's expires
    assert (await guarded(app)).status == 307
    assert adapter.calls == ["get_session_and_user"]  # decided from the cache, no second query
