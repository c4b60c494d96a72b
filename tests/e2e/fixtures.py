"""What the end-to-end test modules share: the browser, a Next.js app beside the Python app,
and a fresh browser session per test. Import the fixtures into the test module."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from starlette.types import ASGIApp

from tests.browser import launched_chromium
from tests.e2e.flows import Session, Stack
from tests.e2e.nextapp import NextApp, next_server
from tests.servers import free_port, running

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SECRET = "e2e-shared-secret-between-next-and-python"


@contextlib.contextmanager
def serving(
    app: NextApp, python: Callable[[str], ASGIApp], *, logs: Path, env: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """``app`` (installed and built when stale) and ``python(next_origin)`` under uvicorn, both
    serving on 127.0.0.1 with :data:`SECRET`; the browser reaches both as ``app.host``."""
    next_port = free_port()
    next_origin = f"http://{app.host}:{next_port}"
    with app.prepared(), running(python(next_origin)) as python_address:
        python_origin = f"http://{app.host}:{python_address.rsplit(':', 1)[1]}"
        log = logs / "next.log"
        with next_server(app, port=next_port, secret=SECRET, python_origin=python_origin, log=log, env=env):
            yield Stack(app=app, next_origin=next_origin, python_origin=python_origin)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def session(chromium: Browser, stack: Stack, tmp_path: Path) -> Iterator[Session]:
    """A fresh browser context (no cookies) on the module's ``stack``; screenshots in tmp_path."""
    context = chromium.new_context()
    try:
        yield Session(stack=stack, context=context, artefacts=tmp_path)
    finally:
        context.close()
