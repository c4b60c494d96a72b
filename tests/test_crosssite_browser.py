"""Cross-site write protection against a real browser: Chromium, not the tests, sets
``Sec-Fetch-Site``, ``Origin`` and which cookies ride along.

The protected app ("the victim") is served on ``http://127.0.0.1:<port>`` behind ``WithAuth``;
the browser holds its session cookie. Pages on three origins write to it, each in three ways:
a form POST (a top-level navigation), a ``fetch`` POST (``no-cors``, credentials included)
and a websocket:

- the victim's own page (same origin): everything passes;
- a page on ``http://127.0.0.1:<another port>``: the same *site* (sites ignore ports), so the
  browser sends the ``SameSite=Lax`` cookie: the sibling-subdomain case, refused unless that
  origin is trusted (and, with the protection off, the write runs with the session);
- a page on ``http://localhost:<port>``: another site. A ``Lax`` cookie is not sent there; a
  ``SameSite=None; Secure`` one is, on the form POST, and that is refused.

An outer ASGI middleware records what the server received and answered. Screenshots of the
attacking page and of the response it got land in the test's tmp dir.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from asgi_withauth import CrossSiteProtection, WithAuth, jwt
from tests.browser import launched_chromium
from tests.servers import running

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SECRET = "browser-cross-site-secret"
COOKIE = "next-auth.session-token"  # pages are on http
Way = Literal["form", "fetch", "websocket"]
WAYS: tuple[Way, ...] = ("form", "fetch", "websocket")

# The page every origin serves: a form that posts to the victim, and a script that tries a
# fetch POST and a websocket first (window.results: what the page could see of them).
PAGE = """<!doctype html>
<title>writes to {target}</title>
<h1>{title}</h1>
<p>Writes to <code>{target}</code> from <code id="origin"></code></p>
<form method="post" action="{target}/api/notes?via=form"><input name="note" value="from a form"></form>
<pre id="results">running...</pre>
<script>
document.getElementById("origin").textContent = location.origin;
window.results = (async () => {{
  const results = {{}};
  try {{
    const response = await fetch("{target}/api/notes?via=fetch", {{
      method: "POST", credentials: "include", mode: "no-cors", body: new URLSearchParams({{note: "from fetch"}}),
    }});
    results.fetch = response.type + " " + response.status;
  }} catch (error) {{
    results.fetch = "failed: " + error;
  }}
  results.websocket = await new Promise((resolve) => {{
    const socket = new WebSocket("{target_ws}/api/live");
    socket.onopen = () => {{ socket.close(); resolve("open"); }};
    socket.onclose = (event) => resolve("closed " + event.code);
  }});
  document.getElementById("results").textContent = JSON.stringify(results, null, 2);
  return results;
}})();
</script>
"""


def page_html(target: str, title: str) -> HTMLResponse:
    return HTMLResponse(PAGE.format(target=target, target_ws="ws" + target.removeprefix("http"), title=title))


@dataclass
class Seen:
    """One write as the server received it, and WithAuth's answer (101: websocket accepted)."""

    headers: dict[str, str]
    status: int | None = None

    @property
    def cookie_sent(self) -> bool:
        return any(part.strip().startswith(f"{COOKIE}=") for part in self.headers.get("cookie", "").split(";"))

    def describe(self) -> dict[str, Any]:
        shown = {k: v for k, v in self.headers.items() if k.startswith("sec-fetch-") or k in ("origin", "host")}
        return {"status": self.status, "cookie sent": self.cookie_sent, **shown}


class Victim:
    """The protected app on its own server: what reached the handlers (and with a session or
    not), and what the server saw of each write."""

    def __init__(self, *, cross_site: CrossSiteProtection | None) -> None:
        self.ran: list[tuple[Way, bool]] = []
        self.seen: dict[Way, Seen] = {}
        routes = [
            Route("/page", self.page),
            Route("/api/notes", self.notes, methods=["POST"]),
            WebSocketRoute("/api/live", self.live),
        ]
        protected = WithAuth(
            Starlette(routes=routes), secret=SECRET, matcher=["/api/:path*"], deny="status", cross_site=cross_site
        )
        self.app = Recorder(protected, self.seen)
        self.origin = ""

    def forget(self) -> None:
        self.ran.clear()
        self.seen.clear()

    async def page(self, request: Request) -> Response:
        return page_html(self.origin, "the victim's own page")

    async def notes(self, request: Request) -> Response:
        self.ran.append((_way(request.scope), _has_session(request.scope)))
        note = parse_qs((await request.body()).decode()).get("note", [""])[0]  # no python-multipart here
        return JSONResponse({"saved": note})

    async def live(self, websocket: WebSocket) -> None:
        self.ran.append(("websocket", _has_session(websocket.scope)))
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()


def _way(scope: Scope) -> Way:
    """Which of the page's writes this is (the form and fetch say so in the query)."""
    if scope["type"] == "websocket":
        return "websocket"
    return "fetch" if scope["query_string"] == b"via=fetch" else "form"


def _has_session(scope: Scope) -> bool:
    return (scope.get("nextauth") or {}).get("token") is not None


class Recorder:
    """Outside WithAuth: records the headers of each write to /api/ and the status answered."""

    def __init__(self, app: ASGIApp, seen: dict[Way, Seen]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        seen = self.seen[_way(scope)] = Seen({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]})

        async def recording_send(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                seen.status = message["status"]
            elif message["type"] == "websocket.accept":
                seen.status = 101
            elif message["type"] == "websocket.close" and seen.status is None:
                seen.status = 403  # closed before the handshake: what the browser gets
            await send(message)

        await self.app(scope, receive, recording_send)


async def attacker_page(request: Request) -> Response:
    return page_html(request.query_params["target"], "someone else's page")


ATTACKER = Starlette(routes=[Route("/page", attacker_page)])


@dataclass
class Visit:
    """What one page's writes did: as the page saw them, as the server saw them, and
    which handlers ran (and whether with a session)."""

    page: dict[str, str]
    seen: dict[Way, Seen]
    ran: list[tuple[Way, bool]]
    response: str
    console: list[str] = field(default_factory=list)

    def describe(self) -> str:
        seen = {way: s.describe() for way, s in self.seen.items()}
        return json.dumps({"page": self.page, "seen": seen, "ran": self.ran, "console": self.console}, indent=1)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def attacker(chromium: Browser) -> Iterator[int]:
    """The attacker's server: reached as http://127.0.0.1:<port> (same site as the victim)
    and as http://localhost:<port> (another site)."""
    with running(ATTACKER) as address:
        yield int(address.rpartition(":")[2])


@pytest.fixture(scope="module")
def victims(attacker: int) -> Iterator[dict[str, Victim]]:
    """The victim three ways: protected (the default), trusting the same-site attacker's
    origin, and with the protection off."""
    configs = {
        "protected": CrossSiteProtection(),
        "trusting": CrossSiteProtection(trusted_origins=[f"http://127.0.0.1:{attacker}"]),
        "unprotected": None,
    }
    found = {name: Victim(cross_site=protection) for name, protection in configs.items()}
    # wsproto: uvicorn's websockets-sansio logs a spurious error after a websocket denial.
    with (
        running(found["protected"].app, ws="wsproto") as protected,
        running(found["trusting"].app, ws="wsproto") as trusting,
        running(found["unprotected"].app, ws="wsproto") as unprotected,
    ):
        for victim, address in zip(found.values(), (protected, trusting, unprotected), strict=True):
            victim.origin = f"http://{address}"
        yield found


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="asgi_withauth")
    return caplog


def visit(
    browser: Browser,
    victim: Victim,
    page_url: str,
    *,
    shots: Path,
    same_site: Literal["Lax", "None"] = "Lax",
) -> Visit:
    """Open ``page_url`` in a fresh context holding the victim's session cookie, let its
    fetch and websocket run, then submit its form; screenshots of both pages in ``shots``."""
    victim.forget()
    context = browser.new_context()
    try:
        context.add_cookies(
            [
                {
                    "name": COOKIE,
                    "value": jwt.encode({"sub": "1", "name": "Ada"}, SECRET),
                    "domain": "127.0.0.1",  # any port: cookies ignore ports
                    "path": "/",
                    "httpOnly": True,
                    "sameSite": same_site,
                    "secure": same_site == "None",  # Chrome requires it; sent to http://127.0.0.1 still
                }
            ]
        )
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(page_url)
        results = page.evaluate("window.results")
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / "page.png")
        with page.expect_navigation():
            page.evaluate("document.forms[0].submit()")  # what an auto-submitting page does
        page.screenshot(path=shots / "response.png")
        response = page.inner_text("body")
    finally:
        context.close()
    return Visit(page=results, seen=dict(victim.seen), ran=list(victim.ran), response=response, console=console)


def refusal_reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("cross-site request refused")]


# ---------------------------------------------------------------- tests


def test_the_victims_own_page_writes(
    chromium: Browser, victims: dict[str, Victim], tmp_path: Path, refusals: pytest.LogCaptureFixture
) -> None:
    victim = victims["protected"]
    result = visit(chromium, victim, f"{victim.origin}/page", shots=tmp_path)
    assert set(result.seen) == set(WAYS), result.describe()
    for way in ("form", "fetch"):
        assert result.seen[way].headers.get("sec-fetch-site") == "same-origin", result.describe()
    # No Sec-Fetch-Site on Chromium's websocket handshake: the rule falls back on Origin.
    assert result.seen["websocket"].headers.get("origin") == victim.origin, result.describe()
    assert all(seen.cookie_sent for seen in result.seen.values()), result.describe()
    assert {way: seen.status for way, seen in result.seen.items()} == {"form": 200, "fetch": 200, "websocket": 101}
    assert sorted(result.ran) == [("fetch", True), ("form", True), ("websocket", True)]
    assert result.page == {"fetch": "basic 200", "websocket": "open"}
    assert json.loads(result.response) == {"saved": "from a form"}
    assert refusal_reasons(refusals) == []


def test_a_same_site_page_on_another_origin_is_refused(
    chromium: Browser, victims: dict[str, Victim], attacker: int, tmp_path: Path, refusals: pytest.LogCaptureFixture
) -> None:
    """The sibling-subdomain case: SameSite=Lax does not stop it, the protection does."""
    victim = victims["protected"]
    result = visit(chromium, victim, f"http://127.0.0.1:{attacker}/page?target={victim.origin}", shots=tmp_path)
    assert set(result.seen) == set(WAYS), result.describe()
    assert all(seen.cookie_sent for seen in result.seen.values()), result.describe()
    for way in WAYS:
        assert result.seen[way].headers.get("origin") == f"http://127.0.0.1:{attacker}", result.describe()
    for way in ("form", "fetch"):
        assert result.seen[way].headers.get("sec-fetch-site") == "same-site", result.describe()
    assert {way: seen.status for way, seen in result.seen.items()} == {"form": 403, "fetch": 403, "websocket": 403}
    assert result.ran == []
    assert result.page == {"fetch": "opaque 0", "websocket": "closed 1006"}
    assert json.loads(result.response)["error"] == "cross_site_request"
    reasons = refusal_reasons(refusals)
    assert len(reasons) == 3, reasons
    assert sum("Sec-Fetch-Site: same-site" in reason for reason in reasons) == 2, reasons
    assert sum(f"Origin http://127.0.0.1:{attacker} is neither" in reason for reason in reasons) == 1, reasons


def test_a_trusted_same_site_origin_writes(
    chromium: Browser, victims: dict[str, Victim], attacker: int, tmp_path: Path
) -> None:
    victim = victims["trusting"]
    result = visit(chromium, victim, f"http://127.0.0.1:{attacker}/page?target={victim.origin}", shots=tmp_path)
    assert {way: seen.status for way, seen in result.seen.items()} == {"form": 200, "fetch": 200, "websocket": 101}
    assert sorted(result.ran) == [("fetch", True), ("form", True), ("websocket", True)], result.describe()
    assert result.page == {"fetch": "opaque 0", "websocket": "open"}
    assert json.loads(result.response) == {"saved": "from a form"}


def test_without_the_protection_the_same_site_page_writes_with_the_session(
    chromium: Browser, victims: dict[str, Victim], attacker: int, tmp_path: Path
) -> None:
    """The control: the gap is real, the browser's Lax cookie authenticates the forged writes."""
    victim = victims["unprotected"]
    result = visit(chromium, victim, f"http://127.0.0.1:{attacker}/page?target={victim.origin}", shots=tmp_path)
    assert sorted(result.ran) == [("fetch", True), ("form", True), ("websocket", True)], result.describe()


def test_a_cross_site_page_gets_no_lax_cookie_and_no_session(
    chromium: Browser, victims: dict[str, Victim], attacker: int, tmp_path: Path, refusals: pytest.LogCaptureFixture
) -> None:
    victim = victims["protected"]
    result = visit(chromium, victim, f"http://localhost:{attacker}/page?target={victim.origin}", shots=tmp_path)
    assert set(result.seen) == set(WAYS), result.describe()
    for way in ("form", "fetch"):
        assert result.seen[way].headers.get("sec-fetch-site") == "cross-site", result.describe()
    assert not any(seen.cookie_sent for seen in result.seen.values()), result.describe()
    # No cookie, so no cross-site check: WithAuth's ordinary denial ("status": 401, 403 for a websocket).
    assert {way: seen.status for way, seen in result.seen.items()} == {"form": 401, "fetch": 401, "websocket": 403}
    assert result.ran == []
    assert refusal_reasons(refusals) == []


def test_a_cross_site_form_with_a_samesite_none_cookie_is_refused(
    chromium: Browser, victims: dict[str, Victim], attacker: int, tmp_path: Path, refusals: pytest.LogCaptureFixture
) -> None:
    """A ``SameSite=None`` cookie rides on the cross-site top-level POST: refused. (Chromium
    keeps it off the cross-site fetch and websocket: third-party cookies are blocked.)"""
    victim = victims["protected"]
    result = visit(
        chromium, victim, f"http://localhost:{attacker}/page?target={victim.origin}", shots=tmp_path, same_site="None"
    )
    form = result.seen["form"]
    assert form.cookie_sent, result.describe()
    assert form.headers.get("sec-fetch-site") == "cross-site", result.describe()
    assert form.headers.get("origin") == f"http://localhost:{attacker}", result.describe()
    assert form.status == 403
    assert json.loads(result.response)["error"] == "cross_site_request"
    assert result.ran == [], result.describe()
    assert any("Sec-Fetch-Site: cross-site" in reason for reason in refusal_reasons(refusals))
