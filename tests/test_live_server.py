"""WithAuth behind a real uvicorn on 127.0.0.1, driven by real HTTP and websocket clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from asgi_withauth import Rule, WithAuth, jwt
from tests.asgi import cookie_header
from tests.servers import running

SECRET = "live-server-secret"


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"sub": request.scope["nextauth"]["token"]["sub"], "path": request.url.path})


async def feed(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(websocket.scope["nextauth"]["token"]["sub"])
    await websocket.close()


def build_app() -> Starlette:
    return Starlette(
        routes=[Route("/me", me), Route("/api/me", me), WebSocketRoute("/ws", feed)],
        middleware=[Middleware(WithAuth, secret=SECRET, rules=[Rule("/api/:path*", deny="status")])],
    )


@pytest.fixture(scope="module", params=["websockets-sansio", "wsproto"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    with running(build_app(), ws=request.param) as address:
        yield address


def session_cookie(sub: str = "live-user") -> str:
    return cookie_header({"next-auth.session-token": jwt.encode({"sub": sub}, SECRET)})


def test_redirect_then_allowed(server: str) -> None:
    with httpx2.Client(base_url=f"http://{server}", follow_redirects=False) as client:
        denied = client.get("/me?x=1")
        assert denied.status_code == 307
        assert denied.headers["location"] == f"http://{server}/api/auth/signin?callbackUrl=%2Fme%3Fx%3D1"
        allowed = client.get("/me", headers={"cookie": session_cookie()})
        assert allowed.json() == {"sub": "live-user", "path": "/me"}
        assert client.get("/api/me").status_code == 401
        dotted = client.get("/x/%2e%2e/me")  # never the handler without a session
        assert (dotted.status_code, dotted.headers["location"]) == (308, "/me")


def test_websocket_refused_then_accepted(server: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{server}/ws", open_timeout=5).close()
    assert refused.value.response.status_code == 403
    with connect(f"ws://{server}/ws", additional_headers={"cookie": session_cookie("ws-user")}, open_timeout=5) as ws:
        assert ws.recv(timeout=5) == "ws-user"
