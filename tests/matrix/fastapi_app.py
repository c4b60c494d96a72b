"""The matrix app on FastAPI: ``api_route`` with every method, ``websocket`` routes."""

from __future__ import annotations

from fastapi import FastAPI

from tests.matrix import METHODS, PROTECTED, PROTECTED_ROUTES, PROTECTED_SOCKETS, PUBLIC, PUBLIC_ROUTES, protect
from tests.matrix.starlette_app import page, socket  # the same handlers: FastAPI is Starlette

fastapi_app = FastAPI()


for _name, _path in PUBLIC_ROUTES.items():
    fastapi_app.get(_path)(page(PUBLIC, _name))
for _name, _path in PROTECTED_ROUTES.items():
    fastapi_app.api_route(_path, methods=list(METHODS))(page(PROTECTED, _name))
for _name, _path in PROTECTED_SOCKETS.items():
    fastapi_app.websocket(_path)(socket(_name))

app = protect(fastapi_app)
