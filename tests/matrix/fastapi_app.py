"""The matrix app on FastAPI: ``api_route`` with every method, ``websocket`` routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import PlainTextResponse

from tests.matrix import METHODS, PROTECTED, PROTECTED_ROUTES, PROTECTED_SOCKETS, PUBLIC, PUBLIC_ROUTES, body, protect

fastapi_app = FastAPI()


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


for _name, _path in PUBLIC_ROUTES.items():
    fastapi_app.get(_path)(page(PUBLIC, _name))
for _name, _path in PROTECTED_ROUTES.items():
    fastapi_app.api_route(_path, methods=list(METHODS))(page(PROTECTED, _name))
for _name, _path in PROTECTED_SOCKETS.items():
    fastapi_app.websocket(_path)(socket(_name))

app = protect(fastapi_app)
