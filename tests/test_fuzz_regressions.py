"""What the fuzzers found, as plain tests: each reproducer through its harness's oracle (no
atheris needed), and every seed of ``tests/fuzz/corpus`` through its harness, so that the
harnesses keep working where atheris is not installed."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz import fuzz_middleware
from tests.fuzz.common import Crash
from tests.fuzz.middleware_cases import Config, Request, request_from, run
from tests.fuzz.seeds import CORPUS, HARNESSES, middleware_input


def _passing(config: Config) -> Config:
    """``config`` with WithAuth taken out: every request reaches the inner app."""
    inner = config.inner

    async def app(scope: Any, receive: Any, send: Any) -> None:
        inner.append({"scope": dict(scope), "body": b""})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return Config("no WithAuth", app, inner=inner)


@pytest.mark.parametrize(
    "path", ["/admin/public.json", "/admin/public.rsc", "/admin/public.segments/a.segment.rsc", "/admin/publicx"]
)
def test_a_public_rule_is_matched_as_written(path: str) -> None:
    """Found by fuzz_middleware before d2ddf86: ``Rule("/admin/public/:path*", public=True)`` was
    matched with Next's added forms, so ``/admin/public.json`` reached a handler of
    ``/admin/{section}`` without a session. The oracle flags exactly that outcome."""
    data = middleware_input(0, path)
    fuzz_middleware.check(data)
    config, request = request_from(data)
    with pytest.raises(Crash, match="without a valid session"):
        fuzz_middleware.judge(_passing(config), request)


def test_a_path_with_a_lone_surrogate_and_no_raw_path_is_refused() -> None:
    """Found by fuzz_middleware: a scope without ``raw_path`` whose ``path`` holds a lone
    surrogate (a server decoding with ``surrogateescape``) made ``canonical_route`` raise
    UnicodeEncodeError out of WithAuth (a 500). It is refused as a path that is not UTF-8."""
    data = b"\x03*\x04\x00\x00\x00\x00\x00\x00e/admin/%\x93a\xcf%e///"
    fuzz_middleware.check(data)
    config, request = request_from(data)
    assert "raw_path" not in request.scope
    assert "\udc93" in request.scope["path"]
    assert run(config, request).sent[0]["status"] == 400


def test_the_canonical_redirect_stays_on_the_origin_whatever_the_root_path() -> None:
    """Found by fuzz_middleware: a ``root_path`` of ``//evil.example`` (configuration, not
    request input) made the 308 to the canonical path ``//evil.example/admin``, a
    protocol-relative URL to another host (fixed in 5d555a8)."""
    config, request = request_from(middleware_input(0, "/x/../admin"))
    scope = {**request.scope, "root_path": "//evil.example"}
    fuzz_middleware.judge(config, Request(scope, request.body, request.token, request.placed, request.cookie_name))


def test_a_cross_site_write_with_the_session_cookie_is_refused() -> None:
    """The cross-site oracle is live: a POST with a valid session cookie from a foreign Origin
    passes through WithAuth (refused), and is flagged when nothing refuses it."""
    data = middleware_input(0, "/admin/x", flags=0b00100100, token=1, origin=3)
    fuzz_middleware.check(data)
    config, request = request_from(data)
    assert run(config, request).sent[0]["status"] == 403
    with pytest.raises(Crash, match="foreign Origin"):
        fuzz_middleware.judge(_passing(config), request)


def _seeds(harness: str) -> list[Path]:
    return sorted((CORPUS / harness).iterdir())


@pytest.mark.parametrize("harness", HARNESSES)
def test_every_seed_passes_its_harness(harness: str) -> None:
    check: Callable[[bytes], None] = importlib.import_module(f"tests.fuzz.fuzz_{harness}").check
    seeds = _seeds(harness)
    assert seeds, f"no seeds for {harness}: run python tests/fuzz/seeds.py"
    for seed in seeds:
        check(seed.read_bytes())


def test_the_seeds_are_the_generated_ones() -> None:
    """``tests/fuzz/corpus`` is what ``tests/fuzz/seeds.py`` writes (rerun it after a change)."""
    from tests.fuzz.seeds import seeds

    for harness in HARNESSES:
        assert len(_seeds(harness)) == len(seeds(harness)), harness
