"""The matrix app on Quart: ``add_url_rule`` with every method, ``add_websocket`` (``<x>`` matches any segment)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Quart, request, websocket

from tests.matrix import METHODS, PROTECTED, PROTECTED_ROUTES, PROTECTED_SOCKETS, PUBLIC, PUBLIC_ROUTES, body, protect

quart_app = Quart(__name__, static_folder=None)


def quart_path(path: str) -> str:
    return path.replace("{", "<").replace("}", ">")


def page(kind: str, name: str) -> Callable[..., Awaitable[str]]:
    async def endpoint(**params: Any) -> str:
        return body(kind, name, request.scope)

    return endpoint


def socket(name: str) -> Callable[..., Awaitable[None]]:
    async def endpoint(**params: Any) -> None:
        await websocket.accept()
        await websocket.send(body(PROTECTED, name, websocket.scope))

    return endpoint


for _name, _path in PUBLIC_ROUTES.items():
    quart_app.add_url_rule(quart_path(_path), _name, page(PUBLIC, _name), methods=["GET"])
for _name, _path in PROTECTED_ROUTES.items():
    quart_app.add_url_rule(quart_path(_path), _name, page(PROTECTED, _name), methods=list(METHODS))
for _name, _path in PROTECTED_SOCKETS.items():
    quart_app.add_websocket(quart_path(_path), _name, socket(_name))

app = protect(quart_app)
