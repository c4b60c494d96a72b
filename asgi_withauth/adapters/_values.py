"""Values between Python and the tables: times at millisecond precision, ids as the columns type
them (``int`` or ``str``), rows checked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TypeGuard

from asgi_withauth.adapters.base import AdapterSession, AdapterUser
from asgi_withauth.adapters.layout import Layout, TimestampKind
from asgi_withauth.errors import AdapterError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MILLISECOND = timedelta(milliseconds=1)


def to_milliseconds(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to whole milliseconds (a JavaScript Date)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed (UTC), not the naive {moment!r}")
    moment = moment.astimezone(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def epoch_ms(moment: datetime) -> int:
    """An aware datetime as JavaScript's ``Date.valueOf()``: whole milliseconds since the epoch."""
    return (moment - EPOCH) // MILLISECOND


def dump_time(moment: datetime, kind: TimestampKind) -> datetime | int:
    """``moment`` as a column of ``kind`` holds it."""
    moment = to_milliseconds(moment)
    if kind == "epoch_ms":
        return epoch_ms(moment)
    if kind == "timestamp":
        return moment.replace(tzinfo=None)
    return moment


def load_time(value: object) -> datetime:
    """A time as a driver returns it: an aware datetime, a naive one holding UTC, or integer
    milliseconds since the epoch. ValueError for anything else."""
    if isinstance(value, datetime):
        return to_milliseconds(value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc))
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return EPOCH + value * MILLISECOND
        except OverflowError:
            raise ValueError(f"{value} milliseconds is out of range") from None
    raise ValueError(f"not a time: {value!r}"[:200])


def is_id(value: object) -> TypeGuard[str | int]:
    """An id as the tables keep them: an ``int`` (serial columns) or a ``str`` (text ones), never a bool."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


class RowReader:
    """Turns the joined session-and-user row (and the inserts' returned ids) into rows, or says
    which column holds what."""

    def __init__(self, layout: Layout) -> None:
        s, u = layout.sessions_table, layout.users_table
        self._columns = (
            f"{s}.{layout.session_token}",
            f"{s}.{layout.session_user_id}",
            f"{s}.{layout.session_expires}",
            f"{u}.{layout.user_id}",
            f"{u}.{layout.user_name}",
            f"{u}.{layout.user_email}",
            f"{u}.{layout.user_email_verified}",
            f"{u}.{layout.user_image}",
            *([f"{s}.{layout.session_id}"] if layout.session_id else []),  # selected last
        )

    def session_and_user(self, row: Sequence[object]) -> tuple[AdapterSession, AdapterUser]:
        token, user_id, expires, uid, name, email, verified, image, *own_id = row
        session = AdapterSession(
            session_token=self._text(0, token, nullable=False) or "",
            user_id=self._id(1, user_id),
            expires=self._time(2, expires),
            id=self._own_id(own_id),
        )
        user = AdapterUser(
            id=self._id(3, uid),
            name=self._text(4, name),
            email=self._text(5, email),
            image=self._text(7, image),
            email_verified=None if verified is None else self._time(6, verified),
        )
        return session, user

    def user_id(self, value: object) -> str | int:
        """A new user's id as returned by the insert."""
        return self._id(3, value)

    def session_ids(self, row: Sequence[object]) -> tuple[str | int, str | int | None]:
        """A new session's user id and own id (None where the table has none), as returned by the insert."""
        user_id, *own_id = row
        return self._id(1, user_id), self._own_id(own_id)

    def _bad(self, index: int, what: str) -> AdapterError:
        return AdapterError(
            f"{self._columns[index]} {what}: Auth.js adapters never write that; "
            "fix the row, or check that the Layout's names and kinds match the table"
        )

    def _time(self, index: int, value: object) -> datetime:
        if value is None:
            raise self._bad(index, "is NULL")
        try:
            return load_time(value)
        except ValueError as exc:
            raise self._bad(index, f"holds an unreadable time ({exc})") from None

    def _id(self, index: int, value: object) -> str | int:
        if is_id(value):
            return value
        raise self._bad(index, f"holds {type(value).__name__}, not an id")

    def _own_id(self, selected: Sequence[object]) -> str | int | None:
        """The session's own id: selected last where the Layout has it."""
        return self._id(8, selected[0]) if selected else None

    def _text(self, index: int, value: object, *, nullable: bool = True) -> str | None:
        if isinstance(value, str) or (value is None and nullable):
            return value
        raise self._bad(index, f"holds {type(value).__name__}, not text")
