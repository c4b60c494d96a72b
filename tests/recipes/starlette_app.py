"""Starlette with WithAuth in its middleware list: the token from ``request.scope``, the session
through ``load_server_session`` and ``ServerSession.apply``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from asgi_withauth import Rule, WithAuth, load_server_session
from tests.recipes import SECRET


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"page": "public"})


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"sub": request.scope["nextauth"]["token"]["sub"]})


async def session(request: Request) -> JSONResponse:
    result = await load_server_session(request, secret=SECRET)
    response = JSONResponse(result.session)
    result.apply(response)  # the refreshed cookies, on response.raw_headers
    return response


async def ws(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_json({"sub": socket.scope["nextauth"]["token"]["sub"]})
    await socket.close()


routes = [
    Route("/", home),
    Route("/dashboard", me),
    Route("/api/me", me),
    Route("/session", session),
    WebSocketRoute("/ws", ws),
]
starlette_app = Starlette(routes=routes)
"""The same routes without WithAuth (for the tests that wrap them in their own)."""
app = Starlette(
    routes=routes,
    middleware=[
        Middleware(
            WithAuth,
            secret=SECRET,
            matcher=["/dashboard/:path*", "/ws"],
            rules=[Rule("/api/:path*", deny="status")],
        )
    ],
)
