"""Steps of the end-to-end flows in the browser, each saving a screenshot."""

from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.e2e.nextapp import NextApp

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

SIGN_IN_PATH = "/api/auth/signin"
SIGN_OUT_PATH = "/api/auth/signout"
PASSWORD = "pw"
TIMEOUT_MS = 20_000


@dataclass
class Stack:
    """A Next.js app and the Python app under test, both serving on 127.0.0.1."""

    app: NextApp
    next_origin: str
    python_origin: str


@dataclass
class Session:
    """One browser context (its own cookie jar) walking through a flow, screenshot by screenshot."""

    stack: Stack
    context: BrowserContext
    artefacts: Path
    page: Page = field(init=False)
    _steps: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        print(f"\nscreenshots: {self.artefacts}", file=sys.stderr)

    def shot(self, step: str) -> None:
        self.page.screenshot(path=self.artefacts / f"{next(self._steps):02d}-{step}.png", full_page=True)

    def sign_in_url(self, path: str) -> str:
        """Where the Python app sends a signed-out visitor of ``path``."""
        callback = quote(f"{self.stack.python_origin}{path}", safe="")
        return f"{self.stack.next_origin}{SIGN_IN_PATH}?callbackUrl={callback}"

    def visit_signed_out(self, path: str) -> None:
        """Visit a protected page of the Python app and land on Next's sign-in page."""
        self.page.goto(f"{self.stack.python_origin}{path}")
        self.page.wait_for_url(f"{self.stack.next_origin}{SIGN_IN_PATH}*")
        assert self.page.url == self.sign_in_url(path)
        self.shot(f"sign-in-page-for-{path.strip('/')}")

    def sign_in(self, username: str, *, back_to: str) -> None:
        """Fill next-auth's sign-in form; next-auth sends the browser back to ``back_to``."""
        self.page.fill('input[name="username"]', username)
        self.page.fill('input[name="password"]', PASSWORD)
        self.shot(f"sign-in-form-{username}")
        self.page.get_by_role("button", name=re.compile("Sign in")).click()
        self.page.wait_for_url(f"{self.stack.python_origin}{back_to}")
        self.shot(f"back-at-{back_to.strip('/')}-as-{username}")

    def sign_in_by_email(self, email: str, *, links: Path, back_to: str) -> None:
        """Ask next-auth's sign-in form for a magic link, then follow the link the app recorded
        in ``links`` (JSON lines); next-auth sends the browser back to ``back_to``."""
        self.page.fill('input[name="email"]', email)
        self.shot(f"email-form-{email}")
        self.page.get_by_role("button", name=re.compile("Sign in with Email")).click()
        self.page.wait_for_url(re.compile(r".*/verify-request.*"))
        self.shot("check-your-email")
        sent = [json.loads(line) for line in links.read_text().splitlines()]
        link = next(entry["url"] for entry in reversed(sent) if entry["identifier"] == email)
        self.page.goto(link)
        self.page.wait_for_url(f"{self.stack.python_origin}{back_to}")
        self.shot(f"back-at-{back_to.strip('/')}-as-{email}")

    def sign_out(self) -> None:
        self.page.goto(f"{self.stack.next_origin}{SIGN_OUT_PATH}")
        self.shot("sign-out-page")
        self.page.get_by_role("button", name=re.compile("Sign out")).click()
        self.page.wait_for_load_state()
        self.shot("signed-out")

    def api_from_next_page(self) -> tuple[int, Any]:
        """Open the Next.js app's page that calls the Python ``/api/me`` with ``credentials:
        "include"`` (CORS); the status and JSON body it got."""
        self.page.goto(f"{self.stack.next_origin}/")
        result = self.page.locator("#api-result")
        result.filter(has_not_text="calling").wait_for()
        self.shot("next-page-calls-python-api")
        status, body = result.inner_text().split(" ", 1)
        return int(status), json.loads(body)

    def session_cookies(self) -> list[str]:
        """The names of the session cookie (or its chunks) in the browser."""
        session = re.compile(rf"{re.escape(self.stack.app.cookie_name)}(\.\d+)?")
        return sorted(c["name"] for c in self.context.cookies() if session.fullmatch(c["name"]))
