"""sign_out against next-auth 4.24.15's and Auth.js 5's own sign-out (POST /api/auth/signout).

The session cookies' Set-Cookie headers must be exactly theirs: every chunk on the request
cleared, in their order, with their attributes. (They also set their callback-url cookie
and redirect: their route's business, left out.)
"""

from __future__ import annotations

from typing import Any

import pytest

from asgi_withauth import AuthOptions, sign_out
from asgi_withauth.jwt import Version
from asgi_withauth.sessions import sessions_for
from tests.memory_adapter import MemoryAdapter
from tests.nodebridge import NodeBridge
from tests.test_session_interop import CLAIMS, SECRET, mint, scope_for, session_cookie_name

pytestmark = pytest.mark.anyio

VERSIONS = [pytest.param(4, id="v4"), pytest.param(5, id="v5")]


def session_headers(headers: list[str], name: str) -> list[str]:
    return [h for h in headers if h.split("=", 1)[0].startswith(name)]


def their_sign_out(bridge: NodeBridge, version: Version, cookie: str, *, secure: bool = False) -> list[str]:
    result = bridge.call("lifecycle", version=version, action="signout", cookie=cookie, secret=SECRET, secure=secure)
    assert isinstance(result, dict)
    assert result["status"] == 302
    return list(result["setCookie"])


def cookie_for(bridge: NodeBridge, version: Version, name: str, claims: dict[str, Any]) -> str:
    token = mint(bridge, version, claims, name)
    chunks = bridge.call("chunk", version=version, name=name, value=token)
    return "; ".join(f"{c['name']}={c['value']}" for c in chunks)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("size", ["plain", "chunked", "invalid"])
async def test_sign_out_clears_as_next_auth(
    nextauth_bridge: NodeBridge, version: Version, secure: bool, size: str
) -> None:
    name = session_cookie_name(version, secure=secure)
    if size == "invalid":
        cookie = f"{name}=not-a-token"
    else:
        claims = {**CLAIMS, "big": "b" * 7000} if size == "chunked" else CLAIMS
        cookie = cookie_for(nextauth_bridge, version, name, claims)
    theirs = session_headers(their_sign_out(nextauth_bridge, version, cookie, secure=secure), name)
    ours = await sessions_for(AuthOptions(secret=SECRET, version=version)).sign_out(scope_for(cookie, secure=secure))
    assert ours.session is None
    assert ours.set_cookie == theirs
    assert len(theirs) == (3 if size == "chunked" else 1)


@pytest.mark.parametrize("version", VERSIONS)
async def test_sign_out_without_a_session_is_a_no_op(nextauth_bridge: NodeBridge, version: Version) -> None:
    name = session_cookie_name(version)
    assert session_headers(their_sign_out(nextauth_bridge, version, ""), name) == []
    ours = await sessions_for(AuthOptions(secret=SECRET, version=version)).sign_out(scope_for(""))
    assert ours.set_cookie == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_stray_chunk_is_cleared(nextauth_bridge: NodeBridge, version: Version) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}.1=leftover"
    theirs = session_headers(their_sign_out(nextauth_bridge, version, cookie), name)
    ours = await sessions_for(AuthOptions(secret=SECRET, version=version)).sign_out(scope_for(cookie))
    assert ours.set_cookie == theirs


async def test_sign_out_applies_the_clearing_to_a_response(nextauth_bridge: NodeBridge) -> None:
    name = session_cookie_name(4)
    cookie = cookie_for(nextauth_bridge, 4, name, CLAIMS)

    class Response:
        def __init__(self) -> None:
            self.raw_headers: list[tuple[bytes, bytes]] = []

    response = Response()
    await sign_out(scope_for(cookie), response=response, secret=SECRET)
    assert [v.decode() for _, v in response.raw_headers] == [f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"]


# ----------------------------------------------------------------- database strategy (in memory)


@pytest.mark.parametrize("down", [False, True], ids=["up", "down"])
async def test_database_sign_out_deletes_the_row_and_clears(down: bool) -> None:
    adapter = MemoryAdapter()
    adapter.add("db-token", expires_in=3600)
    adapter.down = down
    options = AuthOptions(secret=SECRET, version=4, adapter=adapter)
    name = session_cookie_name(4)
    ours = await sessions_for(options).sign_out(scope_for(f"{name}=db-token"))
    # next-auth: the row deleted first; a failure is logged and the cookie cleared all the same.
    assert ours.set_cookie == [f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"]
    assert adapter.calls == ["delete_session"]
    assert ("db-token" in adapter.sessions) is down
