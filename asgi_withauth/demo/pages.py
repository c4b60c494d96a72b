"""HTML for the demo app (``asgi_withauth.demo``): plain server-rendered pages.

Every value that comes from a user or a token goes through :func:`html.escape` here;
the routes in ``app.py`` pass raw values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any, Final
from urllib.parse import urlencode

__all__ = ["admin", "chat", "dashboard", "forbidden", "home", "login", "page"]

_STYLE: Final = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 0 auto; padding: 0 1rem 3rem; color: #222; }
header { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; padding: .75rem 0;
         border-bottom: 1px solid #ddd; margin-bottom: 1rem; }
header .who { margin-left: auto; color: #555; min-width: 0; max-width: 100%; }
header .who strong { display: inline-block; max-width: 12rem; overflow: hidden; text-overflow: ellipsis;
                     white-space: nowrap; vertical-align: bottom; }
header .role { white-space: nowrap; }
header, main { overflow-wrap: anywhere; }
header form { display: inline; }
a { color: #0550ae; }
pre { background: #f5f5f5; padding: .75rem; overflow-x: auto; border-radius: 4px; }
code { background: #f5f5f5; padding: 0 .2rem; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #eee; }
label { display: block; margin: .5rem 0; }
input, select { font: inherit; padding: .25rem; min-width: min(18rem, 100%); max-width: 100%; box-sizing: border-box; }
button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem .75rem; }
.error { background: #fdecea; border-left: 4px solid #d93025; padding: .5rem .75rem; }
""".strip()


_HEADER_CHARS: Final = 40
"""The most characters of a name (or role) the header shows; longer ones end in an ellipsis."""


def _name(token: Mapping[str, Any] | None) -> str:
    if not token:
        return ""
    return str(token.get("name") or token.get("email") or token.get("sub") or "someone")


def _short(text: str, limit: int = _HEADER_CHARS) -> str:
    """``text``, or its first ``limit - 1`` characters and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _json(value: Any) -> str:
    return escape(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def page(title: str, body: str, *, user: Mapping[str, Any] | None = None) -> str:
    """The layout: a navigation bar (who is signed in, a sign-out button) around ``body``."""
    if user:
        who = (  # a long name would flood the header: shortened here, and CSS ellipsizes what is left
            f'<span class="who">Signed in as <strong>{escape(_short(_name(user)))}</strong> '
            f'<span class="role">(role: {escape(_short(str(user.get("role", "-"))))})</span></span>'
            '<form method="post" action="/logout"><button type="submit">Sign out</button></form>'
        )
    else:
        who = '<span class="who">Not signed in</span><a href="/login">Sign in</a>'
    nav = " ".join(
        f'<a href="{href}">{label}</a>'
        for href, label in (
            ("/", "Home"),
            ("/dashboard", "Dashboard"),
            ("/admin", "Admin"),
            ("/chat", "Chat"),
            ("/api/me", "/api/me"),
        )
    )
    full_title = title if title.startswith("asgi_withauth") else f"{title} · asgi_withauth demo"
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(full_title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><header>{nav}{who}</header>\n<main>\n<h1>{escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )


def home(*, user: Mapping[str, Any] | None, cookie_name: str, origin: str, database: str | None = None) -> str:
    url = escape(origin)
    me = "the session and user rows as JSON" if database else "the token's claims as JSON"
    rows = "".join(
        f"<tr><td>{link}</td><td>{protection}</td><td>{what}</td></tr>"
        for link, protection, what in (
            ('<a href="/dashboard">/dashboard</a>', "signed in", "the session from <code>get_server_session</code>"),
            ('<a href="/admin">/admin</a>', "role <code>admin</code>", "no session: sign-in page; a user: a 403 page"),
            ('<a href="/chat">/chat</a>, <code>/ws</code>', "signed in", "a websocket refused before the handshake"),
            ('<a href="/api/me">/api/me</a>', "signed in", f"{me}; 401 JSON without a session"),
            ('<a href="/api/admin/users">/api/admin/users</a>', "role <code>admin</code>", "401 / 403 JSON"),
            ('<a href="/login">/login</a>, <code>/logout</code>', "public", "sign in and out"),
        )
    )
    status = (
        f"<p>You are signed in as <strong>{escape(_name(user))}</strong>. "
        "This public page read your session with <code>get_token</code>.</p>"
        if user
        else '<p>You are not signed in. Open <a href="/dashboard">the dashboard</a>: you will be sent to the '
        "sign-in page and, once signed in, back to the dashboard.</p>"
    )
    return page(
        "asgi_withauth demo",
        f"""
<p>A Python (Starlette) back end that trusts the session cookie a Next.js + next-auth front end
writes. <code>WithAuth</code> protects the routes below the way next-auth's <code>withAuth</code>
middleware protects a Next.js app; handlers read the session with <code>get_server_session</code>
or the decoded token from <code>scope["nextauth"]["token"]</code>.</p>
{_home_mode(cookie_name, database)}
{status}
<h2>Try</h2>
<table><tr><th>Path</th><th>Who may enter</th><th>What you see</th></tr>{rows}</table>
<h2>From a terminal</h2>
{_terminal(url, cookie_name, database)}
""",
        user=user,
    )


def _home_mode(cookie_name: str, database: str | None) -> str:
    """What the sign-in stand-in writes, in the mode the demo runs in."""
    cookie = f"<code>{escape(cookie_name)}</code>"
    if database is None:
        return f"""<p class="note">There is no Next.js here: <a href="/login">the sign-in form</a> is a local stand-in
for one. It writes the {cookie} cookie, encrypted with this run's secret,
exactly as next-auth would. A real next-auth app sharing the secret would be accepted the same way.</p>"""
    return f"""<p class="note"><strong>Database sessions</strong> (next-auth's <code>database</code> strategy).
There is no Next.js here: <a href="/login">the sign-in form</a> is a local stand-in for one. It
writes a row to the <code>sessions</code> table of <code>{escape(database)}</code> (SQLite, with
<code>@auth/pg-adapter</code>'s tables) and sets the {cookie} cookie to the row's random token,
exactly as next-auth would. <code>WithAuth(adapter=...)</code> looks the token up;
<code>get_server_session</code> reads and extends the row. A next-auth app writing the same
tables would be accepted the same way.</p>"""


_SHOW_ROWS: Final = 'SELECT * FROM sessions JOIN users ON users.id = sessions."userId"'


def _terminal(url: str, cookie_name: str, database: str | None) -> str:
    """curl command lines for the mode the demo runs in."""
    cookie = escape(cookie_name)
    if database is None:
        return f"""<pre># no session: 401 JSON
curl -i {url}/api/me
# a next-auth token as a Bearer header, or as the session cookie
curl -i -H "Authorization: Bearer $TOKEN" {url}/api/me
curl -i -b "{cookie}=$TOKEN" {url}/api/me</pre>
<p>Mint <code>$TOKEN</code> with <code>asgi-withauth mint --claims '{{"sub": "1", "role": "admin"}}'</code>
and <code>NEXTAUTH_SECRET</code> set to the secret printed when the demo started.</p>"""
    return f"""<pre># no session: 401 JSON
curl -i {url}/api/me
# the session token your browser got, as the session cookie
curl -i -b "{cookie}=$TOKEN" {url}/api/me
# the rows behind it
sqlite3 {escape(database)} '{escape(_SHOW_ROWS)}'</pre>
<p><code>$TOKEN</code> is the value of the {cookie} cookie (64 hex digits); a Bearer header
carries no database session. Delete its row and, within a few seconds (the lookup cache),
the API answers 401.</p>"""


def login(
    *,
    callback_url: str | None,
    user: Mapping[str, Any] | None,
    error: str | None = None,
    values: Mapping[str, str],
    database: str | None = None,
    going_to: str | None = None,
) -> str:
    """The sign-in form; ``going_to`` is where signing in really leads (``callback_url`` when
    it is a path on this site)."""
    action = "/login" + ("?" + urlencode({"callbackUrl": callback_url}) if callback_url else "")
    role = values.get("role", "user")
    options = "".join(
        f'<option value="{value}"{" selected" if value == role else ""}>{value}</option>' for value in ("user", "admin")
    )
    signed_in = (
        f"<p>You are signed in as <strong>{escape(_name(user))}</strong>; signing in again replaces that session.</p>"
        if user
        else ""
    )
    problem = f'<p class="error">{escape(error)}</p>' if error else ""
    going = _going(callback_url, going_to)
    return page(
        "Sign in",
        f"""
<p class="note"><strong>A local stand-in for a Next.js + next-auth front end.</strong> No password:
whatever you enter becomes the session. In production next-auth signs users in and sets this
cookie; the Python side only reads it.</p>
{signed_in}{problem}{going}
<form method="post" action="{escape(action)}">
<label>Name <input name="name" required maxlength="3000" value="{escape(values.get("name", "Ada Lovelace"))}"></label>
<label>Email <input name="email" type="email" required maxlength="254"
  value="{escape(values.get("email", "ada@example.com"))}"></label>
<label>Role <select name="role">{options}</select></label>
<button type="submit">Sign in</button>
</form>
{_login_mode(database)}
""",
        user=user,
    )


def _going(callback_url: str | None, going_to: str | None) -> str:
    """Where signing in leads: back to ``callbackUrl``, or (a foreign one) where it goes instead."""
    if not callback_url:
        return ""
    if going_to is None or going_to == callback_url:
        return f"<p>After signing in you go back to <code>{escape(callback_url)}</code>.</p>"
    return (
        f"<p>After signing in you go to <code>{escape(going_to)}</code>: the <code>callbackUrl</code> "
        f"<code>{escape(callback_url)}</code> is not a path on this site, and following it would be an "
        "open redirect.</p>"
    )


def _login_mode(database: str | None) -> str:
    """What signing in writes, in the mode the demo runs in."""
    if database is None:
        return """<p>The session token holds <code>name</code>, <code>email</code>, <code>picture</code> and
<code>sub</code> (next-auth's defaults) plus <code>role</code>, the claim a <code>jwt</code> callback would add.
A very long name makes a token over one cookie's size: it is then split into <code>.0</code>, <code>.1</code>, ...
cookies, as next-auth does.</p>"""
    return """<p>Signing in finds your row in <code>users</code> by email (or creates it), inserts a row in
<code>sessions</code> with a random token and an expiry 30 days ahead, and sets that token as the
cookie: next-auth's <code>database</code> strategy. An email seen before signs in as its row (the
name stays as first entered). The role goes to the demo's own <code>demo_roles</code> table: the
adapter's tables stay as <code>@auth/pg-adapter</code> creates them.</p>"""


def dashboard(
    *, session: Any, token: Mapping[str, Any], user: Mapping[str, Any] | None = None, database: str | None = None
) -> str:
    if database is None:
        refresh = "also re-issues the session cookie with a fresh expiry (sliding expiry)."
        found = "The decoded token <code>WithAuth</code> checked (next-auth's <code>req.nextauth.token</code>)."
    else:
        refresh = (
            "also re-sets the session cookie with a fresh expiry, and extends the session row once its "
            "last extension is a day old (next-auth's <code>updateAge</code>)."
        )
        found = (
            "The session and user rows <code>WithAuth</code> looked up by the cookie's token (one query, "
            "then trusted for a few seconds)."
        )
    return page(
        "Dashboard",
        f"""
<p>Only signed-in users get here: <code>WithAuth</code> sent everyone else to the sign-in page.</p>
<h2><code>get_server_session(request)</code></h2>
<p>next-auth's <code>getServerSession</code>: the default session plus what this app's
<code>session</code> callback adds (<code>user.id</code>, <code>user.role</code>). This response
{refresh}</p>
{_session_block(session, database)}
<h2><code>request.scope["nextauth"]["token"]</code></h2>
<p>{found}</p>
<pre>{_json(dict(token))}</pre>
""",
        user=token if user is None else user,
    )


def _session_block(session: Any, database: str | None) -> str:
    if session is None and database is not None:  # the row went after WithAuth's (cached) lookup
        return (
            "<p><strong>No session</strong>: <code>get_server_session</code> found no row for the cookie "
            "(deleted since <code>WithAuth</code>'s cached lookup), and cleared it.</p>"
        )
    if session is None:  # e.g. a Bearer token: WithAuth accepts it, getServerSession reads only cookies
        return "<p><strong>No session</strong>: <code>get_server_session</code> reads only the session cookie.</p>"
    return f"<pre>{_json(session)}</pre>"


def admin(*, token: Mapping[str, Any]) -> str:
    return page(
        "Admin",
        f"""
<p>Only tokens with <code>role == "admin"</code> get here:
<code>Rule("/admin/:path*", authorized=admins_only)</code>.</p>
<p>Welcome, {escape(_name(token))}. The JSON version of this area is
<a href="/api/admin/users">/api/admin/users</a>.</p>
""",
        user=token,
    )


def forbidden(*, token: Mapping[str, Any]) -> str:
    return page(
        "403: admins only",
        f"""
<p>You are signed in as <strong>{escape(_name(token))}</strong> with role
<code>{escape(str(token.get("role", "-")))}</code>; this area needs <code>admin</code>.</p>
<p>Without a session you would have been sent to the sign-in page; a signed-in user who lacks
the role gets this page instead of a sign-in loop.</p>
<p><a href="/login?callbackUrl=%2Fadmin">Sign in as someone else</a></p>
""",
        user=token,
    )


_CHAT_SCRIPT: Final = """
const log = document.getElementById("log");
const show = (line) => { log.textContent += line + "\\n"; };
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.onmessage = (event) => show("< " + event.data);
ws.onclose = (event) => show("(closed, code " + event.code + ")");
document.getElementById("say").onsubmit = (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  ws.send(input.value); show("> " + input.value); input.value = "";
};
""".strip()


def chat(*, token: Mapping[str, Any]) -> str:
    return page(
        "Chat",
        f"""
<p>This page opens a websocket to <code>/ws</code>. The browser sends the session cookie with the
handshake and <code>WithAuth</code> checks it before the connection is accepted: without a session
the server answers 403 and the socket never opens.</p>
<pre id="log"></pre>
<form id="say"><input name="text" autocomplete="off" placeholder="say something"> <button>Send</button></form>
<script>{_CHAT_SCRIPT}</script>
""",
        user=token,
    )
