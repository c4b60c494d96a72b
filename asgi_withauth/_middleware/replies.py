"""What WithAuth answers on its own: redirects, 4xx and websocket refusals."""

from __future__ import annotations

import json
import logging
from typing import Final

from starlette.types import Receive, Scope, Send

__all__ = ["Reply", "WebSocketDenial", "cross_site_denial", "plain", "redirect", "status_response"]

logger = logging.getLogger("asgi_withauth")


class Reply:
    """A small complete HTTP response with ``Cache-Control: no-store``, sent as two ASGI
    messages (denials are built per request: no Response object needed)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.status = status
        self.headers = [*headers, (b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode())]
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def redirect(location: str, status: int = 307) -> Reply:
    """A redirect to ``location`` (307, next-auth's status, unless told otherwise)."""
    return Reply(status, [(b"location", location.encode("latin-1"))])


_STATUS_BODIES: Final = {
    401: {"error": "unauthorized", "message": "Sign in first: this request carries no valid session."},
    403: {"error": "forbidden", "message": "This session is not allowed to access this resource."},
}
_JSON: Final = (b"content-type", b"application/json")


def status_response(status: int) -> Reply:
    """401 (with ``WWW-Authenticate: Bearer``) or 403, with a JSON body saying why."""
    headers = [_JSON, (b"www-authenticate", b"Bearer")] if status == 401 else [_JSON]
    return Reply(status, headers, json.dumps(_STATUS_BODIES[status]).encode())


_CROSS_SITE: Final = json.dumps(
    {
        "error": "cross_site_request",
        "message": "Refused: a request that changes state, sent with the session cookie from another site. "
        "Send it from this site or a trusted origin (CrossSiteProtection(trusted_origins=[...])).",
    }
).encode()


def cross_site_denial(scope: Scope) -> Reply | WebSocketDenial:
    """The 403 for a refused cross-site write (a refused handshake for a websocket)."""
    if scope["type"] == "websocket":
        return WebSocketDenial(403)
    return Reply(403, [_JSON], _CROSS_SITE)


class WebSocketDenial:
    """Refuse a websocket before accepting it: an HTTP response where the server offers
    ``websocket.http.response``, else a close with code 1008 (policy violation)."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "websocket.http.response" in (scope.get("extensions") or {}):
            body = json.dumps(_STATUS_BODIES.get(self.status, {"error": "refused"})).encode()
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": self.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})


async def plain(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    """A plain-text answer (a websocket is refused with ``status`` instead)."""
    if scope["type"] == "websocket":
        await WebSocketDenial(status)(scope, receive, send)
        return
    await Reply(status, [(b"content-type", b"text/plain; charset=utf-8")], text.encode())(scope, receive, send)
