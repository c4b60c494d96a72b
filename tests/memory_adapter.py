"""An in-memory session adapter for tests: Auth.js's session methods over two dicts, counting
every call, with a switch that makes every call fail (a database that is down)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from asgi_withauth.adapters.base import AdapterSession, AdapterUser
from asgi_withauth.errors import AdapterError
from asgi_withauth.sessions import database


@dataclass
class MemoryAdapter:
    users: dict[str | int, AdapterUser] = field(default_factory=dict)
    sessions: dict[str, AdapterSession] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    down: bool = False

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise AdapterError("the database is down (test)")

    async def get_session_and_user(self, session_token: str) -> tuple[AdapterSession, AdapterUser] | None:
        self._call("get_session_and_user")
        session = self.sessions.get(session_token)
        if session is None or session.user_id not in self.users:
            return None
        return session, self.users[session.user_id]

    async def update_session(self, session_token: str, *, expires: datetime) -> None:
        self._call("update_session")
        self.sessions[session_token] = replace(self.sessions[session_token], expires=expires)

    async def delete_session(self, session_token: str) -> None:
        self._call("delete_session")
        self.sessions.pop(session_token, None)

    async def create_session(self, *, session_token: str, user_id: str | int, expires: datetime) -> AdapterSession:
        self._call("create_session")
        session = AdapterSession(session_token=session_token, user_id=user_id, expires=expires)
        self.sessions[session_token] = session
        return session

    async def create_user(self, *, name: str | None, email: str | None, image: str | None = None) -> AdapterUser:
        self._call("create_user")
        user = AdapterUser(id=str(len(self.users) + 1), name=name, email=email, image=image, email_verified=None)
        self.users[user.id] = user
        return user

    async def aclose(self) -> None:
        return None

    def add(self, token: str, *, expires_in: float, name: str | None = "Ada", email: str | None = "ada@x.test") -> None:
        """A user and a session expiring ``expires_in`` seconds from now (millisecond precision)."""
        user = AdapterUser(id=str(len(self.users) + 1), name=name, email=email, image=None, email_verified=None)
        self.users[user.id] = user
        now = datetime.fromtimestamp(int(database.now() * 1000) / 1000, tz=timezone.utc)
        expires = now + timedelta(seconds=expires_in)
        self.sessions[token] = AdapterSession(session_token=token, user_id=user.id, expires=expires)
