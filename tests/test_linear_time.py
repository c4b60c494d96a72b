"""Time grows linearly with hostile input, wherever request data meets a regex or a parser.

Each case is ``Case(name, run, build)``: ``run(text)`` is timed on ``build(n)`` for the
smallest and the largest of ``sizes``, and the case fails when the time grows more than
``SLACK`` times faster than the size (``time(8n) / time(n) < 8 * 3``). No absolute time is
ever asserted: each timing is the best of a few repeats, each repeat calls ``run`` enough
times to take a millisecond or more, the two sizes are timed in turn (so both see the same
load on a busy machine), garbage collection is off meanwhile, and a comparison that fails is
measured again (up to ATTEMPTS times: a super-linear case fails every time). A watchdog
(SIGALRM; ``re`` checks signals while it backtracks) stops a call that runs away, so an
exponential case fails in seconds instead of hanging.

To add a case, append to one of the ``*_CASES`` lists (or build a list of your own and
parametrize a test with :func:`assert_linear`).
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import anyio
import pytest

from asgi_withauth import WithAuth, cli
from asgi_withauth._matcher import MAX_PATH_LENGTH, Matcher, MatcherSet, RequestFacts
from asgi_withauth._matcher.jsregex import JsRegex
from asgi_withauth._request.cookies import parse_cookie_header, read_session_cookie
from asgi_withauth._request.headers import bearer_token
from asgi_withauth._request.urls import request_origin
from asgi_withauth._session_route import _AUTHJS_NAME
from asgi_withauth.sessions.database import _SESSION_TOKEN
from tests.asgi import http_scope, run

SLACK = 3.0
"""How much faster than the size the time may grow between the smallest and largest size."""
WATCHDOG_SECONDS = 3.0
"""One timed repeat taking longer than this fails the case (it is not linear, or the machine is stalled)."""
TARGET_SECONDS = 0.001
"""A repeat at the smallest size calls ``run`` often enough to take about this long."""
REPEATS = 3
ATTEMPTS = 3


@dataclass(frozen=True)
class Case:
    """``run`` on ``build(n)`` for n in ``sizes`` (smallest, largest)."""

    name: str
    run: Callable[[str], object]
    build: Callable[[int], str]
    sizes: tuple[int, int] = (2048, 16384)


class RanAway(BaseException):
    """A call took too long. Not an Exception: code under test that catches Exception
    (the middleware denies on any error) must not swallow it."""


@contextmanager
def watchdog(seconds: float, what: str) -> Iterator[None]:
    """Raise RanAway in the main thread when the block takes longer than ``seconds``."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RanAway(f"{what} took more than {seconds} s: super-linear")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)  # and again every 0.5 s, should one be swallowed
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(run: Callable[[str], object], text: str, loops: int, what: str, deadline: float) -> float:
    """Seconds per call over ``loops`` calls."""
    with watchdog(deadline, what):
        start = time.perf_counter()
        for _ in range(loops):
            run(text)
        return (time.perf_counter() - start) / loops


def assert_linear(case: Case, *, deadline: float = WATCHDOG_SECONDS) -> None:
    """Fail when ``case.run``'s time grows super-linearly in the input size (or one timed
    repeat takes longer than ``deadline`` seconds)."""
    small, large = case.sizes
    small_text, large_text = case.build(small), case.build(large)
    assert len(large_text) / len(small_text) >= (large / small) / 2, "the builder must grow with n"
    enabled = gc.isenabled()
    gc.disable()
    try:
        with watchdog(deadline, f"{case.name} at n={small}"):
            start = time.perf_counter()
            case.run(small_text)
            once = time.perf_counter() - start
        loops = max(1, min(1000, int(TARGET_SECONDS / max(once, 1e-7))))
        allowed = len(large_text) / len(small_text) * SLACK
        for _ in range(ATTEMPTS):
            t_small = t_large = float("inf")
            for _ in range(REPEATS):  # in turn, so that both sizes see the same load
                t_small = min(t_small, timed(case.run, small_text, loops, f"{case.name} at n={small}", deadline))
                t_large = min(t_large, timed(case.run, large_text, loops, f"{case.name} at n={large}", deadline))
            if t_large / t_small < allowed:
                return
    finally:
        if enabled:
            gc.enable()
    raise AssertionError(
        f"{case.name}: {t_small * 1e6:.1f} us at n={small}, {t_large * 1e6:.1f} us at n={large}: "
        f"x{t_large / t_small:.1f} for x{len(large_text) / len(small_text):.1f} the size"
    )


def ids(cases: list[Case]) -> list[str]:
    return [case.name for case in cases]


# --- Host (the origin of the sign-in redirect) ---------------------------------------------------

HOSTILE_HOSTS: dict[str, Callable[[int], str]] = {
    "letters+bang": lambda n: "a" * n + "!",
    "hyphens": lambda n: "a-" * (n // 2) + "!",
    "dots": lambda n: "a." * (n // 2) + "-",
    "labels-of-62": lambda n: ("a" * 62 + ".") * (n // 63) + "!",
    "port": lambda n: "a" * 10 + ":" + "9" * n,
    "ipv6": lambda n: "[" + ":" * n,
}
SCOPE: dict[str, Any] = {"type": "http", "scheme": "https", "server": ("127.0.0.1", 8000)}

HOST_CASES = [
    *(
        Case(f"request_origin host {name}", lambda h: request_origin(SCOPE, {"host": h}, public_url=None,
             trust_forwarded=False), build)
        for name, build in HOSTILE_HOSTS.items()
    ),
    *(
        Case(f"request_origin x-forwarded-host {name}", lambda h: request_origin(
            SCOPE, {"host": "ok.example", "x-forwarded-host": h + "," + h}, public_url=None, trust_forwarded=True),
             build)
        for name, build in HOSTILE_HOSTS.items()
    ),
    # Below the name-length cap, so that every label is checked.
    Case("origin of a 31..248 character host", lambda h: request_origin(SCOPE, {"host": h}, public_url=None,
         trust_forwarded=False), lambda n: "a" * n + "!", sizes=(31, 248)),
    Case("origin of 31..248 character labels", lambda h: request_origin(SCOPE, {"host": h}, public_url=None,
         trust_forwarded=False), lambda n: "a-" * (n // 2) + ".-", sizes=(31, 248)),
]  # fmt: skip


@pytest.mark.parametrize("case", HOST_CASES, ids=ids(HOST_CASES))
def test_host(case: Case) -> None:
    assert_linear(case)
    assert request_origin(SCOPE, {"host": case.build(40)}, public_url=None, trust_forwarded=False) == (
        "https://127.0.0.1:8000"
    )  # malformed: the server's address, never the header


def _denied_app() -> WithAuth:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a request without a session must not reach the app")

    return WithAuth(inner, secret="linear-time-secret", matcher="/protected/:path*")


def _denied_with_host(app: WithAuth, backend: str) -> Callable[[str], int]:
    def call(host: str) -> int:
        scope = http_scope("http://localhost/protected/page")
        scope["headers"] = [(b"host", host.encode("latin-1"))]
        sent = anyio.run(run, app, scope, backend=backend)
        assert sent.status == 307
        assert sent.headers["location"].startswith("http://localhost/api/auth/signin?"), sent.headers
        return sent.status

    return call


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("host", ["letters+bang", "hyphens", "labels-of-62"])
def test_withauth_denial_with_a_hostile_host(backend: str, host: str) -> None:
    assert_linear(Case(f"WithAuth denial, Host {host}", _denied_with_host(_denied_app(), backend),
                       HOSTILE_HOSTS[host]))  # fmt: skip


# --- matchers on hostile paths -------------------------------------------------------------------

HOSTILE_PATHS: dict[str, Callable[[int], str]] = {
    "segments": lambda n: "/a" * (n // 2) + "#x",
    "dot-segments": lambda n: "/a" + ".segments/y" * (n // 11) + "#x",
    "dot-segments-line-break": lambda n: "/a" + ".segments/y" * (n // 11) + "\u2028.segment.rsc",
    "dot-segments-matching": lambda n: "/a" + ".segments/y" * (n // 11) + ".segment.rsc/",
    "letters-newline": lambda n: "/" + "a" * n + "\n",
    "slashes": lambda n: "/" * n + "\n",
    "dashes": lambda n: "/" + "a-" * (n // 2) + "/x",
    "dots": lambda n: "/" + "a." * (n // 2) + "\n",
}
HOSTILE_SOURCES = [
    "/:path*",
    "/(.*)",
    "/((?!api|_next/static|_next/image|favicon.ico).*)",
    "/:a*/:b*/:c*",
    "/:a+/:b+",
    "/(.*)/(.*)/(.*)",
    "/((?!.*\\.).*)",
    "/:a-:b",
    "/files/:name.:ext",
    "/docs/:slug*/edit",
    "/((?:a|a)+b)",
    "/((?:a+)+b)",
]
PATH_SIZES = (MAX_PATH_LENGTH // 8, MAX_PATH_LENGTH - 16)

PATH_CASES = [
    Case(f"Matcher({source!r}) on {name}", Matcher(source).match, build, PATH_SIZES)
    for source in HOSTILE_SOURCES
    for name, build in HOSTILE_PATHS.items()
]
_EVERY_SOURCE = MatcherSet([Matcher(source) for source in HOSTILE_SOURCES])
PATH_CASES += [
    Case(f"MatcherSet(all of them) on {name}", _EVERY_SOURCE.first, build, PATH_SIZES)
    for name, build in HOSTILE_PATHS.items()
]


@pytest.mark.parametrize("case", PATH_CASES, ids=ids(PATH_CASES))
def test_matcher_paths(case: Case) -> None:
    assert_linear(case)


# --- has / missing on hostile header, cookie, query and host values ------------------------------

HOSTILE_VALUES = [
    ".*bot.*",
    "(a|a)*b",
    "(?:a+)+b",
    "(.*)(.*)(.*)x",
    "(?!.*x).*",
    "a.*b|c",
    "(?<sub>[a-z]+)\\.example\\.com",
]


def _has(kind: str, value: str) -> Callable[[str], object]:
    condition = {"type": kind, "value": value} if kind == "host" else {"type": kind, "key": "k", "value": value}
    matcher = Matcher({"source": "/p", "has": [condition]})

    def call(text: str) -> bool:
        headers = {"header": [(b"k", text.encode("latin-1"))], "cookie": [(b"cookie", b"k=" + text.encode("latin-1"))],
                   "host": [(b"host", text.encode("latin-1"))]}.get(kind, [])  # fmt: skip
        query = b"k=" + text.encode("latin-1") if kind == "query" else b""
        return matcher.match("/p", RequestFacts.from_scope({"headers": headers, "query_string": query}))

    return call


def _letters(n: int) -> str:
    return "a" * n + "!"


def _words_then_line_break(n: int) -> str:
    return "bota" * (n // 4) + "%0A"  # cookies and queries decode it: a line break, where JavaScript's . stops


def _words_then_raw_line_break(n: int) -> str:
    return "bota" * (n // 4) + "\n"


CONDITION_CASES = [
    Case(f"{kind} value against {value!r}, {build.__name__}", _has(kind, value), build)
    for kind in ("header", "cookie", "query", "host")
    for value in HOSTILE_VALUES
    for build in (
        _letters,
        _words_then_raw_line_break if kind in ("header", "host") else _words_then_line_break,
    )
]
CONDITION_CASES += [
    Case("RequestFacts.from_scope with a header repeated n/8 times",
         lambda text: RequestFacts.from_scope({"headers": [(b"x-r", b"1234567")] * (len(text) // 8)}),
         lambda n: "r" * n, (8 * 8192, 8 * 65536)),
    Case("RequestFacts.from_scope with n/8 cookie headers",
         lambda text: RequestFacts.from_scope({"headers": [(b"cookie", b"c=12345")] * (len(text) // 8)}),
         lambda n: "r" * n, (8 * 8192, 8 * 65536)),
]  # fmt: skip


@pytest.mark.parametrize("case", CONDITION_CASES, ids=ids(CONDITION_CASES))
def test_conditions(case: Case) -> None:
    assert_linear(case)


# --- JavaScript regexes: patterns re would take super-linear time on ------------------------------

REGEX_CASES = [
    Case(f"JsRegex({pattern!r}, search={search}) on {name}", JsRegex(pattern, search=search).matches, build,
         (4096, 32768))
    for pattern in ["^(a|a)*b$", "^(a*)*b$", "^.*a.*a.*$", "^(.*)(.*)(.*)x$", "^(?:(?!.*x).)*$", "a.*b", "\\ba+\\b!"]
    for search in (False, True)
    for name, build in {"a's then !": lambda n: "a" * n + "!", "a's then a newline": lambda n: "a" * n + "\n"}.items()
]  # fmt: skip


@pytest.mark.parametrize("case", REGEX_CASES, ids=ids(REGEX_CASES))
def test_javascript_regexes(case: Case) -> None:
    assert_linear(case)


# --- cookies, bearer tokens, the command's pasted headers ----------------------------------------

SESSION = "next-auth.session-token"


def _read_session(header: str) -> object:
    try:
        return read_session_cookie(parse_cookie_header(header), SESSION)
    except ValueError:
        return None


def _locate(text: str) -> object:
    try:
        return cli.locate(text)
    except cli.CLIError:
        return None


COOKIE_CASES = [
    Case("parse_cookie_header " + name, parse_cookie_header, build)
    for name, build in {
        "many cookies": lambda n: "a=b; " * (n // 5),
        "equals": lambda n: "=" * n,
        "semicolons": lambda n: ";" * n,
        "spaces": lambda n: "a=" + " " * n + "b",
        "quotes": lambda n: "a=" + '"' * n,
        "percents": lambda n: "a=" + "%" * n,
        "escapes": lambda n: "a=" + "%41" * (n // 3),
        "bad utf-8": lambda n: "a=" + "%E9" * (n // 3),
    }.items()
]
COOKIE_CASES += [
    Case("read_session_cookie " + name, _read_session, build)
    for name, build in {
        "chunks": lambda n: "; ".join(f"{SESSION}.{i}=x" for i in range(min(n // 30, 9999))),
        "chunks with a gap": lambda n: "; ".join(f"{SESSION}.{i}=x" for i in range(1, n // 30)),
        "long chunk names": lambda n: f"{SESSION}." + "0" * n + "=x",
        "other cookies": lambda n: "; ".join(f"c{i}=x" for i in range(n // 8)),
    }.items()
]
COOKIE_CASES += [
    Case("bearer_token " + name, bearer_token, build)
    for name, build in {
        "percents": lambda n: "Bearer " + "%" * n,
        "escapes": lambda n: "Bearer " + "%E9" * (n // 3),
        "spaces": lambda n: "Bearer " + "a " * (n // 2),
        "no scheme": lambda n: " " * n,
    }.items()
]
COOKIE_CASES += [
    Case("database session token check " + name, _SESSION_TOKEN.fullmatch, build)
    for name, build in {
        "cookie octets": lambda n: "a" * n,
        "a bad last character": lambda n: "a" * n + " ",
    }.items()
]
COOKIE_CASES += [
    Case("session route flavour " + name, _AUTHJS_NAME.match, build)
    for name, build in {
        "a long name": lambda n: "__Secure-" * (n // 9),
        "almost authjs": lambda n: "authjs" * (n // 6),
    }.items()
]
COOKIE_CASES += [
    Case("asgi-withauth inspect: " + name, _locate, build)
    for name, build in {
        "cookie prefix": lambda n: "cookie" + " " * n + "x",
        "authorization prefix": lambda n: "Authorization" + " " * n + ":",
        "bearer prefix": lambda n: "bearer" + "\t" * n,
        "a long chunk name": lambda n: "a" * n + ".0=x",
    }.items()
]
PASTED_CASES = [
    Case(
        "asgi-withauth inspect: many distinct cookies", _locate, lambda n: "; ".join(f"c{i}=x" for i in range(n // 8))
    ),
    Case(
        "asgi-withauth inspect: many chunk runs",
        _locate,
        lambda n: "; ".join(f"a{i}.0=x" for i in range(n // 8)),
        (1024, 8192),
    ),
]


@pytest.mark.parametrize("case", COOKIE_CASES, ids=ids(COOKIE_CASES))
def test_cookies_and_tokens(case: Case) -> None:
    assert_linear(case)


@pytest.mark.parametrize("case", PASTED_CASES, ids=ids(PASTED_CASES))
def test_pasted_cookie_headers(case: Case) -> None:
    assert_linear(case)


def _cross_site_refusal(header: bytes) -> Callable[[str], object]:
    """The cross-site rule on a write with the session cookie and a hostile ``header`` value."""
    from asgi_withauth import AuthOptions, CrossSiteProtection
    from asgi_withauth._middleware.crosssite import cross_site_check
    from asgi_withauth.sessions import sessions_for

    check = cross_site_check(CrossSiteProtection(), sessions_for(AuthOptions(secret="linear-time")))

    def refusal(value: str) -> object:
        scope = http_scope("/x", method="POST", cookies={"next-auth.session-token": "x"})
        scope["headers"].append((header, value.encode("latin-1")))
        return check.refusal_now(scope)

    return refusal


CROSS_SITE_CASES = [
    Case(f"cross-site rule, {name} {kind}", _cross_site_refusal(header), build)
    for header, name in ((b"origin", "Origin"), (b"sec-fetch-site", "Sec-Fetch-Site"))
    for kind, build in HOSTILE_HOSTS.items()
] + [
    Case(
        "cross-site rule, Origin http:// + a long host", _cross_site_refusal(b"origin"), lambda n: "http://" + "a." * n
    ),
]


@pytest.mark.parametrize("case", CROSS_SITE_CASES, ids=ids(CROSS_SITE_CASES))
def test_the_cross_site_rule(case: Case) -> None:
    assert_linear(case)
    assert case.run(case.build(40)) is not None  # hostile values are refused, never passed


# --- the helper itself ---------------------------------------------------------------------------


def test_the_helper_catches_quadratic_time() -> None:
    def quadratic(text: str) -> int:
        return sum(text.count(c) for c in text)

    with pytest.raises(AssertionError, match=r"x[0-9.]+ for x8"):
        assert_linear(Case("quadratic", quadratic, lambda n: "a" * n, (256, 2048)))


def test_the_watchdog_stops_exponential_backtracking() -> None:
    import re

    exponential = re.compile(r"(?:a|a)*b").fullmatch
    started = time.perf_counter()
    with pytest.raises(RanAway):
        assert_linear(Case("exponential", exponential, lambda n: "a" * n, (8, 64)), deadline=0.2)
    assert time.perf_counter() - started < 0.2 * (2 * REPEATS + 1) + 1
