"""A :class:`SessionAdapter` over a blocking database driver, each call in a worker thread.

anyio's worker threads run the driver, so the adapters work on asyncio and trio alike. The
driver part (an :class:`Engine`) runs one statement per call and turns every driver failure
into an :class:`~asgi_withauth.errors.AdapterError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Protocol

import anyio.to_thread

from asgi_withauth.adapters._sql import Statement, Statements
from asgi_withauth.adapters._values import RowReader, dump_time, is_id, to_milliseconds
from asgi_withauth.adapters.base import AdapterSession, AdapterUser
from asgi_withauth.adapters.layout import Layout
from asgi_withauth.errors import AdapterError

Row = Sequence[object]


class Engine(Protocol):
    """One database behind a blocking driver; every method raises only AdapterError."""

    def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run one statement; its first row (None if none). Changes are committed."""
        ...

    def close(self) -> None:
        """Release the connections (further calls raise AdapterError)."""
        ...


def checked_token(session_token: object) -> str:
    if not isinstance(session_token, str):
        raise AdapterError(f"a session token is a str, not {type(session_token).__name__}")
    return session_token


def checked_user_id(user_id: object) -> str | int:
    if not is_id(user_id):
        raise AdapterError(f"a user id is a str or an int, not {type(user_id).__name__}")
    return user_id


class ThreadedAdapter:
    """Auth.js's session methods over an :class:`Engine` and a :class:`Layout`."""

    def __init__(self, engine: Engine, *, layout: Layout, placeholder: str) -> None:
        self.layout = layout
        self._engine = engine
        self._statements = Statements.build(layout, placeholder=placeholder)
        self._rows = RowReader(layout)

    async def _run(self, statement: Statement) -> Row | None:
        sql, params = statement
        return await anyio.to_thread.run_sync(self._engine.fetch_one, sql, params)

    def _time(self, moment: datetime) -> datetime | int:
        return dump_time(moment, self.layout.timestamps)

    def _now(self) -> datetime | int:
        return self._time(datetime.now(timezone.utc))

    async def get_session_and_user(self, session_token: str) -> tuple[AdapterSession, AdapterUser] | None:
        """The session row and its user's row (one query, a join); None if either is missing."""
        row = await self._run(self._statements.session_and_user(checked_token(session_token)))
        return None if row is None else self._rows.session_and_user(row)

    async def update_session(self, session_token: str, *, expires: datetime) -> None:
        """Set the session's ``expires`` (cut to milliseconds); a missing row is left missing."""
        token = checked_token(session_token)
        await self._run(self._statements.update_session(token, expires=self._time(expires), now=self._now()))

    async def delete_session(self, session_token: str) -> None:
        """Delete the session row; no error if there is none."""
        await self._run(self._statements.delete_session(checked_token(session_token)))

    async def create_session(self, *, session_token: str, user_id: str | int, expires: datetime) -> AdapterSession:
        """Insert a session row for ``user_id``; its own id (where the Layout has one) comes from
        the database or the Layout's id kind. The ids returned are as the table keeps them."""
        token, owner = checked_token(session_token), checked_user_id(user_id)
        new_id = self.layout.new_id() if self.layout.session_id else None
        statement = self._statements.create_session(
            new_id, token, user_id=owner, expires=self._time(expires), now=self._now()
        )
        row = await self._run(statement)
        if not row:
            raise AdapterError(f"inserting into {self.layout.sessions_table} returned no row")
        kept_user_id, own_id = self._rows.session_ids(row)
        return AdapterSession(session_token=token, user_id=kept_user_id, expires=to_milliseconds(expires), id=own_id)

    async def create_user(self, *, name: str | None, email: str | None, image: str | None = None) -> AdapterUser:
        """Insert a user row; its id comes from the database or the Layout's id kind."""
        new_id = self.layout.new_id()
        statement = self._statements.create_user(new_id, name=name, email=email, image=image, now=self._now())
        row = await self._run(statement)
        if not row:
            raise AdapterError(f"inserting into {self.layout.users_table} returned no id")
        return AdapterUser(id=self._rows.user_id(row[0]), name=name, email=email, image=image, email_verified=None)

    async def aclose(self) -> None:
        """Close the connections this adapter opened."""
        await anyio.to_thread.run_sync(self._engine.close)
