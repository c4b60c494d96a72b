"""A real Chromium for the tests, driven by Playwright's sync API.

Playwright's own browser download is not needed: the system Chromium is launched
(``ASGI_WITHAUTH_CHROMIUM``, else ``chromium``/``chromium-browser``/``google-chrome`` on PATH),
headless, with no background traffic of its own. Tests get it through :func:`launched_chromium`,
which skips when Playwright (``pip install -e '.[browser]'``) or Chromium (Debian:
``apt-get install chromium``) is missing, unless ``ASGI_WITHAUTH_REQUIRE_BROWSER=1`` (then it
fails)::

    @pytest.fixture(scope="module")
    def chromium() -> Iterator[Browser]:
        with launched_chromium() as browser:
            yield browser

    def test_page(chromium: Browser) -> None:
        page = chromium.new_page()
        page.goto("http://127.0.0.1:8000/")

Use plain sync tests: Playwright's sync API runs its own event loop (never inside anyio's), and
Playwright does not support trio. Serve the apps under test with ``tests.servers.running``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REQUIRE_BROWSER_ENV = "ASGI_WITHAUTH_REQUIRE_BROWSER"
CHROMIUM_ENV = "ASGI_WITHAUTH_CHROMIUM"
INSTALL_HINT = "pip install -e '.[browser]' and install Chromium (Debian: apt-get install chromium)"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = (
    "--no-sandbox",  # the tests may run as root, in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing but the pages' own requests: no updates, no sync, no field trials (offline CI
    # refuses those connections, and they would only add noise).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LAUNCH_TIMEOUT_MS = 30_000


def find_chromium() -> str | None:
    """The Chromium to launch: ``$ASGI_WITHAUTH_CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on PATH; None when there is none."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return shutil.which(configured)
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name)) is not None), None)


def browser_unavailable(reason: str) -> NoReturn:
    """Skip (or fail, with ASGI_WITHAUTH_REQUIRE_BROWSER=1) the test that needs the browser."""
    message = f"browser unavailable: {reason}"
    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{REQUIRE_BROWSER_ENV}=1 but {message}", pytrace=False)
    pytest.skip(f"{message}; {INSTALL_HINT} (set {REQUIRE_BROWSER_ENV}=1 to fail instead)")


@contextlib.contextmanager
def launched_chromium() -> Iterator[Browser]:
    """A headless system Chromium under Playwright, closed on exit; skips (or fails) when
    Playwright or Chromium is missing or does not start."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        browser_unavailable("the playwright package is not installed")
    executable = find_chromium()
    if executable is None:
        configured = os.environ.get(CHROMIUM_ENV)
        if configured:
            browser_unavailable(f"{CHROMIUM_ENV}={configured} is not an executable")
        browser_unavailable(f"no {' or '.join(CHROMIUM_NAMES)} on PATH")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=list(CHROMIUM_ARGS), timeout=LAUNCH_TIMEOUT_MS
            )
        except Error as exc:
            browser_unavailable(f"{executable} did not start: {exc.message.splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()
