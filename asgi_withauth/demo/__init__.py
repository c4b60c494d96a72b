"""The demo behind ``asgi-withauth demo``: every part of the library in one small Starlette app.

In production a Next.js app with next-auth signs users in and writes the
``next-auth.session-token`` cookie; a Python back end only reads it. Here ``/login`` stands
in for that front end: it mints the same cookie (``jwt.encode`` with the shared secret,
written with next-auth's attributes and chunking). The rest is how a real back end looks::

    path                  who may enter         everyone else gets
    /, /login, /logout    everyone              (not matched: nothing is decoded)
    /dashboard, /chat     a valid session       307 to /login?callbackUrl=<the path>
    /ws (websocket)       a valid session       403 before the handshake
    /admin/:path*         role == "admin"       no session: 307 to /login; other users: a 403 page
    /api/admin/:path*     role == "admin"       401 / 403 JSON
    /api/:path*           a valid session       401 JSON

With ``asgi-withauth demo --database`` (``build_app(database="demo.db")``) the sessions live in
SQLite instead, in ``@auth/pg-adapter``'s ``users`` and ``sessions`` tables, as next-auth's
``database`` strategy keeps them: ``/login`` inserts a session row and sets its random token
as the cookie, ``/logout`` deletes the row, and ``WithAuth(adapter=...)`` looks tokens up.

Run it with ``asgi-withauth demo``, or ``serve(host="127.0.0.1", port=8000, secret=...)``
(``database=path`` for database sessions).
"""

from ..errors import DemoDependencyError
from .app import build_app, cleared_session_cookies, safe_callback_url, serve, session_cookies

__all__ = [
    "DemoDependencyError",
    "build_app",
    "cleared_session_cookies",
    "safe_callback_url",
    "serve",
    "session_cookies",
]
