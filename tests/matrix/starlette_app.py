"""The matrix app on Starlette: ``Route`` and ``WebSocketRoute`` (``{x}`` matches any segment)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.matrix import METHODS, PROTECTED, PROTECTED_ROUTES, PROTECTED_SOCKETS, PUBLIC, PUBLIC_ROUTES, body, protect


def page(kind: str, name: str) -> Callable[[Request], Awaitable[PlainTextResponse]]:
    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(body(kind, name, request.scope))

    return endpoint


def socket(name: str) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(body(PROTECTED, name, websocket.scope))
        await websocket.close()

    return endpoint


routes: list[BaseRoute] = [
    *(Route(path, page(PUBLIC, name)) for name, path in PUBLIC_ROUTES.items()),
    *(Route(path, page(PROTECTED, name), methods=list(METHODS)) for name, path in PROTECTED_ROUTES.items()),
    *(WebSocketRoute(path, socket(name)) for name, path in PROTECTED_SOCKETS.items()),
]
app = protect(Starlette(routes=routes))
