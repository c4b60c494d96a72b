"""The demo app (``asgi-withauth demo``): under a real uvicorn with real HTTP and websocket
clients as a user would drive it, and in process for the details."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import uvicorn
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from asgi_withauth import demo, jwt
from asgi_withauth._request.cookies import CHUNK_SIZES
from asgi_withauth.demo import app as demo_app
from asgi_withauth.demo import pages as demo_pages
from tests.asgi import http_scope, run_following
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
    assert kwargs == {"host": "127.0.0.1", "port": 8123, "log_level": "info"}
    assert app.state.secret == SECRET


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
