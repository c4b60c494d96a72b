"""The SQL an adapter runs, built once from a :class:`Layout`: names quoted, values as parameters."""

from __future__ import annotations

from dataclasses import dataclass

from asgi_withauth.adapters.layout import Layout

Statement = tuple[str, tuple[object, ...]]


def quote(name: str) -> str:
    """A quoted identifier (the Layout has checked it holds no quote)."""
    return f'"{name}"'


@dataclass(frozen=True, slots=True)
class Statements:
    """The adapter's statements for one Layout and one driver's placeholder (``?`` or ``%s``).

    Each method returns ``(sql, params)``; times and ids arrive in the database's form.
    """

    select_session_and_user: str
    update_expires: str
    delete: str
    insert_session: str
    insert_user: str
    touches: bool  # writes also set the Layout's updated_at column

    @classmethod
    def build(cls, layout: Layout, *, placeholder: str) -> Statements:
        s, u = quote(layout.sessions_table), quote(layout.users_table)
        token, expires = quote(layout.session_token), quote(layout.session_expires)
        session_user = quote(layout.session_user_id)
        user_columns = [layout.user_id, layout.user_name, layout.user_email, layout.user_email_verified]
        user_columns.append(layout.user_image)
        session_id = [quote(layout.session_id)] if layout.session_id else []
        selected = [f"s.{c}" for c in (token, session_user, expires)]
        selected += [*(f"u.{quote(c)}" for c in user_columns), *(f"s.{c}" for c in session_id)]
        touched = [quote(layout.updated_at)] if layout.updated_at else []

        def insert(table: str, columns: list[str], returning: str = "") -> str:
            values = ", ".join([placeholder] * len(columns))
            return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}){returning}"

        user_id = quote(layout.user_id)
        given = layout.ids != "serial"  # serial ids come from the column's default; others from the client
        new_user = [quote(c) for c in (layout.user_name, layout.user_email, layout.user_image)]
        return cls(
            select_session_and_user=(
                f"SELECT {', '.join(selected)}"
                f" FROM {s} AS s JOIN {u} AS u ON u.{user_id} = s.{session_user}"
                f" WHERE s.{token} = {placeholder} LIMIT 1"
            ),
            update_expires=(
                f"UPDATE {s} SET {expires} = {placeholder}"
                + "".join(f", {c} = {placeholder}" for c in touched)
                + f" WHERE {token} = {placeholder}"
            ),
            delete=f"DELETE FROM {s} WHERE {token} = {placeholder}",
            insert_session=insert(
                s,
                [*(session_id if given else []), token, session_user, expires, *touched],
                f" RETURNING {', '.join([session_user, *session_id])}",
            ),
            insert_user=insert(u, [*([user_id] if given else []), *new_user, *touched], f" RETURNING {user_id}"),
            touches=bool(touched),
        )

    def session_and_user(self, token: str) -> Statement:
        return self.select_session_and_user, (token,)

    def update_session(self, token: str, *, expires: object, now: object) -> Statement:
        return self.update_expires, (expires, *self._touch(now), token)

    def delete_session(self, token: str) -> Statement:
        return self.delete, (token,)

    def create_session(
        self, session_id: str | None, token: str, *, user_id: str | int, expires: object, now: object
    ) -> Statement:
        """``session_id``: None for serial ids or a table without one. Returns the user id, then the id."""
        given = () if session_id is None else (session_id,)
        return self.insert_session, (*given, token, user_id, expires, *self._touch(now))

    def create_user(
        self, user_id: str | None, *, name: str | None, email: str | None, image: str | None, now: object
    ) -> Statement:
        """``user_id``: None for serial ids (the database makes them). Returns the id."""
        given = () if user_id is None else (user_id,)
        return self.insert_user, (*given, name, email, image, *self._touch(now))

    def _touch(self, now: object) -> tuple[object, ...]:
        return (now,) if self.touches else ()


def sqlite_tables(layout: Layout) -> tuple[str, ...]:
    """``CREATE TABLE IF NOT EXISTS`` for the Layout's users and sessions tables on SQLite
    (times as integer milliseconds, as Prisma and Drizzle keep them there)."""
    id_type = "INTEGER PRIMARY KEY" if layout.ids == "serial" else "TEXT PRIMARY KEY NOT NULL"
    ref_type = "INTEGER" if layout.ids == "serial" else "TEXT"
    touched = f", {quote(layout.updated_at)} INTEGER" if layout.updated_at else ""
    users, user_id = quote(layout.users_table), quote(layout.user_id)
    # the token is the key where the table has no id column of its own (Drizzle's, Prisma's)
    session_key = f"{quote(layout.session_id)} {id_type}, " if layout.session_id else ""
    token_type = "TEXT NOT NULL UNIQUE" if layout.session_id else "TEXT PRIMARY KEY NOT NULL"
    return (
        f"CREATE TABLE IF NOT EXISTS {users} ({user_id} {id_type}, {quote(layout.user_name)} TEXT, "
        f"{quote(layout.user_email)} TEXT UNIQUE, {quote(layout.user_email_verified)} INTEGER, "
        f"{quote(layout.user_image)} TEXT{touched})",
        f"CREATE TABLE IF NOT EXISTS {quote(layout.sessions_table)} ({session_key}"
        f"{quote(layout.session_token)} {token_type}, "
        f"{quote(layout.session_user_id)} {ref_type} NOT NULL REFERENCES {users}({user_id}) ON DELETE CASCADE, "
        f"{quote(layout.session_expires)} INTEGER NOT NULL{touched})",
    )
