"""Requirements as data (``require``), revocation under the JWT strategy (``current``), and
both in WithAuth, FastAPI and Starlette, with JWT tokens and database sessions."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from asgi_withauth import AuthOptions, Requirement, Rule, WithAuth, current, require
from asgi_withauth.fastapi import NextAuth
from asgi_withauth.requirements import SessionVersion, values_of
from asgi_withauth.starlette_auth import NextAuthBackend, role_scopes
from tests.asgi import cookie_header
from tests.memory_adapter import MemoryAdapter
from tests.recipes import SECRET
from tests.recipes._harness import client, session_cookie

pytestmark = pytest.mark.anyio

ADMIN = {"sub": "1", "name": "Ada", "role": "admin", "permissions": ["reports:read", "reports:write"]}
VIEWER = {"sub": "2", "name": "Bob", "role": "viewer", "permissions": ["reports:read"]}
DB_SESSION = {"user": {"id": "7", "email": "ada@x.test", "role": "admin"}, "session": {"userId": "7"}}


async def ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


# ----------------------------------------------------------------------------- the data part


def test_values_are_read_at_a_claim_path_or_by_a_function() -> None:
    assert values_of(ADMIN, "role") == {"admin"}
    assert values_of(ADMIN, "permissions") == {"reports:read", "reports:write"}
    assert values_of({"user": {"role": "admin"}}, "user.role") == {"admin"}
    assert values_of({"roles": ("a", 1, None, "b")}, "roles") == {"a", "b"}  # non-strings are ignored
    assert values_of({"role": 1}, "role") == set()
    assert values_of({"role": {"admin": True}}, "role") == set()  # a dict is not a list of roles
    assert values_of({}, "role") == set()
    assert values_of({"scope": "a b"}, lambda token: token["scope"].split()) == {"a", "b"}


def test_database_sessions_are_read_at_the_path_then_under_user() -> None:
    assert values_of(DB_SESSION, "role") == {"admin"}
    assert values_of(DB_SESSION, "user.role") == {"admin"}
    assert values_of({"user": {"role": "admin"}}, "role") == set()  # a JWT claim named user: no fallback


def test_require_mirrors_validate_session() -> None:
    assert require().allows(ADMIN)
    assert not require().allows(None)
    assert require(auth=False).allows(None)
    assert not require(auth=False, role="admin").allows(None)
    assert require(role="admin").allows(ADMIN)
    assert not require(role="admin").allows(VIEWER)
    assert require(permission="reports:read").allows(VIEWER)
    assert not require(permission="reports:write").allows(VIEWER)
    assert not require(role="admin", permission="reports:delete").allows(ADMIN)
    assert require(role="admin").allows(DB_SESSION)
    assert require(role="ops", roles="groups").allows({"groups": ["ops", "dev"]})
    assert require(role="admin", roles=lambda token: ["admin"] if token["sub"] == "1" else []).allows(ADMIN)
    assert require(role="admin") == Requirement(role="admin")  # plain data: comparable, hashable
    assert hash(require(role="admin")) == hash(Requirement(role="admin"))


async def test_a_requirement_is_an_authorized_callback() -> None:
    assert await require(role="admin")(ADMIN, None) is True
    assert await require(role="admin")(VIEWER, None) is False
    assert await require(role="admin")(None, None) is False
    assert await require(auth=False)(None, None) is True


async def test_and_combines_requirements_and_callbacks() -> None:
    async def named_ada(token: Any, request: Any) -> bool:
        return bool(token["name"] == "Ada")

    both = require(role="admin") & require(permission="reports:write")
    assert await both(ADMIN, None) is True
    assert await both({**ADMIN, "permissions": []}, None) is False
    assert await (require(auth=False) & require())(None, None) is False  # the other's auth counts
    ada = require() & named_ada
    assert await ada(ADMIN, None) is True
    assert await ada(VIEWER, None) is False


# ----------------------------------------------------------------------------- WithAuth


def guarded(requirement: Requirement, **settings: Any) -> WithAuth:
    routes = [Route("/admin", ok), Route("/api/reports", ok)]
    rules = [
        Rule("/admin", authorized=requirement),
        Rule("/api/:path*", authorized=requirement, deny="status"),
    ]
    return WithAuth(Starlette(routes=routes), secret=SECRET, rules=rules, matcher=[], **settings)


async def test_withauth_denies_with_401_or_403_on_api_routes_and_redirects_pages() -> None:
    async with client(guarded(require(role="admin"))) as http:
        assert (await http.get("/api/reports")).status_code == 401
        assert (await http.get("/api/reports", headers=session_cookie(VIEWER))).status_code == 403
        assert (await http.get("/api/reports", headers=session_cookie(ADMIN))).text == "ok"
        page = await http.get("/admin", headers=session_cookie(VIEWER))
        assert page.status_code == 307
        assert "/api/auth/signin" in page.headers["location"]
        assert (await http.get("/admin", headers=session_cookie(ADMIN))).text == "ok"


async def test_withauth_with_a_requirement_for_database_sessions() -> None:
    adapter = MemoryAdapter()
    ada, bob = "6f1c8a52-1d3b-4b7e-9c59-2f4a1d6e8b10", "0a1b2c3d-1d3b-4b7e-9c59-2f4a1d6e8b10"
    adapter.add(ada, expires_in=3600)
    adapter.add(bob, expires_in=3600, name="Bob", email="bob@x.test")
    roles = {"1": ["admin"]}  # where the app keeps roles: a function of the session's user row
    admins = require(role="admin", roles=lambda token: roles.get(token["user"]["id"], []))
    app = guarded(admins, options=AuthOptions(adapter=adapter))

    def cookie(value: str) -> dict[str, str]:
        return {"cookie": cookie_header({"next-auth.session-token": value})}

    async with client(app) as http:
        assert (await http.get("/api/reports")).status_code == 401
        assert (await http.get("/api/reports", headers=cookie(bob))).status_code == 403
        assert (await http.get("/api/reports", headers=cookie(ada))).text == "ok"


# ----------------------------------------------------------------------------- FastAPI and Starlette


auth = NextAuth(secret=SECRET)
writers = auth.require(require(permission="reports:write"))


def fastapi_app(dependency: Any) -> FastAPI:
    app = FastAPI()

    async def reports(token: dict[str, Any] = dependency) -> Any:
        return {"sub": token["sub"]}

    app.get("/reports")(reports)
    return app


async def test_fastapi_require_takes_a_requirement() -> None:
    async with client(fastapi_app(Depends(writers))) as http:
        assert (await http.get("/reports")).status_code == 401
        assert (await http.get("/reports", headers=session_cookie(VIEWER))).status_code == 403
        assert (await http.get("/reports", headers=session_cookie(ADMIN))).json() == {"sub": "1"}


@requires("role:admin")
async def admin_only(request: Request) -> JSONResponse:
    return JSONResponse(sorted(request.auth.scopes))


@requires("permission:reports:read")
async def readers_only(request: Request) -> JSONResponse:
    return JSONResponse(sorted(request.auth.scopes))


async def test_starlette_scopes_for_roles_and_permissions() -> None:
    backend = NextAuthBackend(secret=SECRET, scopes=role_scopes())
    app = Starlette(
        routes=[Route("/admin", admin_only), Route("/reports", readers_only)],
        middleware=[Middleware(AuthenticationMiddleware, backend=backend)],
    )
    async with client(app) as http:
        assert (await http.get("/admin", headers=session_cookie(VIEWER))).status_code == 403
        assert (await http.get("/admin", headers=session_cookie(ADMIN))).json() == [
            "authenticated",
            "permission:reports:read",
            "permission:reports:write",
            "role:admin",
        ]
        assert (await http.get("/reports", headers=session_cookie(VIEWER))).status_code == 200
        assert (await http.get("/reports")).status_code == 403


def test_role_scopes_read_database_sessions_and_custom_places() -> None:
    assert role_scopes()(DB_SESSION) == ["role:admin"]
    scopes = role_scopes("groups", lambda token: token["scope"].split(), role_prefix="group:", permission_prefix="")
    assert scopes({"groups": ["ops"], "scope": "read write"}) == ["group:ops", "read", "write"]


# ----------------------------------------------------------------------------- revocation: current()


class Versions:
    """The users' current session versions, as a database would answer, counting calls."""

    def __init__(self, **versions: int | None) -> None:
        self.versions: dict[str, int | None] = dict(versions)
        self.calls: list[str] = []
        self.down = False
        self.slow = False

    async def __call__(self, user_id: str) -> int | None:
        self.calls.append(user_id)
        if self.slow:
            await anyio.sleep(10)
        if self.down:
            raise ConnectionError("the database is down (test)")
        return self.versions.get(user_id)


async def test_current_compares_the_claim_with_the_users_version() -> None:
    versions = Versions(**{"1": 3})
    fresh = current(versions, ttl=0)
    assert await fresh({**ADMIN, "session_version": 3}, None) is True
    assert await fresh({**ADMIN, "session_version": 2}, None) is False  # signed out everywhere: bumped to 3
    assert await fresh(ADMIN, None) is False  # no claim: a token from before versions
    assert await fresh({**VIEWER, "session_version": 1}, None) is False  # unknown (or banned) user
    assert await fresh({"name": "no sub", "session_version": 3}, None) is False
    assert await fresh(None, None) is False
    assert versions.calls == ["1", "1", "1", "2"]


async def test_versions_are_cached_for_ttl_seconds_per_user() -> None:
    versions = Versions(**{"1": 3, "2": 1})
    check = SessionVersion(versions, ttl=5.0, cache_size=1)
    now = [100.0]
    check._clock = lambda: now[0]
    token = {**ADMIN, "session_version": 3}
    for _ in range(10):
        assert await check(token, None) is True
    assert versions.calls == ["1"]
    versions.versions["1"] = 4  # revoked: denied once the cached answer is older than ttl
    now[0] += 4.9
    assert await check(token, None) is True
    now[0] += 0.2
    assert await check(token, None) is False
    assert versions.calls == ["1", "1"]
    assert await check({**VIEWER, "session_version": 1}, None) is True  # cache_size=1: bounded
    assert len(check._cache) == 1
    check.forget("2")
    assert len(check._cache) == 0


async def test_a_failing_or_slow_check_denies_is_logged_and_not_cached(caplog: pytest.LogCaptureFixture) -> None:
    versions = Versions(**{"1": 3})
    check = SessionVersion(versions, ttl=60.0, timeout=0.05)
    token = {**ADMIN, "session_version": 3}
    versions.down = True
    with caplog.at_level(logging.WARNING, logger="asgi_withauth"):
        assert await check(token, None) is False
        assert await check(token, None) is False
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.WARNING]  # traceback once, then a line
    versions.down, versions.slow = False, True
    with anyio.fail_after(5):
        assert await check(token, None) is False
    versions.slow = False
    assert await check(token, None) is True  # failures were not cached
    assert len(versions.calls) == 4


async def test_current_in_withauth_and_fastapi() -> None:
    versions = Versions(**{"1": 3})
    admins = require(role="admin") & current(versions, ttl=0)
    current_token = session_cookie({**ADMIN, "session_version": 3})
    stale_token = session_cookie({**ADMIN, "session_version": 2})
    async with client(guarded(admins)) as http:
        assert (await http.get("/api/reports", headers=current_token)).text == "ok"
        assert (await http.get("/api/reports", headers=stale_token)).status_code == 403
        versions.down = True
        assert (await http.get("/api/reports", headers=current_token)).status_code == 403  # fails closed

    versions.down = False
    async with client(fastapi_app(Depends(auth.require(admins)))) as http:
        assert (await http.get("/reports", headers=current_token)).json() == {"sub": "1"}
        assert (await http.get("/reports", headers=stale_token)).status_code == 403


async def test_current_reads_database_sessions_by_user_id() -> None:
    versions = Versions(**{"7": 1})
    fresh = current(versions, ttl=0)
    assert await fresh({**DB_SESSION, "user": {**DB_SESSION["user"], "session_version": 1}}, None) is True
    assert await fresh({**DB_SESSION, "user": {**DB_SESSION["user"], "session_version": 0}}, None) is False
    assert await fresh(DB_SESSION, None) is False
    assert versions.calls == ["7", "7", "7"]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="ttl"):
        SessionVersion(Versions(), ttl=-1)
    with pytest.raises(ValueError, match="timeout"):
        SessionVersion(Versions(), timeout=0)
