"""Where the demo's sessions live, in next-auth's two strategies.

- :class:`JwtMode` (the default): the session is the cookie, a JWE encrypted with the secret
  next-auth shares (its ``jwt`` strategy).
- :class:`DatabaseMode` (``asgi-withauth demo --database``): the session is a row in SQLite,
  in ``@auth/pg-adapter``'s ``users`` and ``sessions`` tables, and the cookie holds only its
  random token (next-auth's ``database`` strategy, the default as soon as an app has an adapter).

The routes in ``app.py`` ask the mode to sign users in and out and to say who is signed in;
everything else (``WithAuth``, ``get_token``, ``load_server_session``) reads the one
:class:`~asgi_withauth.AuthOptions` the mode holds.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import uuid
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Protocol

import anyio.to_thread

from .. import AuthOptions, jwt
from ..adapters import PG_ADAPTER, AdapterError, SQLiteAdapter
from ..options import DEFAULT_LOOKUP_TTL

__all__ = ["MAX_AGE", "DatabaseMode", "JwtMode", "Mode"]

MAX_AGE: Final = jwt.DEFAULT_MAX_AGE  # next-auth's default session lifetime: 30 days

_COMMON: Final[dict[str, Any]] = {
    "pages": {"signIn": "/login"},  # next-auth's spelling; sign_in_page="/login" also works
    # The demo runs on plain http on a loopback address, so next-auth would use the unprefixed
    # cookie name: a NEXTAUTH_URL in your environment must not change that.
    "secure_cookie": False,
    "auth_path": "/api/auth",  # next-auth's own routes (none here), whatever NEXTAUTH_URL says
}


class Mode(Protocol):
    """One session strategy of the demo."""

    @property
    def options(self) -> AuthOptions:
        """For ``WithAuth``, ``get_token`` and ``load_server_session`` alike (with the ``session`` callback)."""
        ...

    @property
    def database(self) -> str | None:
        """The SQLite file of the database mode; None in the JWT mode."""
        ...

    async def sign_in(self, *, name: str, email: str, role: str, previous: str | None) -> str:
        """Start a session (``previous``: the session cookie's old value); returns the cookie's new value."""
        ...

    async def sign_out(self, cookie: str | None) -> None:
        """End the session whose cookie value is ``cookie``."""
        ...

    async def viewer(self, token: dict[str, Any] | None) -> dict[str, Any] | None:
        """Who ``token`` (what WithAuth or get_token found) is, for the pages: name, email, sub, role."""
        ...

    async def session_callback(self, session: dict[str, Any], **params: Any) -> dict[str, Any]:
        """next-auth's ``session`` callback: add the user's id and role to the session."""
        ...

    async def aclose(self) -> None:
        """Release what the mode holds (at shutdown)."""
        ...


class JwtMode:
    """next-auth's ``jwt`` strategy: the session is an encrypted token in the cookie."""

    database = None

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the demo needs a secret (the one a next-auth front end would share)")
        self.secret = secret
        self.options = AuthOptions.build(secret=secret, callbacks={"session": self.session_callback}, **_COMMON)

    async def sign_in(self, *, name: str, email: str, role: str, previous: str | None) -> str:
        claims = {  # next-auth v4's default token, plus the role a jwt callback would add
            "name": name,
            "email": email,
            "picture": None,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, "mailto:" + email.lower())),  # a stable user id
            "role": role,
        }
        return jwt.encode(claims, self.secret, max_age=MAX_AGE)  # adds iat, exp, jti

    async def sign_out(self, cookie: str | None) -> None:
        return None  # nothing to forget: clearing the cookie ends the session

    async def viewer(self, token: dict[str, Any] | None) -> dict[str, Any] | None:
        return token  # the claims say it all

    async def session_callback(self, session: dict[str, Any], **params: Any) -> dict[str, Any]:
        token = params["token"]
        session["user"]["id"] = token.get("sub")
        session["user"]["role"] = token.get("role")
        return session

    async def aclose(self) -> None:
        return None


# The demo's own table: an app would add a column to "users"; the adapter's tables stay as
# @auth/pg-adapter's schema.sql makes them.
_ROLES_TABLE: Final = 'CREATE TABLE IF NOT EXISTS demo_roles ("userId" TEXT PRIMARY KEY NOT NULL, role TEXT NOT NULL)'
_SET_ROLE: Final = (
    'INSERT INTO demo_roles ("userId", role) VALUES (?, ?) ON CONFLICT ("userId") DO UPDATE SET role = excluded.role'
)
_GET_ROLE: Final = 'SELECT role FROM demo_roles WHERE "userId" = ?'
# next-auth's getUserByEmail, in PG_ADAPTER's names (its email provider lower-cases addresses)
_USER_BY_EMAIL: Final = "SELECT id FROM users WHERE lower(email) = lower(?)"


class DatabaseMode:
    """next-auth's ``database`` strategy over SQLite, in ``@auth/pg-adapter``'s tables.

    Signing in does what next-auth does after a provider has vouched for the user: find the
    user row by email or create it, insert a session row with a random token, and set the
    token as the cookie. ``WithAuth(adapter=...)`` then looks the token up (trusting a lookup
    for ``lookup_ttl`` seconds), and ``load_server_session`` reads, extends and re-sets it.
    """

    def __init__(self, path: str | os.PathLike[str], *, lookup_ttl: float = DEFAULT_LOOKUP_TTL) -> None:
        self.database = os.fspath(path)
        self.adapter = SQLiteAdapter(self.database, layout=PG_ADAPTER, create_tables=True)
        self.options = AuthOptions.build(
            adapter=self.adapter, lookup_ttl=lookup_ttl, callbacks={"session": self.session_callback}, **_COMMON
        )
        self._ready = False

    async def sign_in(self, *, name: str, email: str, role: str, previous: str | None) -> str:
        await self._prepare()
        user_id = await self._user_id(name=name, email=email)
        await self._query(_SET_ROLE, (str(user_id), role))
        if previous:  # the cookie is about to be replaced: its session row would only linger
            await self.adapter.delete_session(previous)
        token = secrets.token_hex(32)  # next-auth v4's generateSessionToken: 32 random bytes as hex
        expires = datetime.now(timezone.utc) + timedelta(seconds=MAX_AGE)
        await self.adapter.create_session(session_token=token, user_id=user_id, expires=expires)
        return token

    async def sign_out(self, cookie: str | None) -> None:
        if cookie:  # next-auth's signOut: deleteSession, then the cookie is cleared
            await self.adapter.delete_session(cookie)

    async def viewer(self, token: dict[str, Any] | None) -> dict[str, Any] | None:
        if token is None:
            return None
        user = token["user"]
        return {"name": user["name"], "email": user["email"], "sub": user["id"], "role": await self.role(user["id"])}

    async def session_callback(self, session: dict[str, Any], **params: Any) -> dict[str, Any]:
        user = params["user"]  # the user row: next-auth's database strategy passes it, not a token
        session["user"]["id"] = user["id"]
        session["user"]["role"] = await self.role(user["id"])
        return session

    async def role(self, user_id: str | int) -> str | None:
        """The user's role in the demo's own table (None: none recorded)."""
        await self._prepare()
        row = await self._query(_GET_ROLE, (str(user_id),))
        return None if row is None else str(row[0])

    async def aclose(self) -> None:
        await self.adapter.aclose()

    async def _user_id(self, *, name: str, email: str) -> str | int:
        """The id of the user with this email, the row created if new."""
        found = await self._find_user(email)
        if found is not None:
            return found
        try:
            return (await self.adapter.create_user(name=name, email=email)).id
        except AdapterError:  # the same new address signed in twice at once: the other insert won
            found = await self._find_user(email)
            if found is None:
                raise
            return found

    async def _find_user(self, email: str) -> str | int | None:
        """next-auth's getUserByEmail: the id as its column types it (an int here), or None."""
        row = await self._query(_USER_BY_EMAIL, (email,))
        if row is None:
            return None
        found: str | int = row[0]
        return found

    async def _prepare(self) -> None:
        """Create the tables on first use: the adapter makes its own when it first connects."""
        if not self._ready:
            await self.adapter.get_session_and_user("")
            await self._query(_ROLES_TABLE, ())
            self._ready = True

    async def _query(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        """One statement on a connection of its own, in a worker thread; the first row."""
        return await anyio.to_thread.run_sync(self._query_now, sql, params)

    def _query_now(self, sql: str, params: Sequence[object]) -> tuple[Any, ...] | None:
        with closing(sqlite3.connect(self.database, timeout=5.0, isolation_level=None)) as connection:
            row: tuple[Any, ...] | None = connection.execute(sql, params).fetchone()
            return row
