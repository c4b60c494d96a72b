"""FastAPI's dependencies declare their security schemes (the session cookie, HTTP Bearer), so
``/docs`` has an Authorize button, and a token from ``asgi-withauth mint`` pasted there works."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI

from asgi_withauth import require
from asgi_withauth.fastapi import NextAuth
from tests.asgi import cookie_header
from tests.recipes import SECRET
from tests.recipes._harness import client
from tests.test_cli import run_command

pytestmark = pytest.mark.anyio

auth = NextAuth(secret=SECRET)
admins = auth.require(require(role="admin"))
app = FastAPI()


@app.get("/token")
async def token_route(token: Annotated[dict[str, Any] | None, Depends(auth.token)]) -> Any:
    return {"sub": token and token["sub"]}


@app.get("/admin")
async def admin(token: Annotated[dict[str, Any], Depends(admins)]) -> Any:
    return {"admin": token["sub"]}


@app.get("/session")
async def session_route(current: Annotated[dict[str, Any] | None, Depends(auth.session)]) -> Any:
    return current


@app.get("/public")
async def public() -> Any:
    return "hello"


BOTH: list[dict[str, list[str]]] = [{"NextAuthCookie": []}, {"NextAuthBearer": []}]  # either one: OpenAPI's "or"


def test_openapi_declares_the_cookie_and_bearer_schemes() -> None:
    schema = app.openapi()
    assert schema["components"]["securitySchemes"] == {
        "NextAuthCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "next-auth.session-token",
            "description": "next-auth's session cookie (set by signing in to the Next.js app).",
        },
        "NextAuthBearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWE",
            "description": "A next-auth session token, e.g. from `asgi-withauth mint --claims ...`.",
        },
    }
    paths = schema["paths"]
    assert paths["/token"]["get"]["security"] == BOTH
    assert paths["/admin"]["get"]["security"] == BOTH
    assert paths["/session"]["get"]["security"] == [{"NextAuthCookie": []}]  # getServerSession reads cookies only
    assert "security" not in paths["/public"]["get"]
    for path in ("/token", "/admin", "/session"):
        assert "parameters" not in paths[path]["get"]  # the schemes are no query or cookie parameters


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"cookie_name": "my.session"}, "my.session"),
        ({"version": 5}, "authjs.session-token"),
        ({"secure_cookie": True}, "__Secure-next-auth.session-token"),
    ],
)
def test_the_cookie_scheme_names_the_configured_cookie(settings: dict[str, Any], name: str) -> None:
    assert NextAuth(secret=SECRET, **settings).cookie_scheme.model.name == name


@pytest.fixture(scope="module")
def minted() -> str:
    claims = json.dumps({"sub": "1", "name": "Ada", "role": "admin"})
    result = run_command("mint", "--claims", claims, NEXTAUTH_SECRET=SECRET)
    assert result.code == 0, result.err
    return result.out.strip()


async def test_a_minted_token_works_as_bearer_and_as_the_cookie(minted: str) -> None:
    bearer = {"authorization": f"Bearer {minted}"}  # what /docs sends after Authorize
    cookie = {"cookie": cookie_header({"next-auth.session-token": minted})}
    async with client(app) as http:
        assert (await http.get("/token", headers=bearer)).json() == {"sub": "1"}
        assert (await http.get("/admin", headers=bearer)).json() == {"admin": "1"}
        assert (await http.get("/admin", headers=cookie)).json() == {"admin": "1"}
        assert (await http.get("/session", headers=cookie)).json()["user"] == {"name": "Ada"}
    async with client(app) as http:  # a new client: no cookie jar from the session's refresh
        anonymous = await http.get("/admin")
        assert anonymous.status_code == 401  # the schemes never answer for the dependency (auto_error=False)
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert (await http.get("/admin", headers={"authorization": "Bearer not-a-token"})).status_code == 401
        assert (await http.get("/token", headers={"cookie": "next-auth.session-token=junk"})).json() == {"sub": None}


async def test_the_dependencies_still_work_when_called_directly() -> None:
    from starlette.requests import Request

    assert await auth.token(Request({"type": "http", "headers": [], "path": "/"})) is None
