"""The demo app (``asgi-withauth demo``): under a real uvicorn with real HTTP and websocket
clients as a user would drive it, and in process for the details; then its database mode
(``--database``: sessions in SQLite) the same way, and the command's options."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from asgi_withauth import cli, demo, jwt
from asgi_withauth._request.cookies import CHUNK_SIZES
from asgi_withauth.adapters import AdapterError
from asgi_withauth.demo import app as demo_app
from asgi_withauth.demo import pages as demo_pages
from tests.asgi import http_scope, run_following
from tests.browser import launched_chromium
from tests.servers import running

SECRET = "demo-test-secret"
COOKIE = "next-auth.session-token"
ADA = {"name": "Ada Lovelace", "email": "ada@example.com", "role": "admin"}
BOB = {"name": "Bob <b>", "email": "bob@example.com", "role": "user"}


def set_cookies(response: httpx2.Response) -> dict[str, str]:
    """Set-Cookie headers of a response by cookie name (the whole header value)."""
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


def cookie_header(claims: dict[str, Any]) -> dict[str, str]:
    return {"cookie": f"{COOKIE}={jwt.encode(claims, SECRET)}"}


# ----------------------------------------------------------------------------- live server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running(demo.build_app(secret=SECRET)) as address:
        yield address


@pytest.fixture
def browser(server: str) -> Iterator[httpx2.Client]:
    """A client with a cookie jar that does not follow redirects (each hop is asserted)."""
    with httpx2.Client(base_url=f"http://{server}", follow_redirects=False, timeout=10) as client:
        yield client


def sign_in(client: httpx2.Client, who: dict[str, str], callback: str | None = None) -> httpx2.Response:
    params = {"callbackUrl": callback} if callback is not None else None
    return client.post("/login", params=params, data=who)


def test_redirect_sign_in_and_back_to_the_callback_url(browser: httpx2.Client, server: str) -> None:
    denied = browser.get("/dashboard")
    assert denied.status_code == 307
    assert denied.headers["location"] == f"http://{server}/login?callbackUrl=%2Fdashboard"

    form = browser.get(denied.headers["location"])
    assert form.status_code == 200
    assert "A local stand-in for a Next.js + next-auth front end" in form.text
    assert 'action="/login?callbackUrl=%2Fdashboard"' in form.text

    signed_in = browser.post("/login?callbackUrl=%2Fdashboard", data=ADA)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard"
    cookie = set_cookies(signed_in)[COOKIE]
    assert "; Path=/" in cookie
    assert "; HttpOnly" in cookie
    assert cookie.endswith("; SameSite=Lax")
    assert "; Expires=" in cookie
    assert "Secure" not in cookie

    dashboard = browser.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Ada Lovelace" in dashboard.text
    assert "&quot;role&quot;: &quot;admin&quot;" in dashboard.text  # the session callback's field
    assert COOKIE in set_cookies(dashboard)  # re-issued: sliding expiry
    assert dashboard.headers["cache-control"] == "no-store"


def test_api_answers_json_401_then_the_claims(browser: httpx2.Client) -> None:
    anonymous = browser.get("/api/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"] == "unauthorized"

    assert sign_in(browser, BOB).status_code == 303
    me = browser.get("/api/me")
    assert me.status_code == 200
    claims = me.json()
    assert {k: claims[k] for k in ("name", "email", "role", "picture")} == {
        "name": "Bob <b>",
        "email": "bob@example.com",
        "role": "user",
        "picture": None,
    }
    assert claims["sub"]
    assert claims["exp"] > claims["iat"]
    assert COOKIE in set_cookies(me)  # WithAuth(refresh=True)

    forbidden = browser.get("/api/admin/users")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "forbidden"


def test_api_accepts_a_bearer_token(browser: httpx2.Client) -> None:
    token = jwt.encode({"sub": "cli-user", "role": "admin"}, SECRET)
    response = browser.get("/api/admin/users", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"users": [{"sub": "cli-user", "name": None, "role": "admin"}]}


def test_admin_area(browser: httpx2.Client, server: str) -> None:
    anonymous = browser.get("/admin")
    assert anonymous.status_code == 307
    assert anonymous.headers["location"] == f"http://{server}/login?callbackUrl=%2Fadmin"

    sign_in(browser, BOB, "/admin")
    user = browser.get("/admin")
    assert user.status_code == 403
    assert user.headers["content-type"].startswith("text/html")
    assert "Bob &lt;b&gt;" in user.text
    assert "<b>" not in user.text

    signed_in = sign_in(browser, ADA, "/admin")
    assert signed_in.headers["location"] == "/admin"
    admin = browser.get("/admin")
    assert admin.status_code == 200
    assert "Welcome, Ada Lovelace" in admin.text


@pytest.mark.parametrize(
    "callback",
    ["//evil.example", "https://evil.example", "/\\evil.example", "/\t/evil.example", "evil.example", "", "data:,x"],
)
def test_no_open_redirect_after_sign_in(browser: httpx2.Client, callback: str) -> None:
    response = sign_in(browser, ADA, callback)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


def test_same_site_callback_url_keeps_its_query(browser: httpx2.Client) -> None:
    response = sign_in(browser, ADA, "/api/me?x=1&y=%2F")
    assert response.headers["location"] == "/api/me?x=1&y=%2F"


def test_websocket_refused_then_accepted(browser: httpx2.Client, server: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{server}/ws", open_timeout=5).close()
    assert refused.value.response.status_code == 403

    sign_in(browser, ADA)
    cookie = f"{COOKIE}={browser.cookies[COOKIE]}"
    with connect(f"ws://{server}/ws", additional_headers={"cookie": cookie}, open_timeout=5) as ws:
        assert ws.recv(timeout=5) == "Hello, Ada Lovelace! Send a message and it comes back."
        ws.send("hi there")
        assert ws.recv(timeout=5) == "echo: hi there"


def test_chat_page_needs_a_session_and_opens_the_websocket(browser: httpx2.Client) -> None:
    assert browser.get("/chat").status_code == 307
    sign_in(browser, BOB)
    page = browser.get("/chat")
    assert page.status_code == 200
    assert 'new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws")' in page.text


def test_logout_clears_the_cookie(browser: httpx2.Client) -> None:
    sign_in(browser, ADA)
    assert browser.get("/dashboard").status_code == 200
    out = browser.post("/logout")
    assert out.status_code == 303
    assert out.headers["location"] == "/"
    cleared = set_cookies(out)[COOKIE]
    assert cleared.startswith(f"{COOKIE}=; Max-Age=0; Path=/")
    assert COOKIE not in browser.cookies
    assert browser.get("/dashboard").status_code == 307
    assert browser.get("/logout").status_code == 303  # GET works too, and with no cookie


def test_long_session_is_chunked_read_and_cleared(browser: httpx2.Client) -> None:
    signed_in = sign_in(browser, {**ADA, "name": "A" * 2900})
    written = set_cookies(signed_in)
    assert COOKIE not in written
    assert sorted(written) == [f"{COOKIE}.0", f"{COOKIE}.1"]
    assert len(browser.cookies[f"{COOKIE}.0"]) == CHUNK_SIZES[4]
    assert browser.get("/api/me").json()["name"] == "A" * 2900

    # Signing in again with a short session rewrites the plain cookie and clears the chunks.
    again = sign_in(browser, ADA)
    rewritten = set_cookies(again)
    assert rewritten[f"{COOKIE}.0"].startswith(f"{COOKIE}.0=; Max-Age=0")
    assert rewritten[f"{COOKIE}.1"].startswith(f"{COOKIE}.1=; Max-Age=0")
    assert "Max-Age=0" not in rewritten[COOKIE]

    sign_in(browser, {**ADA, "name": "B" * 2900})
    out = browser.get("/logout")
    assert {name for name, value in set_cookies(out).items() if "Max-Age=0" in value} == {
        COOKIE,
        f"{COOKIE}.0",
        f"{COOKIE}.1",
    }
    assert not browser.cookies


def test_oversized_form_is_refused(browser: httpx2.Client) -> None:
    response = browser.post("/login", content=b"name=" + b"x" * 70_000)
    assert response.status_code == 413
    assert "set-cookie" not in response.headers


def test_public_pages(browser: httpx2.Client, server: str) -> None:
    home = browser.get("/")
    assert home.status_code == 200
    for link in ('href="/dashboard"', 'href="/admin"', 'href="/chat"', 'href="/api/me"', 'href="/login"'):
        assert link in home.text
    assert f"curl -i http://{server}/api/me" in home.text
    assert "You are not signed in" in home.text
    sign_in(browser, BOB)
    assert "You are signed in as <strong>Bob &lt;b&gt;</strong>" in browser.get("/").text
    assert SECRET not in browser.get("/").text


# ----------------------------------------------------------------------------- in process


def client(**kwargs: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=demo.build_app(secret=SECRET)), base_url="http://testserver", **kwargs
    )


@pytest.mark.anyio
async def test_minted_token_is_next_auths_default_token_plus_role() -> None:
    async with client() as http:
        response = await http.post("/login", data=ADA)
    token = set_cookies(response)[COOKIE].split(";", 1)[0].split("=", 1)[1]
    claims = jwt.decode(token, SECRET)
    assert set(claims) == {"name", "email", "picture", "sub", "role", "iat", "exp", "jti"}
    assert claims["picture"] is None
    assert claims["exp"] - claims["iat"] == 30 * 24 * 60 * 60
    assert jwt.peek_version(token) == 4
    async with client() as http:  # the same email is the same user
        again = await http.post("/login", data={**ADA, "name": "Someone Else"})
    other = jwt.decode(set_cookies(again)[COOKIE].split(";", 1)[0].split("=", 1)[1], SECRET)
    assert other["sub"] == claims["sub"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"email": "a@example.com", "role": "user"}, "Enter a name."),
        ({"name": "  ", "email": "a@example.com", "role": "user"}, "Enter a name."),
        ({"name": "A", "email": "not-an-email", "role": "user"}, "Enter an email address."),
        ({"name": "A", "email": "a@example.com", "role": "root"}, "Choose the role user or admin."),
        ({"name": "é" * 1501, "email": "a@example.com", "role": "user"}, "The name is too long"),
    ],
)
async def test_sign_in_form_errors(form: dict[str, str], problem: str) -> None:
    async with client() as http:
        response = await http.post("/login?callbackUrl=%2Fadmin", data=form)
    assert response.status_code == 400
    assert problem in response.text
    assert "set-cookie" not in response.headers
    assert 'action="/login?callbackUrl=%2Fadmin"' in response.text  # the callback survives the retry


@pytest.mark.anyio
async def test_login_page_escapes_the_callback_url() -> None:
    async with client() as http:
        response = await http.get('/login?callbackUrl=/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in response.text
    assert response.status_code == 200


@pytest.mark.anyio
async def test_invalid_and_foreign_tokens_are_no_session() -> None:
    foreign = {"cookie": f"{COOKIE}={jwt.encode({'sub': 'x'}, 'another-secret')}"}
    async with client() as http:
        assert (await http.get("/api/me", headers=foreign)).status_code == 401
        assert (await http.get("/dashboard", headers=foreign)).status_code == 307
        assert (await http.get("/api/me", headers={"cookie": f"{COOKIE}=garbage"})).status_code == 401
        assert (await http.get("/api/me", headers=cookie_header({"sub": "1"}))).status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/ADMIN", "//admin", "/./admin", "/x/../admin", "/%61dmin", "/admin/", "/admin/x"])
async def test_admin_path_spellings_are_protected(path: str) -> None:
    # The raw ASGI scope (tests/asgi.py): an HTTP client would normalise "//admin" itself.
    app = demo.build_app(secret=SECRET)
    _, anonymous = await run_following(app, http_scope(f"http://testserver{path}"))
    _, user = await run_following(
        app, http_scope(f"http://testserver{path}", headers=cookie_header({"sub": "2", "role": "user"}))
    )
    assert anonymous.status == 307
    assert anonymous.headers["location"].startswith("http://testserver/login?callbackUrl=")
    assert user.status == 403


@pytest.mark.anyio
async def test_environment_does_not_change_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """NEXTAUTH_URL would switch to __Secure- cookie names and move the skipped auth path."""
    monkeypatch.setenv("NEXTAUTH_URL", "https://example.com/admin")
    monkeypatch.setenv("NEXTAUTH_SECRET", "not-the-demo-secret")
    async with client() as http:
        assert (await http.get("/admin")).status_code == 307
        assert (await http.get("/admin", headers=cookie_header({"sub": "1", "role": "admin"}))).status_code == 200
        signed_in = await http.post("/login", data=ADA)
        assert COOKIE in set_cookies(signed_in)


@pytest.mark.anyio
async def test_dashboard_shows_the_session() -> None:
    async with client() as http:
        response = await http.get("/dashboard", headers=cookie_header({"sub": "7", "name": "Grace", "role": "user"}))
    assert response.status_code == 200
    assert "&quot;id&quot;: &quot;7&quot;" in response.text
    assert "&quot;name&quot;: &quot;Grace&quot;" in response.text
    assert "&quot;expires&quot;" in response.text
    assert len(set_cookies(response)) == 1  # the handler's refreshed cookie; the middleware does not add a second


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("callback", "says"),
    [
        (
            "https://evil.example/",
            "you go to <code>/dashboard</code>: the <code>callbackUrl</code> "
            "<code>https://evil.example/</code> is not a path on this site",
        ),
        (
            "//evil.example",
            "you go to <code>/dashboard</code>: the <code>callbackUrl</code> <code>//evil.example</code>",
        ),
        ("/admin?x=1", "After signing in you go back to <code>/admin?x=1</code>."),
    ],
)
async def test_the_sign_in_page_says_where_signing_in_really_leads(callback: str, says: str) -> None:
    async with client() as http:
        page = (await http.get("/login", params={"callbackUrl": callback})).text
        retry = (await http.post("/login", params={"callbackUrl": callback}, data={"name": "A"})).text
    for text in (page, retry):
        assert says in text
        if not callback.startswith("/admin"):
            assert "go back to" not in text  # what the page said while the form went to /dashboard


LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff" * 86  # 3010 characters, no spaces


def header_of(page: str) -> str:
    match = re.search(r"<header>(.*?)</header>", page, re.DOTALL)
    assert match is not None
    return match.group(1)


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/", "/login", "/dashboard", "/admin", "/chat"])
async def test_a_long_name_is_shortened_in_the_header(path: str) -> None:
    claims = {"sub": "9", "name": LONG_NAME[:3000], "role": "user" * 200}
    async with client() as http:
        response = await http.get(path, headers=cookie_header(claims))
    header = header_of(response.text)
    assert f"<strong>{LONG_NAME[:39]}\u2026</strong>" in header
    assert LONG_NAME[:40] not in header
    assert f"(role: {('user' * 200)[:39]}\u2026)" in header
    assert len(header) < 700


OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (e) => e.closest('pre') || e.closest('header .who strong');  // they scroll / ellipsize
  return [...document.querySelectorAll('body *')]
    .filter((e) => !clipped(e) && e.getBoundingClientRect().right > width + 0.5)
    .map((e) => e.tagName + ': ' + (e.textContent || '').slice(0, 40));
}"""


@pytest.mark.parametrize("name", ["Ada Lovelace", LONG_NAME[:3000]], ids=["short-name", "3000-chars"])
def test_no_page_overflows_a_390px_screen(server: str, name: str) -> None:
    with launched_chromium() as chromium:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"http://{server}/login")
        page.fill("input[name=name]", name)  # signed in as a user would be (a long name: a chunked cookie)
        page.click("button[type=submit]")
        for path in ("/", "/login?callbackUrl=https%3A%2F%2Fevil.example%2F", "/dashboard", "/admin", "/chat"):
            page.goto(f"http://{server}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            assert page.evaluate(OVERFLOWING) == [], path
            assert page.locator("header").bounding_box()["height"] < 200, path  # type: ignore[index]


def test_the_demo_package_face() -> None:
    assert demo.build_app is demo_app.build_app
    assert demo.serve is demo_app.serve
    assert set(demo.__all__) >= {"DemoDependencyError", "build_app", "safe_callback_url", "serve"}
    assert "&lt;b&gt;" in demo_pages.home(user={"name": "<b>"}, cookie_name=COOKIE, origin="http://x")


def test_safe_callback_url() -> None:
    assert demo.safe_callback_url("/admin?x=1") == "/admin?x=1"
    assert demo.safe_callback_url("/") == "/"
    for bad in (None, "", "//evil.example/x", "/\\evil.example", "https://evil.example", "/a\nb", "/a b", "x"):
        assert demo.safe_callback_url(bad) == "/dashboard"


def test_build_app_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        demo.build_app(secret="")


def test_serve_runs_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    demo.serve(host="127.0.0.1", port=8123, secret=SECRET)
    [(app, kwargs)] = calls
    assert kwargs == {"host": "127.0.0.1", "port": 8123, "log_level": "info", "ws": "wsproto"}
    assert app.state.secret == SECRET


def test_serve_without_wsproto_filters_the_handshake_line(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wsproto" else find_spec(name, *a)
    )
    errors = logging.getLogger("uvicorn.error")
    before = list(errors.filters)
    try:
        demo.serve(host="127.0.0.1", port=8123, secret=SECRET)
        demo.serve(host="127.0.0.1", port=8123, secret=SECRET)
        assert [set(kwargs) for kwargs in calls] == [{"host", "port", "log_level"}] * 2  # uvicorn's default ws
        assert len([f for f in errors.filters if f not in before]) == 1  # once, however often serve() runs

        def record(message: str) -> logging.LogRecord:
            return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, message, None, None)

        assert not errors.filter(record("ASGI callable returned without completing handshake."))
        assert errors.filter(record("Exception in ASGI application"))
    finally:
        errors.filters[:] = before


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_demo_refuses_a_websocket_without_logging_an_error() -> None:
    """uvicorn's websockets implementations log "ASGI callable returned without completing
    handshake" as an ERROR after WithAuth's (correct) 403; the demo runs without that line."""
    port = free_port()
    command = [sys.executable, "-m", "asgi_withauth", "demo", "--port", str(port)]
    env = {**os.environ, "NEXTAUTH_SECRET": SECRET}
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
                    assert time.monotonic() < deadline, "the demo did not start"
                    time.sleep(0.05)
            with pytest.raises(InvalidStatus) as refused:
                connect(f"ws://127.0.0.1:{port}/ws", open_timeout=5).close()
            assert refused.value.response.status_code == 403
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in out
    assert process.returncode == 0  # stopped with Ctrl+C: exit code 0, as demo --help says
    assert '"WebSocket /ws" 403' in err
    assert "without completing handshake" not in err
    assert "ERROR" not in err


def test_serve_without_uvicorn_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(demo.DemoDependencyError, match=r"pip install 'asgi_withauth\[demo\]'"):
        demo.serve(host="127.0.0.1", port=8000, secret=SECRET)


@pytest.mark.anyio
async def test_a_bearer_token_passes_withauth_but_is_not_a_server_session() -> None:
    token = jwt.encode({"role": "user"}, SECRET)  # no sub, no name: a CLI-minted token
    async with client() as http:
        dashboard = await http.get("/dashboard", headers={"authorization": f"Bearer {token}"})
        users = await http.get("/api/admin/users", headers={"authorization": f"Bearer {token}"})
    assert dashboard.status_code == 200
    assert "<strong>No session</strong>" in dashboard.text
    assert "set-cookie" not in dashboard.headers
    assert users.status_code == 403


# ----------------------------------------------------------------------------- database mode

LOOKUP_TTL = 0.5  # seconds WithAuth trusts a lookup in the test app (the demo's default is 5)
DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class DatabaseDemo:
    address: str
    path: Path

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.path)) as db:
            return db.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: object) -> None:
        with closing(sqlite3.connect(self.path, isolation_level=None)) as db:
            db.execute(sql, params)


@pytest.fixture(scope="module")
def database_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseDemo]:
    path = tmp_path_factory.mktemp("demo-database") / "demo.db"
    with running(demo.build_app(database=path, lookup_ttl=LOOKUP_TTL)) as address:
        yield DatabaseDemo(address, path)


@pytest.fixture
def db_browser(database_demo: DatabaseDemo) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=f"http://{database_demo.address}", follow_redirects=False, timeout=10) as client:
        yield client


def session_row(database_demo: DatabaseDemo, token: str) -> tuple[Any, ...] | None:
    rows = database_demo.rows('SELECT "sessionToken", "userId", expires FROM sessions WHERE "sessionToken" = ?', token)
    return rows[0] if rows else None


def test_database_sign_in_dashboard_and_sign_out(db_browser: httpx2.Client, database_demo: DatabaseDemo) -> None:
    denied = db_browser.get("/dashboard")
    assert denied.status_code == 307
    assert denied.headers["location"] == f"http://{database_demo.address}/login?callbackUrl=%2Fdashboard"

    before = int(time.time() * 1000)
    signed_in = sign_in(db_browser, ADA, "/dashboard")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/dashboard"
    cookie = set_cookies(signed_in)[COOKIE]
    token = db_browser.cookies[COOKIE]
    assert re.fullmatch(r"[0-9a-f]{64}", token)  # a random session token, not a JWE
    assert cookie.endswith("; HttpOnly; SameSite=Lax")
    assert "; Path=/; Expires=" in cookie

    row = session_row(database_demo, token)
    assert row is not None
    (user_id, email), *_ = database_demo.rows("SELECT id, email FROM users WHERE id = ?", row[1])
    assert email == "ada@example.com"
    assert before + 30 * DAY_MS <= row[2] <= int(time.time() * 1000) + 30 * DAY_MS  # epoch milliseconds

    dashboard = db_browser.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Ada Lovelace" in dashboard.text
    assert f"&quot;id&quot;: {user_id}," in dashboard.text  # the session callback's fields (a serial id: a number)
    assert "&quot;role&quot;: &quot;admin&quot;" in dashboard.text
    assert "looked up by the cookie" in dashboard.text
    assert set_cookies(dashboard)[COOKIE].startswith(f"{COOKIE}={token}; Path=/; Expires=")  # re-set

    me = db_browser.get("/api/me").json()
    user = {"id": user_id, "name": "Ada Lovelace", "email": "ada@example.com", "emailVerified": None, "image": None}
    assert me["user"] == user
    assert me["session"]["userId"] == user_id

    out = db_browser.post("/logout")
    assert out.status_code == 303
    assert set_cookies(out)[COOKIE].startswith(f"{COOKIE}=; Max-Age=0; Path=/")
    assert session_row(database_demo, token) is None  # the row is gone
    assert COOKIE not in db_browser.cookies
    assert db_browser.get("/dashboard").status_code == 307


def test_database_admin_rule_and_api_statuses(db_browser: httpx2.Client, database_demo: DatabaseDemo) -> None:
    anonymous = db_browser.get("/api/admin/users")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized"
    assert db_browser.get("/api/me").status_code == 401
    assert db_browser.get("/admin").status_code == 307

    sign_in(db_browser, BOB)
    assert db_browser.get("/api/me").status_code == 200
    forbidden = db_browser.get("/api/admin/users")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "forbidden"
    page = db_browser.get("/admin")
    assert page.status_code == 403
    assert "Bob &lt;b&gt;" in page.text

    sign_in(db_browser, ADA)
    assert db_browser.get("/admin").status_code == 200
    users = db_browser.get("/api/admin/users").json()["users"]
    assert [(u["name"], u["role"]) for u in users] == [("Ada Lovelace", "admin")]


def test_database_same_email_is_the_same_user(db_browser: httpx2.Client, database_demo: DatabaseDemo) -> None:
    sign_in(db_browser, {"name": "Carol", "email": "carol@example.com", "role": "admin"})
    first = db_browser.cookies[COOKIE]
    sign_in(db_browser, {"name": "Someone Else", "email": "CAROL@example.com", "role": "user"})
    second = db_browser.cookies[COOKIE]
    assert second != first
    assert session_row(database_demo, first) is None  # the replaced cookie's row is deleted
    assert database_demo.rows("SELECT name FROM users WHERE lower(email) = 'carol@example.com'") == [("Carol",)]
    assert db_browser.get("/admin").status_code == 403  # the role of the latest sign-in


def test_database_deleted_row_stops_passing_after_lookup_ttl(
    db_browser: httpx2.Client, database_demo: DatabaseDemo
) -> None:
    sign_in(db_browser, ADA)
    token = db_browser.cookies[COOKIE]
    assert db_browser.get("/api/me").status_code == 200  # looked up, and trusted for LOOKUP_TTL
    looked_up = time.monotonic()
    database_demo.execute('DELETE FROM sessions WHERE "sessionToken" = ?', token)
    cached = db_browser.get("/api/me").status_code
    if time.monotonic() - looked_up < LOOKUP_TTL * 0.8:  # on a slow machine the lookup may have expired
        assert cached == 200  # the revocation delay: the cached lookup still passes
    time.sleep(max(0.0, looked_up + LOOKUP_TTL + 0.05 - time.monotonic()))
    assert db_browser.get("/api/me").status_code == 401
    assert db_browser.get("/dashboard").status_code == 307


def test_database_dashboard_extends_the_row(db_browser: httpx2.Client, database_demo: DatabaseDemo) -> None:
    """get_server_session over the database: a row last extended over a day ago (updateAge)
    gets expires = now + 30 days; WithAuth alone never writes."""
    sign_in(db_browser, ADA)
    token = db_browser.cookies[COOKIE]
    database_demo.execute('UPDATE sessions SET expires = expires - 2 * ? WHERE "sessionToken" = ?', DAY_MS, token)
    aged = session_row(database_demo, token)
    assert aged is not None
    assert db_browser.get("/api/me").status_code == 200
    assert session_row(database_demo, token) == aged
    assert db_browser.get("/dashboard").status_code == 200
    extended = session_row(database_demo, token)
    assert extended is not None
    assert extended[2] >= aged[2] + 2 * DAY_MS - 60_000


def test_database_websocket_refused_then_accepted(db_browser: httpx2.Client, database_demo: DatabaseDemo) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{database_demo.address}/ws", open_timeout=5).close()
    assert refused.value.response.status_code == 403
    sign_in(db_browser, ADA)
    cookie = f"{COOKIE}={db_browser.cookies[COOKIE]}"
    with connect(f"ws://{database_demo.address}/ws", additional_headers={"cookie": cookie}, open_timeout=5) as ws:
        assert ws.recv(timeout=5) == "Hello, Ada Lovelace! Send a message and it comes back."


def test_database_pages_say_which_mode(db_browser: httpx2.Client, database_demo: DatabaseDemo) -> None:
    home = db_browser.get("/")
    assert "Database sessions" in home.text
    assert str(database_demo.path) in home.text
    assert "asgi-withauth mint" not in home.text
    assert "sessions table" not in db_browser.get("/login").text
    assert "inserts a row in" in db_browser.get("/login").text
    sign_in(db_browser, BOB)
    assert "You are signed in as <strong>Bob &lt;b&gt;</strong>" in db_browser.get("/").text


def test_database_mode_ignores_jwts(db_browser: httpx2.Client) -> None:
    token = jwt.encode({"sub": "1", "role": "admin"}, SECRET)
    assert db_browser.get("/api/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
    assert db_browser.get("/api/me", headers={"cookie": f"{COOKIE}={token}"}).status_code == 401
    assert db_browser.get("/api/me", headers={"cookie": f"{COOKIE}={'0' * 64}"}).status_code == 401


def test_jwt_pages_say_which_mode(browser: httpx2.Client) -> None:
    home = browser.get("/")
    assert "Database sessions" not in home.text
    assert "encrypted with this run's secret" in home.text


def test_database_mode_takes_no_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no secret"):
        demo.build_app(secret=SECRET, database=tmp_path / "demo.db")


@pytest.mark.anyio
async def test_database_app_closes_its_adapter_at_shutdown(tmp_path: Path) -> None:
    app = demo.build_app(database=tmp_path / "demo.db")
    async with app.router.lifespan_context(app):
        pass
    with pytest.raises(AdapterError, match="closed"):
        await app.state.mode.adapter.get_session_and_user("x")


@pytest.mark.anyio
async def test_a_failing_database_gives_503_on_sign_in_and_sign_out(tmp_path: Path) -> None:
    app = demo.build_app(database=tmp_path / "demo.db")
    async with app.router.lifespan_context(app):
        await app.state.mode.adapter.aclose()  # every call now fails with AdapterError
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            form = {"name": "Ada", "email": "ada@example.test", "role": "user"}
            signed_in = await client.post("/login", data=form)
            client.cookies.set("next-auth.session-token", "0" * 64)
            signed_out = await client.post("/logout")
    assert (signed_in.status_code, signed_out.status_code) == (503, 503)
    assert "not answering" in signed_in.text


# ----------------------------------------------------------------------------- the command


@dataclass
class ServeCalls:
    calls: list[dict[str, Any]]

    def __call__(self, **kwargs: Any) -> None:
        database = kwargs.get("database")
        self.calls.append({**kwargs, "directory": database is not None and Path(database).parent.is_dir()})


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch) -> ServeCalls:
    fake = ServeCalls([])
    monkeypatch.setattr(demo, "serve", fake)
    return fake


def test_command_database_mode_uses_a_temporary_file(
    fake_serve: ServeCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--database", "--port", "8123"]) == 0
    (call,) = fake_serve.calls
    path = Path(call["database"])
    assert call == {"host": "127.0.0.1", "port": 8123, "database": str(path), "directory": True}  # no secret
    assert not path.parent.exists()  # removed when the demo stopped
    out = capsys.readouterr().out
    assert "next-auth's database strategy" in out
    assert f"SQLite: {path} (a temporary file, deleted when the demo stops)" in out
    assert "WithAuth trusts a lookup for 5 s" in out
    assert "Secret" not in out


def test_command_sqlite_path_is_kept(
    fake_serve: ServeCalls, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "auth.db"
    assert cli.main(["demo", "--sqlite", str(path)]) == 0  # --sqlite implies --database
    assert fake_serve.calls[0]["database"] == str(path)
    assert "(kept when the demo stops)" in capsys.readouterr().out


def test_command_jwt_mode_says_so(fake_serve: ServeCalls, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    assert "database" not in fake_serve.calls[0]
    assert "next-auth's jwt strategy; --database for database sessions" in capsys.readouterr().out


def test_command_refuses_a_bad_sqlite_path(
    fake_serve: ServeCalls, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main(["demo", "--sqlite", str(tmp_path / "missing" / "x.db")]) == 2
    assert "does not exist" in capsys.readouterr().err
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database, " * 100)
    assert cli.main(["demo", "--database", "--sqlite", str(not_sqlite)]) == 2
    assert "not a database" in capsys.readouterr().err
    assert fake_serve.calls == []
