"""Quart behind WithAuth: the token from ``request.scope``; ``ServerSession.apply`` fits Quart responses."""

from __future__ import annotations

from quart import Quart, Response, jsonify, request, websocket

from asgi_withauth import Rule, WithAuth, load_server_session
from tests.recipes import SECRET

quart_app = Quart(__name__)


@quart_app.get("/")
async def home() -> dict[str, str]:
    return {"page": "public"}


@quart_app.get("/dashboard")
@quart_app.get("/api/me")
async def me() -> dict[str, str]:
    return {"sub": request.scope["nextauth"]["token"]["sub"]}  # type: ignore[typeddict-item]


@quart_app.get("/session")
async def session() -> Response:
    result = await load_server_session(request, secret=SECRET)
    response = jsonify(result.session)
    result.apply(response)  # the refreshed cookies, through response.headers.add
    return response


@quart_app.websocket("/ws")
async def ws() -> None:
    await websocket.accept()
    await websocket.send_json({"sub": websocket.scope["nextauth"]["token"]["sub"]})  # type: ignore[typeddict-item]


app = WithAuth(
    quart_app,
    secret=SECRET,
    matcher=["/dashboard/:path*", "/ws"],
    rules=[Rule("/api/:path*", deny="status")],
)
