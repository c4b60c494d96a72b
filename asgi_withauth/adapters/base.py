"""What a session adapter is: Auth.js's session methods, async, over two kinds of rows.

An adapter reads and writes the tables an Auth.js adapter (``@auth/pg-adapter``, Prisma's,
Drizzle's) keeps for next-auth's database strategy. Any object with these methods will do;
:class:`~asgi_withauth.adapters.SQLiteAdapter` and :class:`~asgi_withauth.adapters.PostgresAdapter`
are the ready ones. Every failure is an :class:`~asgi_withauth.errors.AdapterError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["AdapterSession", "AdapterUser", "SessionAdapter"]


@dataclass(frozen=True, slots=True)
class AdapterUser:
    """A row of the users table. ``id`` keeps the column's type, as Auth.js adapters give it to the
    callbacks: an ``int`` for serial ids (``@auth/pg-adapter``), a ``str`` for text ids (Prisma, Drizzle)."""

    id: str | int
    name: str | None
    email: str | None
    image: str | None
    email_verified: datetime | None  # aware, UTC


@dataclass(frozen=True, slots=True)
class AdapterSession:
    """A row of the sessions table. ``user_id`` and ``id`` keep their columns' types (see
    :class:`AdapterUser`); ``id`` is the row's own key, None where the table has none (Drizzle's)."""

    session_token: str
    user_id: str | int
    expires: datetime  # aware, UTC, millisecond precision (a JavaScript Date)
    id: str | int | None = None


class SessionAdapter(Protocol):
    """Auth.js's session methods (``getSessionAndUser``, ``updateSession``, ``deleteSession``), async.

    ``create_session`` and ``create_user`` serve the demo and the tests: next-auth creates
    sessions when users sign in, in the Next.js app.
    """

    async def get_session_and_user(self, session_token: str) -> tuple[AdapterSession, AdapterUser] | None:
        """The session row and its user's row; None if either is missing."""
        ...

    async def update_session(self, session_token: str, *, expires: datetime) -> None:
        """Set the session's ``expires``."""
        ...

    async def delete_session(self, session_token: str) -> None:
        """Delete the session row (no error if there is none)."""
        ...

    async def create_session(self, *, session_token: str, user_id: str | int, expires: datetime) -> AdapterSession:
        """Insert a session row."""
        ...

    async def create_user(self, *, name: str | None, email: str | None, image: str | None = None) -> AdapterUser:
        """Insert a user row."""
        ...

    async def aclose(self) -> None:
        """Release the connections the adapter opened."""
        ...
