"""``SessionRoute``: next-auth's ``/api/auth/session`` route as an ASGI app, for apps that send
that path to Python (Next.js ``rewrites``, or one proxy in front of both apps).

``GET`` answers the session JSON as next-auth's route does (``{}`` without a session in v4,
``null`` in v5). ``POST {"csrfToken": ..., "data": ...}`` is next-auth's session update
(``useSession().update(data)``): the CSRF token must match next-auth's csrf cookie
(``next-auth.csrf-token`` / ``authjs.csrf-token``, ``__Host-`` over https, value
``token|sha256(token + secret)``), else 400 as in next-auth.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from ._request.headers import request_cookies
from .crosssite import csrf_cookie_names, csrf_verified
from .errors import SessionUpdateError
from .options import AuthOptions
from .sessions import ServerSession, sessions_for

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import AuthKwargs

__all__ = ["SessionRoute"]

logger = logging.getLogger("asgi_withauth")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY: Final = 64 * 1024  # an update's data is bounded by the session token's size anyway
_NO_CACHE: Final = [(b"cache-control", b"private, no-cache, no-store"), (b"pragma", b"no-cache"), (b"expires", b"0")]


class SessionRoute:
    """An ASGI app answering next-auth's ``/api/auth/session``: GET the session, POST an update.

    Mount it where next-auth's session route would be (``/api/auth/session``), with the same
    options as :func:`~asgi_withauth.get_server_session`: ``SessionRoute(options=AUTH)``.
    """

    def __init__(self, *, options: AuthOptions | None = None, **kwargs: Unpack[AuthKwargs]) -> None:
        self.options = AuthOptions.build(options, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise TypeError("SessionRoute answers HTTP requests only")
        method = scope.get("method", "GET")
        sessions = sessions_for(self.options)
        if method in ("GET", "HEAD"):
            result = await sessions.load_session(scope)
            await self._answer(send, 200, self._body(result, scope), result.set_cookie, _NO_CACHE)
            return
        if method != "POST":
            await self._answer(send, 405, {}, [], [(b"allow", b"GET, HEAD, POST")])
            return
        body = await _read_json(receive)
        if body is None or not self._csrf_ok(scope, body):
            # next-auth: 400, never a redirect on an API route; the body {} (v4) or null (Auth.js)
            await self._answer(send, 400, self._empty(scope), [], [])
            return
        try:
            result = await sessions.update_session(scope, body.get("data"))
        except SessionUpdateError as exc:
            logger.warning("SESSION_UPDATE_ERROR: %s; the session is left as it was", exc)
            await self._answer(send, 400, {"error": exc.code}, [], [])
            return
        await self._answer(send, 200, self._body(result, scope), result.set_cookie, [])

    def _csrf_ok(self, scope: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
        secret = self.options.resolved_secret
        if secret is None:
            return False
        cookies = request_cookies(scope)
        token = body.get("csrfToken")
        return any(csrf_verified(cookies.get(name), token, secret) for name in csrf_cookie_names(self.options, scope))

    def _body(self, result: ServerSession, scope: Mapping[str, Any]) -> Any:
        """next-auth's body: the session; without one :meth:`_empty`."""
        return result.session if result.session is not None else self._empty(scope)

    def _empty(self, scope: Mapping[str, Any]) -> Any:
        """No session: ``{}`` as next-auth v4 answers, ``null`` as Auth.js does. Without a
        ``version`` option, the request's cookie names tell (Auth.js's are ``authjs.*``)."""
        version = self.options.version
        if version is None:
            version = 5 if any(_AUTHJS_NAME.match(name) for name in request_cookies(scope)) else 4
        return None if version == 5 else {}

    @staticmethod
    async def _answer(send: Send, status: int, body: Any, cookies: list[str], extra: list[tuple[bytes, bytes]]) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        headers += extra
        headers += [(b"set-cookie", value.encode("latin-1")) for value in cookies]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _read_json(receive: Receive) -> dict[str, Any] | None:
    """The request body as a JSON object, or None (not JSON, not an object, over MAX_BODY)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    try:
        body = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


_AUTHJS_NAME: Final = re.compile(r"(?:__Secure-|__Host-)?authjs\.")
