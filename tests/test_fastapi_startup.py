"""``NextAuth`` without a secret: a warning at construction (as ``WithAuth`` gives), then a
401 that says what is wrong from every dependency, with or without a session, never a 500;
the configuration error is logged once.

No ``from __future__ import annotations``: FastAPI must see the local ``auth`` in the routes'
annotations."""

import logging
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, WebSocket

from asgi_withauth.fastapi import NextAuth
from tests.recipes import SECRET
from tests.recipes._harness import client, session_cookie, websocket

pytestmark = pytest.mark.anyio

NO_SECRET = "Sessions cannot be checked: the server has no secret configured."


def app_for(auth: NextAuth) -> FastAPI:
    app = FastAPI()

    @app.get("/token")
    async def token_route(token: Annotated[dict[str, Any] | None, Depends(auth.token)]) -> Any:
        return token

    @app.get("/require")
    async def require_route(token: Annotated[dict[str, Any], Depends(auth.require())]) -> Any:
        return token

    @app.get("/session")
    async def session_route(current: Annotated[dict[str, Any] | None, Depends(auth.session)]) -> Any:
        return current

    @app.websocket("/ws")
    async def ws_route(ws: WebSocket, token: Annotated[dict[str, Any], Depends(auth.require())]) -> None:
        await ws.accept()
        await ws.close()

    return app


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="asgi_withauth")
    return caplog


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and r.name == "asgi_withauth"]


def test_construction_without_a_secret_warns_and_says_what_to_set(logs: pytest.LogCaptureFixture) -> None:
    NextAuth(secret="")
    [warning] = messages(logs, logging.WARNING)
    assert warning.startswith("NextAuth has no secret: ")
    assert "will get a 401" in warning
    assert "Pass secret=... or set NEXTAUTH_SECRET (or AUTH_SECRET) to the Next.js app's secret." in warning


def test_construction_with_a_secret_says_nothing(logs: pytest.LogCaptureFixture) -> None:
    NextAuth(secret=SECRET)
    assert logs.records == []


@pytest.mark.parametrize("path", ["/token", "/require", "/session"])
@pytest.mark.parametrize(
    "headers",
    [{}, session_cookie(), {"authorization": "Bearer not-a-token"}, {"cookie": "next-auth.session-token=junk"}],
    ids=["nothing", "a-session-cookie", "bearer", "junk-cookie"],
)
async def test_every_dependency_gives_a_401_that_names_the_problem(
    logs: pytest.LogCaptureFixture, path: str, headers: dict[str, str]
) -> None:
    app = app_for(NextAuth(secret=""))
    async with client(app) as http:
        response = await http.get(path, headers=headers)
    assert response.status_code == 401  # not 500: the missing secret is no unhandled exception
    assert response.json() == {"detail": NO_SECRET}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_configuration_error_is_logged_once(logs: pytest.LogCaptureFixture) -> None:
    app = app_for(NextAuth(secret=""))
    async with client(app) as http:
        for path in ("/token", "/require", "/session", "/require"):
            assert (await http.get(path, headers=session_cookie())).status_code == 401
    [error] = messages(logs, logging.ERROR)
    assert error.startswith("no secret configured: NextAuth answers 401")
    assert "Set NEXTAUTH_SECRET (or AUTH_SECRET), or pass secret=... to NextAuth." in error


async def test_a_websocket_is_closed_with_1008(logs: pytest.LogCaptureFixture) -> None:
    sent = await websocket(app_for(NextAuth(secret="")), "/ws", headers=session_cookie())
    assert sent[-1]["type"] == "websocket.close"
    assert sent[-1]["code"] == 1008
    assert [m for m in sent if m["type"] == "websocket.accept"] == []


async def test_with_a_secret_the_dependencies_are_unchanged() -> None:
    app = app_for(NextAuth(secret=SECRET))
    async with client(app) as http:
        assert (await http.get("/require", headers=session_cookie())).json()["sub"] == "42"
        assert (await http.get("/token")).json() is None
        assert (await http.get("/require")).json() == {"detail": "Sign in first: no valid session."}
