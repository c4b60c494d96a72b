"""Litestar behind WithAuth: the token from ``request.scope``, the session with its cookies."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar, Request, WebSocket, get, websocket
from litestar.response.base import ASGIResponse

from asgi_withauth import Rule, WithAuth, load_server_session
from tests.recipes import SECRET


@get("/")
async def home() -> dict[str, str]:
    return {"page": "public"}


@get(["/dashboard", "/api/me"])
async def me(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"sub": request.scope["nextauth"]["token"]["sub"]}  # type: ignore[typeddict-item]


@get("/session")
async def session(request: Request[Any, Any, Any]) -> ASGIResponse:
    result = await load_server_session(request, secret=SECRET)
    cookies = [("set-cookie", cookie) for cookie in result.set_cookie]
    return ASGIResponse(body=json.dumps(result.session).encode(), headers=cookies)


@websocket("/ws")
async def ws(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    await socket.send_json({"sub": socket.scope["nextauth"]["token"]["sub"]})  # type: ignore[typeddict-item]
    await socket.close()


litestar_app = Litestar(route_handlers=[home, me, session, ws])
app = WithAuth(
    litestar_app,
    secret=SECRET,
    matcher=["/dashboard/:path*", "/ws"],
    rules=[Rule("/api/:path*", deny="status")],
)
