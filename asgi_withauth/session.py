"""``get_server_session``: next-auth's getServerSession (jwt strategy) for ASGI handlers.

Reads the session cookie (never a Bearer header), decodes it, runs the ``jwt`` callback,
builds next-auth's default session, runs the ``session`` callback and returns its result.
On the way it re-encodes the token with a fresh ``exp`` and produces the ``Set-Cookie``
headers next-auth would send (sliding expiry, chunked as needed). An invalid token, or a
callback that fails, gives None and clears the session cookies. Only a missing secret raises.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.cookies import BaseCookie
from typing import Any, Final

from .errors import CallbackError, MissingSecretError
from .jwt import DEFAULT_LEEWAY, DEFAULT_MAX_AGE, Secret, Version
from .refresh import ALWAYS, SessionRefresher, SessionTooLargeError
from .token import Conn, reader_for, scope_of

__all__ = ["CallbackError", "ServerSession", "get_server_session", "load_server_session"]

logger = logging.getLogger("asgi_withauth")

Callback = Callable[..., Any]
"""A next-auth callback, sync or async, in keyword style (``def session(session, token)``)
or dict style (``def session(params)`` with ``params["session"]``, like JavaScript's
``({ session, token }) => ...``)."""


@dataclass(frozen=True)
class ServerSession:
    """The session (or None) and the ``Set-Cookie`` header values to send with the response."""

    session: dict[str, Any] | None
    set_cookie: list[str] = field(default_factory=list)

    def apply(self, response: Any) -> None:
        """Add the cookies to a response: Starlette/FastAPI (``raw_headers``), Quart, Werkzeug
        and Litestar's ``ASGIResponse`` (``headers.add``), Django (``cookies``). Others: send
        ``set_cookie`` as ``Set-Cookie`` headers yourself."""
        if not self.set_cookie:
            return
        raw = getattr(response, "raw_headers", None)
        if isinstance(raw, list):
            raw.extend((b"set-cookie", value.encode("latin-1")) for value in self.set_cookie)
            return
        add = getattr(getattr(response, "headers", None), "add", None)
        if callable(add):
            for value in self.set_cookie:
                add("Set-Cookie", value)
            return
        jar = getattr(response, "cookies", None)
        if isinstance(jar, BaseCookie):
            for value in self.set_cookie:
                jar.load(value)
            return
        raise TypeError(
            f"cannot add headers to a {type(response).__name__}; call load_server_session() and send "
            "its set_cookie values as Set-Cookie headers"
        )


def _iso_ms(moment: float) -> str:
    """JavaScript's ``Date.prototype.toISOString()``: milliseconds and ``Z``."""
    stamp = datetime.fromtimestamp(moment, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@functools.lru_cache(maxsize=256)
def _dict_style(callback: Callback) -> bool:
    """Whether ``callback`` takes one ``params`` dict rather than keyword arguments."""
    try:
        parameters = list(inspect.signature(callback).parameters.values())
    except (TypeError, ValueError):
        return False
    names = {p.name for p in parameters}
    if names & {"token", "session"} or any(p.kind is p.VAR_KEYWORD for p in parameters):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 1


async def _invoke(callback: Callback, **params: Any) -> Any:
    if _dict_style(callback):
        result = callback(params)
    else:
        accepted = inspect.signature(callback).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            params = {k: v for k, v in params.items() if k in accepted}
        result = callback(**params)
    if inspect.isawaitable(result):
        result = await result
    return result


def _json_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CallbackError(f"the {what} callback returned {type(value).__name__}; it must return a dict")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CallbackError(f"the {what} callback returned something that is not JSON: {exc}") from None
    return value


def _default_session(token: Mapping[str, Any], expires: str) -> dict[str, Any]:
    """next-auth's default session; claims the token lacks are left out (undefined in JSON)."""
    user = {key: token[claim] for key, claim in _USER_CLAIMS if claim in token}
    return {"user": user, "expires": expires}


_USER_CLAIMS: Final = (("name", "name"), ("email", "email"), ("image", "picture"))


async def load_server_session(
    conn: Conn,
    *,
    secret: Secret | None = None,
    callbacks: Mapping[str, Callback] | None = None,
    max_age: int | None = None,
    update_age: int = ALWAYS,
    session: Mapping[str, Any] | None = None,
    cookie_name: str | None = None,
    cookies: Mapping[str, Mapping[str, Any]] | None = None,
    salt: str | None = None,
    version: Version | None = None,
    secure_cookie: bool | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> ServerSession:
    """The session and the cookies to send, as next-auth's session route computes them.

    See :func:`get_server_session` for the options.
    """
    session_options = dict(session or {})
    max_age = max_age if max_age is not None else int(session_options.get("maxAge", DEFAULT_MAX_AGE))
    update_age = update_age or int(session_options.get("updateAge", ALWAYS))
    token_cookie = dict((cookies or {}).get("sessionToken") or {})
    reader = reader_for(
        secret=secret,
        salt=salt,
        secure_cookie=secure_cookie,
        cookie_name=cookie_name or token_cookie.get("name"),
        version=version,
        leeway=leeway,
    )
    if not reader.configured:
        raise MissingSecretError()
    scope = scope_of(conn)
    refresher = SessionRefresher(
        reader, max_age=max_age, update_age=update_age, cookie_options=token_cookie.get("options")
    )
    found = reader.find(scope, bearer=False)
    if found is None:  # no session cookie, or one that cannot be used (a missing chunk): clear that
        broken = reader.unusable_cookie(scope)
        return ServerSession(None, refresher.clear(broken, scope) if broken else [])
    raw, source = found
    decoded = reader.decode_as(raw, source)
    if decoded is None or decoded.version is None:
        return ServerSession(None, refresher.clear(source.cookie_name, scope))
    token, used_version, used_salt = decoded.claims(), decoded.version, decoded.salt
    original = decoded.claims()
    callbacks = dict(callbacks or {})
    try:
        # The callback gets the decoded token itself: v4 builds session.user from that object.
        new_token = _json_object(await _invoke(callbacks.get("jwt") or _same_token, token=token), "jwt")
        now = time.time()
        default = _default_session(token if used_version == 4 else new_token, _iso_ms(now + max_age))
        result = await _invoke(callbacks.get("session") or _same_session, session=default, token=new_token)
        headers = (
            refresher.write(
                new_token, cookie_name=source.cookie_name, version=used_version, salt=used_salt, scope=scope
            )
            if refresher.due(original, now) or new_token != original
            else []
        )
        if result is None:  # as next-auth: no session, but the token is fine and stays
            logger.error("JWT_SESSION_ERROR: the session callback returned None, so there is no session")
            return ServerSession(None, headers)
        result = _json_object(result, "session")
    except Exception as exc:
        logger.error(
            "JWT_SESSION_ERROR: %s: %s; the session cookie is cleared and there is no session",
            type(exc).__name__,
            exc,
            exc_info=not isinstance(exc, CallbackError | SessionTooLargeError),
        )
        return ServerSession(None, refresher.clear(source.cookie_name, scope))
    if used_version == 4 and not result:  # v4's getServerSession returns null for an empty session
        return ServerSession(None, headers)
    return ServerSession(result, headers)


def _same_token(token: dict[str, Any]) -> dict[str, Any]:
    return token


def _same_session(session: dict[str, Any]) -> dict[str, Any]:
    return session


async def get_server_session(
    conn: Conn,
    *,
    response: Any = None,
    secret: Secret | None = None,
    callbacks: Mapping[str, Callback] | None = None,
    max_age: int | None = None,
    update_age: int = ALWAYS,
    session: Mapping[str, Any] | None = None,
    cookie_name: str | None = None,
    cookies: Mapping[str, Mapping[str, Any]] | None = None,
    salt: str | None = None,
    version: Version | None = None,
    secure_cookie: bool | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> dict[str, Any] | None:
    """next-auth's ``getServerSession`` (jwt strategy): the session, or None.

    ``callbacks={"jwt": f, "session": g}`` as in next-auth's options (sync or async; keyword
    or dict style). ``max_age`` (or ``session={"maxAge": ...}``) sets the new expiry,
    default 30 days. The refreshed cookies go onto ``response`` when given (Starlette,
    FastAPI, Quart, Litestar responses); with none they are dropped: use
    :func:`load_server_session` to send them yourself. ``update_age`` (or
    ``session={"updateAge": ...}``) skips rewriting a cookie issued less than that many
    seconds ago and unchanged by the callbacks (next-auth rewrites it every time).
    Raises :class:`~asgi_withauth.errors.MissingSecretError` without a secret.
    """
    result = await load_server_session(
        conn,
        secret=secret,
        callbacks=callbacks,
        max_age=max_age,
        update_age=update_age,
        session=session,
        cookie_name=cookie_name,
        cookies=cookies,
        salt=salt,
        version=version,
        secure_cookie=secure_cookie,
        leeway=leeway,
    )
    if response is not None:
        result.apply(response)
    return result.session
