"""The matrix app on Litestar: ``route`` handlers (``{x:str}`` matches any segment), ``websocket``."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, WebSocket, route, websocket
from litestar.handlers import BaseRouteHandler
from litestar.types import Method

from tests.matrix import METHODS, PROTECTED, PROTECTED_ROUTES, PROTECTED_SOCKETS, PUBLIC, PUBLIC_ROUTES, body, protect


def litestar_path(path: str) -> str:
    return path.replace("}", ":str}")


def page(kind: str, name: str, methods: list[Method]) -> BaseRouteHandler:
    async def endpoint(request: Request[Any, Any, Any]) -> str:
        return body(kind, name, request.scope)

    path = litestar_path({**PUBLIC_ROUTES, **PROTECTED_ROUTES}[name])
    return route(path, http_method=methods, name=name, status_code=200)(endpoint)


def socket(name: str) -> BaseRouteHandler:
    async def endpoint(socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        await socket.send_text(body(PROTECTED, name, socket.scope))
        await socket.close()

    return websocket(litestar_path(PROTECTED_SOCKETS[name]), name=name)(endpoint)


def _every_method() -> list[Method]:
    # HEAD handlers may not answer a body in Litestar: the others, OPTIONS included.
    return [method for method in METHODS if method != "HEAD"]


handlers: list[BaseRouteHandler] = [
    *(page(PUBLIC, name, ["GET"]) for name in PUBLIC_ROUTES),
    *(page(PROTECTED, name, _every_method()) for name in PROTECTED_ROUTES),
    *(socket(name) for name in PROTECTED_SOCKETS),
]
app = protect(Litestar(route_handlers=handlers))
