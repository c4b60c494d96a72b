"""Cross-site write protection as ASGI: the check with a body that is read once and replayed,
and ``CrossSiteMiddleware`` for apps without ``WithAuth``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.types import Message, Receive, Scope, Send

from ..crosssite import DEFAULT_PROTECTION, MAX_TOKEN_BODY, CrossSiteCheck, CrossSiteProtection
from ..options import AuthOptions
from ..sessions import SessionStrategy, sessions_for
from .replies import cross_site_denial

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..options import AuthKwargs

__all__ = ["CrossSiteMiddleware", "cross_site_check", "cross_site_refusal", "double_submit_refusal"]


class ReplayedBody:
    """Reads the request body for the check (at most :data:`MAX_TOKEN_BODY` bytes), then hands
    the messages it read to the app, and the rest as they come: nothing is lost or read twice."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._messages: list[Message] = []

    async def read(self) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            self._messages.append(message)
            if message["type"] != "http.request":
                return None  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_TOKEN_BODY:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def receive(self) -> Message:
        if self._messages:
            return self._messages.pop(0)
        return await self._receive()


def cross_site_check(
    protection: CrossSiteProtection,
    sessions: SessionStrategy,
    *,
    public_url: str | None = None,
    trust_forwarded: bool = False,
) -> CrossSiteCheck:
    """``protection`` bound to the sessions it guards."""
    return CrossSiteCheck(
        protection,
        sessions.options,
        session_cookie=sessions.has_session_cookie,
        public_url=public_url,
        trust_forwarded=trust_forwarded,
    )


async def cross_site_refusal(check: CrossSiteCheck, scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """Why the request is refused as a cross-site write (None: it passes), and the ``receive``
    the app must use from now on (the body may have been read for a double-submit token)."""
    reason = check.refusal_now(scope)
    if reason is not None or not check.double_submit:
        return reason, receive
    return await double_submit_refusal(check, scope, receive)


async def double_submit_refusal(check: CrossSiteCheck, scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The double-submit half of :func:`cross_site_refusal`, for a request the origin rule passed."""
    if scope["type"] != "http":
        return None, receive
    body = ReplayedBody(receive)
    reason = await check.token_refusal(scope, body.read)
    return reason, body.receive


class CrossSiteMiddleware:
    """Cross-site write protection without ``WithAuth``: unsafe requests that carry the session
    cookie and come from another site (``Sec-Fetch-Site``, else ``Origin``) get a 403 before the
    app runs. Takes the options of the sessions it protects (``options=`` or keyword arguments,
    for the cookie names and, with ``double_submit``, the secret) and a :class:`CrossSiteProtection`.
    """

    def __init__(
        self,
        app: Callable[[Any, Any, Any], Awaitable[None]],
        *,
        protection: CrossSiteProtection = DEFAULT_PROTECTION,
        options: AuthOptions | None = None,
        public_url: str | None = None,
        trust_forwarded: bool = False,
        **kwargs: Unpack[AuthKwargs],
    ) -> None:
        self.app = app
        self.options = AuthOptions.build(options, **kwargs)
        self.sessions = sessions_for(self.options)
        self.check = cross_site_check(protection, self.sessions, public_url=public_url, trust_forwarded=trust_forwarded)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            reason, receive = await cross_site_refusal(self.check, scope, receive)
            if reason is not None:
                await cross_site_denial(scope)(scope, receive, send)
                return
        await self.app(scope, receive, send)
