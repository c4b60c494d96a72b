"""Where an Auth.js adapter keeps users and sessions: table and column names, id and time kinds.

Three presets match the official adapters' default schemas:

- :data:`PG_ADAPTER`: ``@auth/pg-adapter``'s schema.sql: ``users`` and ``sessions``, serial
  integer ids (sessions have one too), ``expires timestamptz``.
- :data:`PRISMA`: ``@auth/prisma-adapter``'s models: ``"User"`` and ``"Session"`` (keyed by
  ``"sessionToken"``), cuid text ids made by the client, ``timestamp(3)`` without time zone
  holding UTC on PostgreSQL.
- :data:`DRIZZLE`: ``@auth/drizzle-adapter``'s tables: ``"user"`` and ``"session"``
  (``"sessionToken"`` primary key), random-UUID text ids, ``timestamp`` without time zone
  holding UTC on PostgreSQL.

On SQLite every timestamp is integer milliseconds since the epoch (what Prisma and Drizzle
write there); :class:`~asgi_withauth.adapters.SQLiteAdapter` switches any layout to that.
Renamed tables or columns: ``dataclasses.replace(PRISMA, sessions_table="auth_session")``; a
Prisma ``Session`` model with ``id String @id @default(cuid())`` (older schemas, and the Prisma
docs' MySQL and SQLite ones): ``replace(PRISMA, session_id="id")``.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from dataclasses import dataclass, fields
from typing import Literal

from asgi_withauth.errors import ConfigurationError

__all__ = ["DRIZZLE", "PG_ADAPTER", "PRISMA", "IdKind", "Layout", "TimestampKind"]

TimestampKind = Literal["timestamptz", "timestamp", "epoch_ms"]
"""How a column holds a time: ``timestamptz``; ``timestamp`` (without time zone, holding UTC);
``epoch_ms`` (an integer, milliseconds since 1970-01-01 UTC)."""

IdKind = Literal["serial", "cuid", "uuid"]
"""How a new row's id is made (users', and sessions' where they have one): by the database
(``serial``, read back as an ``int``), or by the client as a cuid-like string (Prisma's
``@default(cuid())``) or a random UUID (Drizzle's ``crypto.randomUUID()``)."""

TIMESTAMP_KINDS: tuple[TimestampKind, ...] = ("timestamptz", "timestamp", "epoch_ms")
ID_KINDS: tuple[IdKind, ...] = ("serial", "cuid", "uuid")
_OPTIONAL_NAMES = frozenset({"session_id", "updated_at"})

# Plain SQL identifiers: quoted once when queries are built, so case is kept; no quotes, no
# '%' (psycopg's placeholder), nothing longer than PostgreSQL keeps (63 bytes).
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
_CUID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class Layout:
    """Table and column names of the users and sessions tables, and how ids and times are kept."""

    users_table: str = "users"
    sessions_table: str = "sessions"
    user_id: str = "id"
    user_name: str = "name"
    user_email: str = "email"
    user_email_verified: str = "emailVerified"
    user_image: str = "image"
    session_token: str = "sessionToken"  # noqa: S105 (a column name)
    session_user_id: str = "userId"
    session_expires: str = "expires"
    session_id: str | None = "id"
    """The sessions table's own key column; None where the token is the key (Drizzle, Prisma)."""
    ids: IdKind = "serial"
    timestamps: TimestampKind = "timestamptz"
    updated_at: str | None = None
    """A column set to the current time on every row this library writes, in both tables (for
    Prisma schemas with ``updatedAt DateTime @updatedAt``, which the database does not fill)."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "ids":
                _check_choice(item.name, value, ID_KINDS)
            elif item.name == "timestamps":
                _check_choice(item.name, value, TIMESTAMP_KINDS)
            elif item.name in _OPTIONAL_NAMES and value is None:
                continue
            elif not (isinstance(value, str) and _IDENTIFIER.fullmatch(value)):
                raise ConfigurationError(
                    f"Layout.{item.name}={value!r} is not a plain SQL name: use letters, digits, '_' or '$' "
                    "(at most 63, not starting with a digit); it is quoted, so case is kept"
                )

    def new_id(self) -> str | None:
        """A new row's id (a user's, or a session's) as the client makes it; None when the database
        makes it (``serial``)."""
        if self.ids == "cuid":
            return "c" + "".join(secrets.choice(_CUID_ALPHABET) for _ in range(24))
        if self.ids == "uuid":
            return str(uuid.uuid4())
        return None


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigurationError(f"Layout.{name}={value!r}: use one of {', '.join(map(repr, choices))}")


PG_ADAPTER = Layout()
"""``@auth/pg-adapter`` (schema.sql): ``users(id serial, name, email, "emailVerified"
timestamptz, image)``, ``sessions(id serial, "userId" integer, expires timestamptz,
"sessionToken" varchar(255))``."""

PRISMA = Layout(users_table="User", sessions_table="Session", session_id=None, ids="cuid", timestamps="timestamp")
"""``@auth/prisma-adapter`` (its schema.prisma): ``"User"`` (cuid text ids), ``"Session"`` keyed
by ``"sessionToken"``, no ``id``; ``timestamp(3)`` without time zone holding UTC on PostgreSQL,
integer milliseconds on SQLite."""

DRIZZLE = Layout(users_table="user", sessions_table="session", session_id=None, ids="uuid", timestamps="timestamp")
"""``@auth/drizzle-adapter``: ``"user"``, ``"session"`` (``"sessionToken"`` primary key; text
ids; ``timestamp`` without time zone holding UTC on PostgreSQL, integer milliseconds on SQLite)."""
