"""FastAPI behind WithAuth: the token and the session through ``asgi_withauth.fastapi.NextAuth``'s
dependencies (which reuse the token WithAuth decoded)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, WebSocket

from asgi_withauth import Rule, WithAuth
from asgi_withauth.fastapi import NextAuth
from tests.recipes import SECRET

auth = NextAuth(secret=SECRET)
fastapi_app = FastAPI()


@fastapi_app.get("/")
async def home() -> dict[str, str]:
    return {"page": "public"}


@fastapi_app.get("/dashboard")
@fastapi_app.get("/api/me")
async def me(token: Annotated[dict[str, Any], Depends(auth.require())]) -> dict[str, str]:
    return {"sub": token["sub"]}


@fastapi_app.get("/session")
async def session(current: Annotated[dict[str, Any] | None, Depends(auth.session)]) -> Any:
    return current  # the refreshed cookies are on FastAPI's response


@fastapi_app.websocket("/ws")
async def ws(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_json({"sub": socket.scope["nextauth"]["token"]["sub"]})
    await socket.close()


app = WithAuth(
    fastapi_app,
    secret=SECRET,
    matcher=["/dashboard/:path*", "/ws"],
    rules=[Rule("/api/:path*", deny="status")],
)
