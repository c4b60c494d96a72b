"""update_session and SessionRoute against next-auth 4.24.15's and Auth.js 5's own session update.

The bridge op ``lifecycle`` (``interop/ops_lifecycle.mjs``) runs their ``POST /api/auth/session``
with ``{csrfToken, data}`` (what ``useSession().update(data)`` sends, and what v5's
``unstable_update`` runs without the CSRF check). For the same token, callbacks and data we
compare: the session they answer with ours; the claims of the cookie they write with the
claims of ours (each decoded by our codec); the chunk layout of the Set-Cookie headers; and
their getServerSession on *our* cookie with ours on the same cookie.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from asgi_withauth import (
    AuthOptions,
    ServerSession,
    SessionRoute,
    SessionUpdateError,
    jwt,
    load_server_session,
    load_updated_session,
    update_session,
)
from asgi_withauth.jwt import Version
from tests.asgi import http_scope, run
from tests.memory_adapter import MemoryAdapter
from tests.nodebridge import NodeBridge
from tests.test_session_interop import (
    CLAIMS,
    SECRET,
    SLACK,
    iso_seconds,
    joined_token,
    mint,
    parse_set_cookie,
    scope_for,
    session_cookie_name,
    session_cookies,
    without,
)

pytestmark = pytest.mark.anyio

VERSIONS = [pytest.param(4, id="v4"), pytest.param(5, id="v5")]
DATA: dict[str, Any] = {"name": "Grace Hopper", "role": "editor"}


# Same names and behaviour as UPDATE_CALLBACKS in interop/ops_lifecycle.mjs.
def _update_name(token: dict[str, Any], trigger: str | None = None, session: Any = None) -> dict[str, Any]:
    if trigger == "update" and isinstance(session, dict) and session.get("name"):
        token["name"] = session["name"]
    return token


def _update_merge_jwt(token: dict[str, Any], trigger: str | None = None, session: Any = None) -> dict[str, Any]:
    return {**token, **session} if trigger == "update" else token


def _update_merge_session(
    session: dict[str, Any], token: dict[str, Any], trigger: str | None = None, newSession: Any = None
) -> dict[str, Any]:
    session["user"]["id"] = token.get("sub")
    seen = {"trigger": trigger or "none", "newSession": newSession or "none", "role": token.get("role", "none")}
    session["seen"] = seen
    return session


def _jwt_throws_on_update(token: dict[str, Any], trigger: str | None = None) -> dict[str, Any]:
    if trigger == "update":
        raise RuntimeError("jwt callback failed")
    return token


CALLBACKS: dict[str, dict[str, Any]] = {
    "none": {},
    "update_name": {"jwt": _update_name},
    "update_merge": {"jwt": _update_merge_jwt, "session": _update_merge_session},
    "jwt_throws_on_update": {"jwt": _jwt_throws_on_update},
}


def options_for(version: Version, callbacks: str = "none") -> AuthOptions:
    return AuthOptions(secret=SECRET, version=version, callbacks=CALLBACKS[callbacks])


def theirs(bridge: NodeBridge, version: Version, cookie: str, **params: Any) -> dict[str, Any]:
    result = bridge.call("lifecycle", version=version, action="update", cookie=cookie, secret=SECRET, **params)
    assert isinstance(result, dict)
    return result


def same_session(ours: Any, their: Any) -> None:
    """Equal, but for ``expires`` (each side's own now + max_age)."""
    assert isinstance(ours, dict)
    assert isinstance(their, dict)
    assert abs(iso_seconds(ours["expires"]) - iso_seconds(their["expires"])) <= SLACK
    assert without(ours, "expires") == without(their, "expires")


def claims_of(headers: list[str], name: str, version: Version) -> dict[str, Any]:
    token = joined_token(session_cookies(headers, name), name)
    assert token is not None
    return jwt.decode(token, SECRET, salt="" if version == 4 else name, version=version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("callbacks", ["none", "update_name", "update_merge"])
@pytest.mark.parametrize("size", ["small", "chunked"])
async def test_update_agrees(nextauth_bridge: NodeBridge, version: Version, callbacks: str, size: str) -> None:
    name = session_cookie_name(version)
    claims = {**CLAIMS, "big": "b" * 5000} if size == "chunked" else CLAIMS
    token = mint(nextauth_bridge, version, claims, name)
    cookie = (
        f"{name}={token}"
        if size == "small"
        else "; ".join(
            f"{c['name']}={c['value']}" for c in nextauth_bridge.call("chunk", version=version, name=name, value=token)
        )
    )
    their = theirs(nextauth_bridge, version, cookie, callbacks=callbacks, data=DATA)
    ours = await load_updated_session(scope_for(cookie), DATA, options=options_for(version, callbacks))
    assert their["status"] == 200
    same_session(ours.session, their["body"])
    mine, their_cookies = session_cookies(ours.set_cookie, name), session_cookies(their["setCookie"], name)
    assert [(c.name, c.cleared, c.order) for c in mine] == [(c.name, c.cleared, c.order) for c in their_cookies]
    our_claims, their_claims = claims_of(ours.set_cookie, name, version), claims_of(their["setCookie"], name, version)
    assert without(our_claims, "iat", "exp", "jti") == without(their_claims, "iat", "exp", "jti")
    if callbacks != "none":
        assert our_claims["name"] == "Grace Hopper"
    # Their getServerSession on the cookie we wrote gives the session ours gives on it.
    written = "; ".join(f"{c.name}={c.value}" for c in mine if not c.cleared)
    later = nextauth_bridge.call("serverSession", version=version, cookie=written, secret=SECRET)
    again = await load_server_session(scope_for(written), options=options_for(version))
    same_session(again.session, later["session"])


@pytest.mark.parametrize("version", VERSIONS)
async def test_failing_callback_raises_and_writes_nothing(nextauth_bridge: NodeBridge, version: Version) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    their = theirs(nextauth_bridge, version, cookie, callbacks="jwt_throws_on_update", data=DATA)
    # next-auth logs the error and clears the cookie (a sign-out); we refuse the update instead.
    assert [parse_set_cookie(h).cleared for h in their["setCookie"] if h.startswith(name)] == [True]
    with pytest.raises(SessionUpdateError) as caught:
        await load_updated_session(scope_for(cookie), DATA, options=options_for(version, "jwt_throws_on_update"))
    assert caught.value.code == "session_update_failed"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("data", [{"when": object()}, {"x": float("nan")}], ids=["object", "nan"])
async def test_data_that_is_not_json_is_refused(nextauth_bridge: NodeBridge, version: Version, data: Any) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    with pytest.raises(SessionUpdateError, match="not JSON"):
        await load_updated_session(scope_for(cookie), data, options=options_for(version, "update_merge"))


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_token_over_the_limit_is_refused(nextauth_bridge: NodeBridge, version: Version) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    with pytest.raises(SessionUpdateError) as caught:
        await load_updated_session(
            scope_for(cookie), {"big": "x" * 200_000}, options=options_for(version, "update_merge")
        )
    assert type(caught.value.__cause__).__name__ == "SessionTooLargeError"


@pytest.mark.parametrize("version", VERSIONS)
async def test_no_session_no_update(version: Version) -> None:
    assert await load_updated_session(scope_for(""), DATA, options=options_for(version)) == ServerSession(None)


async def test_update_session_applies_cookies_to_a_response(nextauth_bridge: NodeBridge) -> None:
    name = session_cookie_name(4)
    cookie = f"{name}={mint(nextauth_bridge, 4, CLAIMS, name)}"

    class Response:
        def __init__(self) -> None:
            self.raw_headers: list[tuple[bytes, bytes]] = []

    response = Response()
    session = await update_session(scope_for(cookie), DATA, response=response, options=options_for(4, "update_name"))
    assert session is not None
    assert session["user"]["name"] == "Grace Hopper"
    assert [k for k, _ in response.raw_headers] == [b"set-cookie"]


# ----------------------------------------------------------------- SessionRoute


async def call_route(route: SessionRoute, method: str, cookie: str, body: Any = None) -> tuple[int, Any, list[str]]:
    scope = dict(scope_for(cookie))
    scope["method"] = method
    scope["path"] = "/api/auth/session"
    payload = b"" if body is None else json.dumps(body).encode()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await route(scope, receive, send)
    headers = [v.decode("latin-1") for k, v in sent[0]["headers"] if k == b"set-cookie"]
    return sent[0]["status"], json.loads(sent[1]["body"]), headers


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("csrf", ["valid", "missing", "wrong"])
async def test_session_route_update_checks_csrf_as_next_auth(
    nextauth_bridge: NodeBridge, version: Version, csrf: str
) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    their = theirs(nextauth_bridge, version, cookie, callbacks="update_merge", data=DATA, csrf=csrf)
    full = "; ".join([cookie] + ([their["csrfCookie"]] if csrf != "missing" else []))
    token = "c" * 64 if csrf != "wrong" else "w" * 64
    route = SessionRoute(options=options_for(version, "update_merge"))
    status, body, headers = await call_route(route, "POST", full, {"csrfToken": token, "data": DATA})
    assert status == their["status"]
    if csrf == "valid":
        same_session(body, their["body"])
        assert claims_of(headers, name, version)["role"] == "editor"
    else:
        assert headers == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_route_get_answers_the_session(nextauth_bridge: NodeBridge, version: Version) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    route = SessionRoute(options=options_for(version))
    status, body, _ = await call_route(route, "GET", cookie)
    their = nextauth_bridge.call("serverSession", version=version, cookie=cookie, secret=SECRET)
    assert status == 200
    same_session(body, their["session"])
    assert (await call_route(route, "GET", ""))[1] == ({} if version == 4 else None)


# ----------------------------------------------------------------- database strategy (in memory)

DB_TOKEN = "db-session-token"


def _db_seen(session: dict[str, Any], user: dict[str, Any], trigger: str | None = None, newSession: Any = None) -> Any:
    return {**session, "seen": {"trigger": trigger or "none", "newSession": newSession, "userId": user["id"]}}


@pytest.mark.parametrize("version", VERSIONS)
async def test_database_update_passes_trigger_and_new_session(version: Version) -> None:
    adapter = MemoryAdapter()
    adapter.add(DB_TOKEN, expires_in=30 * 24 * 3600)
    options = AuthOptions(secret=SECRET, version=version, adapter=adapter, callbacks={"session": _db_seen})
    name = session_cookie_name(version)
    ours = await load_updated_session(scope_for(f"{name}={DB_TOKEN}"), DATA, options=options)
    assert ours.session is not None
    assert ours.session["seen"] == {"trigger": "update", "newSession": DATA, "userId": "1"}
    assert [parse_set_cookie(h).name for h in ours.set_cookie] == [name]
    plain = await load_server_session(scope_for(f"{name}={DB_TOKEN}"), options=options)
    assert plain.session is not None
    assert plain.session["seen"] == {"trigger": "none", "newSession": None, "userId": "1"}


async def test_database_update_with_a_failing_callback_leaves_the_row() -> None:
    adapter = MemoryAdapter()
    adapter.add(DB_TOKEN, expires_in=60)  # due for an extension
    before = adapter.sessions[DB_TOKEN]

    def fails(session: dict[str, Any]) -> Any:
        raise RuntimeError("session callback failed")

    options = AuthOptions(secret=SECRET, version=4, adapter=adapter, callbacks={"session": fails})
    with pytest.raises(SessionUpdateError):
        await load_updated_session(scope_for(f"{session_cookie_name(4)}={DB_TOKEN}"), DATA, options=options)
    assert adapter.sessions[DB_TOKEN] == before
    assert "update_session" not in adapter.calls


async def test_a_route_without_a_version_tells_the_flavour_by_cookie_names_only() -> None:
    route = SessionRoute(options=AuthOptions(secret="s"))
    # a cookie *value* naming authjs is not an Auth.js cookie: next-auth v4's {} without a session
    v4_like = http_scope("/api/auth/session", cookies={"next-auth.callback-url": "https://a.test/authjs.x"})
    v5_like = http_scope("/api/auth/session", cookies={"__Host-authjs.csrf-token": "t|h"})
    assert json.loads((await run(route, v4_like)).body) == {}
    assert json.loads((await run(route, v5_like)).body) is None
