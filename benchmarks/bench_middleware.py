"""Middleware benchmark: a bare Starlette app against the same app behind ``WithAuth``.

Usage::

    python benchmarks/bench_middleware.py [--quick] [--json out.json]

Part 1, under a real server: the bare app and ``WithAuth(app, secret=..., matcher=[...])``
are each served by uvicorn (``--http httptools --loop uvloop``, one worker, no access log)
on 127.0.0.1 and driven by wrk. With two or more cores, the servers are pinned to one core
and wrk to another (``taskset``). Four scenarios:

(a) a protected route with a valid next-auth v4 session cookie, token cache warm;
(b) the same with the cache off (``cache_size=0``): every request decrypts;
(c) the protected route without a cookie: ours answers 307, the bare app its usual 200 on
    the same path (so the ratio compares a redirect with a 200, not two redirects);
(d) a path the matcher does not cover: passes straight through.

Each scenario measures ``--pairs`` pairs of runs, a bare run and an ours run of
``--duration`` seconds each, after a warm-up of each server. The two runs of a pair are
interleaved in 1 s wrk slices (bare, ours, bare, ours, ...), because this machine's speed
drifts by tens of percent within seconds: interleaving at 1 s makes both runs of a pair see
the same machine. A run's req/s is its requests over its slices' time; the ratio is the
median over pairs of (ours / bare). The server's CPU time per request (``/proc``) is shown
too, and a round of slices in which a server got less than 85% of its core (something else
ran on the machine) is measured again. A wrk Lua script counts every response status, and
the inner app counts the requests it served and how many carried
``scope["nextauth"]["token"]``: both are checked after every slice. The floors are
reference middlewares that do the least work possible (see ``FloorMiddleware``), and
``--candidate DIR`` adds a modified copy of asgi_withauth to every comparison.

Part 2, in process (no server): microseconds per request for the ASGI app called directly
with a prebuilt scope and no-op ``receive``/``send``: a minimal inner app alone, and behind
``WithAuth`` with 1, 10 and 100 rules (``rules=[Rule(matcher=f"/area{i}/:path*") ...]``,
``matcher=[]``), the request hitting the last rule with a valid token and a warm cache,
on one path and on a new path for each request (so that no per-path memo helps); a request
that matches none of the 100 rules; the floors; and two context rows (cache off, no cookie).

The benchmark prints and never fails on a slow result; it exits non-zero only when a
check fails (wrong statuses, a token that does not decode, a server that does not start).
"""

from __future__ import annotations

import argparse
import asyncio
import binascii
import contextlib
import gc
import http.client
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import asgi_withauth
from asgi_withauth import WithAuth, jwt
from asgi_withauth.cookies import session_cookie_name

SECRET: Final = "benchmark-secret-0123456789abcdef0123456789abcdef"
HOST: Final = "127.0.0.1"
MATCHER: Final = ["/app/:path*", "/account/:path*"]
PROTECTED_PATH: Final = "/app/dashboard"
UNMATCHED_PATH: Final = "/public/hello"
STATS_PATH: Final = "/_bench/stats"
VARIANT_ENV: Final = "ASGI_WITHAUTH_BENCH_VARIANT"
BARE: Final = "bare"
OURS: Final = "ours"
OURS_NO_CACHE: Final = "ours (cache_size=0)"
FLOOR_CACHED: Final = "floor, cached"
FLOOR_DECRYPT: Final = "floor, decrypts"
FLOOR_PASS: Final = "floor, passes through"
CANDIDATE: Final = "candidate"
CANDIDATE_NO_CACHE: Final = "candidate (cache_size=0)"
CANDIDATE_OF: Final = {OURS: CANDIDATE, OURS_NO_CACHE: CANDIDATE_NO_CACHE}
VARIANTS: Final = {
    BARE: "bare",
    OURS: "ours",
    OURS_NO_CACHE: "ours-nocache",
    FLOOR_CACHED: "floor-cached",
    FLOOR_DECRYPT: "floor-decrypt",
    FLOOR_PASS: "floor-pass",
    CANDIDATE: "ours",  # the same app, served with --candidate's asgi_withauth
    CANDIDATE_NO_CACHE: "ours-nocache",
}
"""Server variant -> value of ``ASGI_WITHAUTH_BENCH_VARIANT`` in the server process."""
WITH_AUTH: Final = frozenset({OURS, OURS_NO_CACHE, CANDIDATE, CANDIDATE_NO_CACHE})
MIN_CPU_SHARE: Final = 0.85
"""A slice where a server used less of its core than this was starved by something else on
the machine (the server is the bottleneck, so it should be near 100%): that round of slices
(one per server) is measured again after a pause, at most pairs x duration times per
scenario; past that budget, starved rounds are kept and counted in the table."""
RETRY_PAUSE: Final = 2.0

SERVER_TARGETS: Final = {"a": 0.90, "b": 0.75, "d": 0.97}
RULES_GROWTH_TARGET: Final = 1.2
RULE_COUNTS: Final = (1, 10, 100)
PACKAGE_ROOT: Final = Path(asgi_withauth.__file__).resolve().parent.parent
"""Where the measured asgi_withauth lives: ``PYTHONPATH=/some/copy`` measures a modified copy."""


# ================================================================== the app under test

_COUNTS: dict[str, Any] = {"dashboard": 0, "with_token": 0, "last_sub": None}


async def dashboard(request: Request) -> Response:
    """The protected route: a small plain-text page. Counts what it served, for the checks."""
    _COUNTS["dashboard"] += 1
    nextauth = request.scope.get("nextauth")
    if nextauth is not None and (token := nextauth.get("token")) is not None:
        _COUNTS["with_token"] += 1
        _COUNTS["last_sub"] = token.get("sub")
    return PlainTextResponse("dashboard")


async def items(request: Request) -> Response:
    return JSONResponse({"items": [{"id": 1, "name": "first"}, {"id": 2, "name": "second"}]})


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


async def stats(request: Request) -> Response:
    return JSONResponse(_COUNTS)


def bare_app() -> Starlette:
    """A few routes with small plain-text and JSON responses."""
    return Starlette(
        routes=[
            Route(PROTECTED_PATH, dashboard),
            Route("/app/items", items),
            Route(UNMATCHED_PATH, hello),
            Route(STATS_PATH, stats),
        ]
    )


_SESSION_COOKIE: Final = b"next-auth.session-token="
_B64_PAD: Final = (b"", b"", b"==", b"=")


def _b64(segment: bytes) -> bytes:
    return binascii.a2b_base64(segment.replace(b"-", b"+").replace(b"_", b"/") + _B64_PAD[len(segment) % 4])


class FloorMiddleware:
    """A reference point, not a contender: about the least a pure ASGI middleware can do to
    put the session's claims in the scope. One ``startswith`` for the path; the Cookie
    header's bytes found with one loop; with ``cache=True``, the claims looked up by those
    bytes (``exp`` checked, a copy handed out); else, or on a miss, the session cookie cut
    out with ``bytes.find``, AES-GCM with ``cryptography`` (key derived beforehand) and
    ``json.loads``. No chunked cookies, no redirects, no header or claims validation, no
    cache bound, no path normalisation."""

    def __init__(self, app: ASGIApp, *, cache: bool, prefix: str = "/app/") -> None:
        self.app = app
        self.prefix = prefix
        self.aead = AESGCM(jwt.derive_key(SECRET, version=4))
        self.cache: dict[bytes, dict[str, Any]] | None = {} if cache else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            claims = None
            for key, value in scope["headers"]:
                if key == b"cookie":
                    claims = self._claims(value)
                    break
            scope["nextauth"] = {"token": claims}
        await self.app(scope, receive, send)

    def _claims(self, header: bytes) -> dict[str, Any] | None:
        if self.cache is not None:
            hit = self.cache.get(header)
            if hit is not None and hit["exp"] > time.time():
                return dict(hit)
        start = header.find(_SESSION_COOKIE)
        if start < 0:
            return None
        start += len(_SESSION_COOKIE)
        end = header.find(b";", start)
        token = header[start:] if end < 0 else header[start:end]
        protected, _, iv, ciphertext, tag = token.split(b".")
        claims: dict[str, Any] = json.loads(self.aead.decrypt(_b64(iv), _b64(ciphertext) + _b64(tag), protected))
        if self.cache is not None:
            self.cache[header] = claims
        return claims


class PassThrough:
    """A reference point: an ASGI middleware that does nothing but call the app, the cost
    of one more layer (what an unmatched path can cost at the very least)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def server_app() -> ASGIApp:
    """The uvicorn factory: the variant named by ``ASGI_WITHAUTH_BENCH_VARIANT``."""
    variant = os.environ.get(VARIANT_ENV, "bare")
    if variant == VARIANTS[BARE]:
        return bare_app()
    if variant == VARIANTS[OURS]:
        return WithAuth(bare_app(), secret=SECRET, matcher=MATCHER)
    if variant == VARIANTS[OURS_NO_CACHE]:
        return WithAuth(bare_app(), secret=SECRET, matcher=MATCHER, cache_size=0)
    if variant == VARIANTS[FLOOR_CACHED]:
        return FloorMiddleware(bare_app(), cache=True)
    if variant == VARIANTS[FLOOR_DECRYPT]:
        return FloorMiddleware(bare_app(), cache=False)
    if variant == VARIANTS[FLOOR_PASS]:
        return PassThrough(bare_app())
    raise ValueError(f"unknown {VARIANT_ENV}={variant!r}")


# ================================================================== tokens


def session_token(*, now: int) -> tuple[str, dict[str, Any]]:
    """A next-auth v4 session token with the claims of a typical session (~300 B)."""
    claims = {
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "picture": "https://avatars.example.com/u/1815?v=4&s=460",
        "sub": "a3f1c2d4-5b6e-4f70-8a91-b2c3d4e5f607",
        "role": "member",
    }
    token = jwt.encode(claims, SECRET, version=4, now=now)
    return token, jwt.decode(token, SECRET, version=4, now=now)


def cookie_header(token: str) -> str:
    """What a browser sends after a next-auth sign-in: csrf and callback-url cookies too."""
    return "; ".join(
        [
            "next-auth.csrf-token=" + "3f" * 32 + "%7C" + "a1" * 32,
            "next-auth.callback-url=http%3A%2F%2F127.0.0.1%3A3000%2Fapp%2Fdashboard",
            f"{session_cookie_name(version=4)}={token}",
        ]
    )


# ================================================================== machine


@dataclass(frozen=True, slots=True)
class Pinning:
    """``taskset`` prefixes for the server and for wrk (empty when not pinning)."""

    server: tuple[str, ...]
    wrk: tuple[str, ...]
    note: str


def pinning() -> Pinning:
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    taskset = shutil.which("taskset")
    if taskset is None or len(cores) < 2:
        why = "taskset not found" if taskset is None else f"only {len(cores)} usable core(s)"
        return Pinning((), (), f"not pinned ({why})")
    server, load = cores[0], cores[1]
    return Pinning(
        (taskset, "-c", str(server)), (taskset, "-c", str(load)), f"server on core {server}, wrk on core {load}"
    )


def event_loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "n/a"


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    match = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


def git_commit() -> str:
    root = PACKAGE_ROOT
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", "asgi_withauth"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (asgi_withauth/ modified)" if dirty else "")


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def environment(wrk: str | None) -> dict[str, str]:
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "uvicorn": version_of("uvicorn"),
        "starlette": version_of("starlette"),
        "httptools": version_of("httptools"),
        "uvloop": version_of("uvloop"),
        "cryptography": version_of("cryptography"),
        "wrk": wrk_version(wrk) if wrk else "n/a",
        "asgi_withauth": git_commit(),
        "asgi_withauth_path": str(PACKAGE_ROOT / "asgi_withauth"),
    }


# ================================================================== part 1: server + wrk

WRK_SCRIPT: Final = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p99":%d,"mean":%.1f},"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, table.concat(parts, ",")))
end
"""


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    path: str
    cookie: bool
    ours: str  # the server variant compared with the bare app
    expect_bare: int
    expect_ours: int
    ours_sees_token: bool  # every request reaching ours' inner app carries the decoded token


SCENARIOS: Final = (
    Scenario("a", "protected, valid cookie, cache warm", PROTECTED_PATH, True, OURS, 200, 200, True),
    Scenario("b", "protected, valid cookie, cache off", PROTECTED_PATH, True, OURS_NO_CACHE, 200, 200, True),
    Scenario("c", "protected, no cookie (ours 307, bare 200)", PROTECTED_PATH, False, OURS, 200, 307, False),
    Scenario("d", "unmatched path, passes through", UNMATCHED_PATH, True, OURS, 200, 200, False),
)
FLOOR_SCENARIOS: Final = (
    Scenario("a-floor", "reference for (a): floor, cached", PROTECTED_PATH, True, FLOOR_CACHED, 200, 200, True),
    Scenario("b-floor", "reference for (b): floor, decrypts", PROTECTED_PATH, True, FLOOR_DECRYPT, 200, 200, True),
    Scenario("d-floor", "reference for (d): floor, passes through", UNMATCHED_PATH, True, FLOOR_PASS, 200, 200, False),
)


@dataclass(slots=True)
class Slice:
    """One wrk invocation against one server."""

    requests: int
    duration_s: float
    statuses: dict[str, int]
    non_2xx_3xx: int  # wrk's own count ("Non-2xx or 3xx responses")
    socket_errors: int
    p50_ms: float
    p99_ms: float
    server_cpu_s: float  # CPU time of the server process during the slice
    served_by_inner_app: int
    inner_app_saw_token: int


@dataclass(slots=True)
class WrkRun:
    """One run: ``duration`` seconds of load on one server, as 1 s slices interleaved with
    the other server's run of the same pair."""

    variant: str
    slices: list[Slice] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.slices)

    @property
    def rps(self) -> float:
        return self.requests / sum(s.duration_s for s in self.slices)

    @property
    def statuses(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for part in self.slices:
            for status, n in part.statuses.items():
                total[status] = total.get(status, 0) + n
        return dict(sorted(total.items()))

    @property
    def non_2xx_3xx(self) -> int:
        return sum(s.non_2xx_3xx for s in self.slices)

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * sum(s.server_cpu_s for s in self.slices) / max(1, self.requests)

    @property
    def cpu_share(self) -> float:
        """Fraction of a core the server used: ~1.0 when it is the bottleneck, as it should be."""
        return sum(s.server_cpu_s for s in self.slices) / sum(s.duration_s for s in self.slices)

    def summary(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "rps": self.rps,
            "requests": self.requests,
            "statuses": self.statuses,
            "non_2xx_3xx": self.non_2xx_3xx,
            "server_cpu_us_per_request": self.cpu_us_per_request,
            "server_cpu_share": self.cpu_share,
            "slices": [asdict(part) for part in self.slices],
        }


@dataclass(slots=True)
class ScenarioResult:
    key: str
    title: str
    path: str
    contenders: tuple[str, ...]  # the variants compared with the bare app, in run order
    pairs: list[dict[str, WrkRun]] = field(default_factory=list)
    discarded: list[dict[str, Slice]] = field(default_factory=list)  # rounds of slices measured again
    starved_kept: int = 0  # starved rounds kept once the budget for measuring again ran out

    def ratios(self, variant: str) -> list[float]:
        return [pair[variant].rps / pair[BARE].rps for pair in self.pairs]

    def ratio(self, variant: str) -> float:
        return statistics.median(self.ratios(variant))

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.key,
            "title": self.title,
            "path": self.path,
            "target": SERVER_TARGETS.get(self.key),
            "ratio": {variant: self.ratio(variant) for variant in self.contenders},
            "ratios": {variant: self.ratios(variant) for variant in self.contenders},
            "pairs": [{variant: run.summary() for variant, run in pair.items()} for pair in self.pairs],
            "discarded_slices": [
                {variant: asdict(part) for variant, part in parts.items()} for parts in self.discarded
            ],
            "starved_slices_kept": self.starved_kept,
        }


class CheckFailed(RuntimeError):
    """The benchmark did not measure what it claims to (wrong statuses, no token)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(port: int, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request with a real HTTP client (``http.client``, redirects not followed)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Server:
    """uvicorn serving one variant of the app, on a free port of 127.0.0.1."""

    def __init__(self, variant: str, pin: Sequence[str], loop: str, package_root: Path = PACKAGE_ROOT) -> None:
        self.variant = variant
        self.port = free_port()
        here = Path(__file__).resolve().parent
        self.command = [
            *pin,
            sys.executable,
            "-m",
            "uvicorn",
            "bench_middleware:server_app",
            "--factory",
            "--app-dir",
            str(here),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--http",
            "httptools",
            "--loop",
            loop,
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        # The servers import the very asgi_withauth this process measures (a copy named by
        # PYTHONPATH, or the installed one), or the --candidate copy.
        path = os.pathsep.join(p for p in (str(package_root), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, VARIANT_ENV: VARIANTS[variant], "PYTHONPATH": path}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(self.command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CheckFailed(f"{self.variant} server exited at start-up:\n{self.output()}")
            with contextlib.suppress(OSError):
                if http_get(self.port, STATS_PATH)[0] == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise CheckFailed(f"{self.variant} server did not answer within {timeout:.0f} s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def counts(self) -> dict[str, Any]:
        status, _, body = http_get(self.port, STATS_PATH)
        if status != 200:
            raise CheckFailed(f"{self.variant}: {STATS_PATH} answered {status}")
        counts: dict[str, Any] = json.loads(body)
        return counts

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def run_wrk(
    wrk: Sequence[str], script: Path, port: int, path: str, headers: Mapping[str, str], seconds: float, conns: int
) -> dict[str, Any]:
    duration = max(1, round(seconds))
    command = [*wrk, "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
            return result
    raise CheckFailed(f"wrk printed no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def check_server(servers: Mapping[str, Server], token: str, claims: Mapping[str, Any]) -> None:
    """Before any load, with a real HTTP client: the session cookie gets a 200 and the inner
    app sees the very claims we minted; no cookie gets WithAuth's 307 to the sign-in page
    (the bare app and the floors answer 200); the unmatched path answers 200."""
    cookie = {"Cookie": cookie_header(token)}
    for variant, server in servers.items():
        before = server.counts()
        status, _, body = http_get(server.port, PROTECTED_PATH, cookie)
        after = server.counts()
        if status != 200 or body != b"dashboard":
            raise CheckFailed(f"{variant}: {PROTECTED_PATH} with the session cookie answered {status} {body!r}")
        saw = after["with_token"] - before["with_token"]
        decodes = variant not in (BARE, FLOOR_PASS)
        if not decodes and saw != 0:
            raise CheckFailed(f"{variant}: a token appeared without a middleware that decodes it")
        if decodes and (saw != 1 or after["last_sub"] != claims["sub"]):
            raise CheckFailed(f"{variant}: the inner app did not see the token's claims in scope['nextauth']['token']")
        status, headers, _ = http_get(server.port, PROTECTED_PATH)
        ours = variant in WITH_AUTH
        expected = 307 if ours else 200
        if status != expected:
            raise CheckFailed(f"{variant}: {PROTECTED_PATH} without a cookie answered {status}, not {expected}")
        location = headers.get("location", "")
        if ours and location != f"http://{HOST}:{server.port}/api/auth/signin?callbackUrl=%2Fapp%2Fdashboard":
            raise CheckFailed(f"{variant}: unexpected Location {location!r}")
        status, _, body = http_get(server.port, UNMATCHED_PATH, cookie)
        if status != 200 or body != b"hello":
            raise CheckFailed(f"{variant}: {UNMATCHED_PATH} answered {status} {body!r}")


def check_slice(scenario: Scenario, variant: str, part: Slice, expected: int, conns: int) -> None:
    problems = []
    if set(part.statuses) != {str(expected)} or part.statuses[str(expected)] != part.requests:
        problems.append(f"statuses {part.statuses}, expected only {expected}")
    if part.socket_errors:
        problems.append(f"{part.socket_errors} socket errors")
    # The inner app may serve up to one in-flight request per connection after wrk stops counting.
    reached = part.served_by_inner_app
    if scenario.path == PROTECTED_PATH:
        if expected == 200 and not part.requests <= reached <= part.requests + conns:
            problems.append(f"inner app served {reached} requests for {part.requests} responses")
        if expected == 307 and reached:
            problems.append(f"inner app served {reached} requests that should have been redirected")
        if variant != BARE and scenario.ours_sees_token and part.inner_app_saw_token != reached:
            problems.append(f"inner app saw the token in {part.inner_app_saw_token} of {reached} requests")
    if problems:
        raise CheckFailed(f"({scenario.key}) {variant}: " + "; ".join(problems))


def measure_slice(
    wrk: Sequence[str], script: Path, server: Server, path: str, headers: Mapping[str, str], conns: int
) -> Slice:
    before, cpu_before = server.counts(), server.cpu_seconds()
    out = run_wrk(wrk, script, server.port, path, headers, 1, conns)
    cpu_after, after = server.cpu_seconds(), server.counts()
    errors = out["errors"]
    return Slice(
        requests=out["requests"],
        duration_s=out["duration_us"] / 1e6,
        statuses=dict(sorted(out["statuses"].items())),
        non_2xx_3xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        p50_ms=out["latency_us"]["p50"] / 1000,
        p99_ms=out["latency_us"]["p99"] / 1000,
        server_cpu_s=cpu_after - cpu_before,
        served_by_inner_app=after["dashboard"] - before["dashboard"],
        inner_app_saw_token=after["with_token"] - before["with_token"],
    )


def measure_servers(
    wrk: str,
    pin: Pinning,
    loop: str,
    scenarios: Sequence[Scenario],
    *,
    pairs: int,
    seconds: int,
    warmup: int,
    conns: int,
    candidate: Path | None = None,
) -> list[ScenarioResult]:
    now = int(time.time())
    token, claims = session_token(now=now)
    cookie = {"Cookie": cookie_header(token)}
    servers: dict[str, Server] = {}
    results: list[ScenarioResult] = []

    def contenders(scenario: Scenario) -> tuple[str, ...]:
        if candidate is not None and scenario.ours in CANDIDATE_OF:
            return (scenario.ours, CANDIDATE_OF[scenario.ours])
        return (scenario.ours,)

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "statuses.lua")
        script.write_text(WRK_SCRIPT)
        wrk_cmd = (*pin.wrk, wrk)
        try:
            for variant in dict.fromkeys((BARE, *(v for scenario in scenarios for v in contenders(scenario)))):
                root = candidate if candidate is not None and variant in (CANDIDATE, CANDIDATE_NO_CACHE) else None
                servers[variant] = Server(variant, pin.server, loop, root or PACKAGE_ROOT)
            check_server(servers, token, claims)
            print(f"checks passed: 200 with the token seen by the inner app, 307 without a cookie ({pin.note})")
            for scenario in scenarios:
                sides = (BARE, *contenders(scenario))
                contenders_of = sides[1:]
                result = ScenarioResult(scenario.key, scenario.title, scenario.path, sides[1:])
                headers = cookie if scenario.cookie else {}
                retries = pairs * seconds  # slice rounds that may be measured again, per scenario
                while len(result.pairs) < pairs:
                    runs = {variant: WrkRun(variant) for variant in sides}
                    label = f"  ({scenario.key}) pair {len(result.pairs) + 1}"
                    for variant in sides:
                        run_wrk(wrk_cmd, script, servers[variant].port, scenario.path, headers, warmup, conns)
                    while len(runs[BARE].slices) < seconds:
                        parts: dict[str, Slice] = {}
                        # One slice of each: bare first, then the contenders in an order that
                        # rotates each round (with --candidate), so that none is always last.
                        turn = len(runs[BARE].slices) % len(contenders_of)
                        for variant in (BARE, *contenders_of[turn:], *contenders_of[:turn]):
                            part = measure_slice(wrk_cmd, script, servers[variant], scenario.path, headers, conns)
                            expected = scenario.expect_bare if variant == BARE else scenario.expect_ours
                            check_slice(scenario, variant, part, expected, conns)
                            parts[variant] = part
                        share = min(part.server_cpu_s / part.duration_s for part in parts.values())
                        if share < MIN_CPU_SHARE:
                            if retries > 0:
                                retries -= 1
                                result.discarded.append(parts)
                                print(
                                    f"{label}: slice discarded, a server got {share:.0%} of its core (the machine"
                                    f" is busy elsewhere); measured again in {RETRY_PAUSE:g} s",
                                    flush=True,
                                )
                                time.sleep(RETRY_PAUSE)
                                continue
                            result.starved_kept += 1
                        for variant, part in parts.items():
                            runs[variant].slices.append(part)
                    for run in runs.values():
                        statuses = " ".join(f"{s}x{n}" for s, n in run.statuses.items())
                        print(
                            f"{label} {run.variant:<24} {run.rps:>9,.0f} req/s"
                            f"  server CPU {run.cpu_us_per_request:5.1f} µs/req ({run.cpu_share:4.0%} of a core)"
                            f"  statuses {statuses}  wrk non-2xx/3xx {run.non_2xx_3xx}",
                            flush=True,
                        )
                    result.pairs.append(runs)
                    ratios = ", ".join(f"{v} {runs[v].rps / runs[BARE].rps:.3f}" for v in sides[1:])
                    print(f"{label} ratio to bare: {ratios}", flush=True)
                results.append(result)
                medians = ", ".join(f"{v} {result.ratio(v):.3f}x" for v in sides[1:])
                print(f"({scenario.key}) {scenario.title}: median ratio {medians}", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    return results


def _spread(values: Sequence[float]) -> str:
    return f"{min(values):.3f}-{max(values):.3f}" if len(values) > 1 else "-"


def server_table(results: Sequence[ScenarioResult]) -> str:
    lines = [
        "| scenario | bare req/s, each run | contender | its req/s, each run | its/bare, each pair | median ratio"
        " | spread | target | server CPU µs/req, bare / it (medians) | its statuses (wrk non-2xx/3xx) |",
        "| --- | --- | --- | --- | --- | ---: | --- | --- | --- | --- |",
    ]
    for result in results:
        bare_runs = [pair[BARE] for pair in result.pairs]
        bare = ", ".join(f"{run.rps:,.0f}" for run in bare_runs)
        cpu_bare = statistics.median(run.cpu_us_per_request for run in bare_runs)
        for variant in result.contenders:
            runs = [pair[variant] for pair in result.pairs]
            ratios = result.ratios(variant)
            target = SERVER_TARGETS.get(result.key) if variant in WITH_AUTH else None
            ratio = result.ratio(variant)
            verdict = "-" if target is None else f">= {target:.2f}x: " + ("met" if ratio >= target else "**missed**")
            totals: dict[str, int] = {}
            for run in runs:
                for status, n in run.statuses.items():
                    totals[status] = totals.get(status, 0) + n
            statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(totals.items()))
            nonstd = sum(run.non_2xx_3xx for run in runs)
            notes = [f"{len(result.discarded)} slice rounds measured again"] if result.discarded else []
            if result.starved_kept:
                notes.append(f"**{result.starved_kept} kept on a busy machine**")
            discarded = f" ({'; '.join(notes)})" if notes else ""
            lines.append(
                f"| ({result.key}) {result.title} `{result.path}`{discarded} | {bare} | {variant}"
                f" | {', '.join(f'{run.rps:,.0f}' for run in runs)} | {', '.join(f'{r:.3f}' for r in ratios)}"
                f" | **{ratio:.3f}x** | {_spread(ratios)} | {verdict}"
                f" | {cpu_bare:.1f} / {statistics.median(run.cpu_us_per_request for run in runs):.1f}"
                f" | {statuses} ({nonstd:,}) |"
            )
    return "\n".join(lines)


# ================================================================== part 2: in process


async def tiny_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The smallest complete HTTP response, so the middleware's own cost shows."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


def http_scope(path: str, cookie: str | None) -> dict[str, Any]:
    """A scope as uvicorn's httptools protocol builds it."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": (HOST, 8000),
        "client": (HOST, 50000),
        "scheme": "http",
        "root_path": "",
        "headers": headers,
        "state": {},
        "method": "GET",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
    }


@dataclass(frozen=True, slots=True)
class InProcessCase:
    key: str
    name: str
    app: ASGIApp
    scopes: list[dict[str, Any]]  # cycled through, one per request
    expect_status: int
    expect_token: bool


CANDIDATE_PREFIX: Final = "candidate: "
DISTINCT_PATHS: Final = 4096
"""Distinct paths cycled by the "new path each request" rows: more than any per-path memo
(asgi_withauth keeps none today) would hold, so those rows measure the matching itself."""


def load_candidate(root: Path) -> ModuleType:
    """The ``asgi_withauth`` package under ``root``, imported as ``asgi_withauth_candidate``
    next to the measured one (the package imports itself relatively, so this works)."""
    init = root / "asgi_withauth" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "asgi_withauth_candidate", init, submodule_search_locations=[str(init.parent)]
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"--candidate: no asgi_withauth package in {root}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def rules_app(n: int, *, cache_size: int = 1024, api: ModuleType = asgi_withauth) -> ASGIApp:
    rules = [api.Rule(matcher=f"/area{i}/:path*") for i in range(n)]
    app: ASGIApp = api.WithAuth(tiny_app, secret=SECRET, rules=rules, matcher=[], cache_size=cache_size)
    return app


def in_process_cases(token: str, api: ModuleType = asgi_withauth, prefix: str = "") -> list[InProcessCase]:
    """The cases for one asgi_withauth (``api``); ``prefix`` names the candidate's rows."""
    cookie = cookie_header(token)

    def same(path: str, with_cookie: bool = True) -> list[dict[str, Any]]:
        return [http_scope(path, cookie if with_cookie else None)]

    def distinct(prefix: str) -> list[dict[str, Any]]:
        return [http_scope(f"{prefix}/item{k}", cookie) for k in range(DISTINCT_PATHS)]

    def case(
        key: str, name: str, app: ASGIApp, scopes: list[dict[str, Any]], status: int, token: bool
    ) -> InProcessCase:
        return InProcessCase(prefix + key, prefix + name, app, scopes, status, token)

    cases = (
        [] if prefix else [case("bare", "bare: the inner app alone", tiny_app, same("/area99/dashboard"), 200, False)]
    )
    for n in RULE_COUNTS:
        rules = f"{n} rule{'s' if n > 1 else ''}"
        app = rules_app(n, api=api)
        cases += [
            case(f"same-{n}", f"{rules}, last rule hit", app, same(f"/area{n - 1}/dashboard"), 200, True),
            case(
                f"distinct-{n}",
                f"{rules}, last rule hit, a new path each request",
                app,
                distinct(f"/area{n - 1}"),
                200,
                True,
            ),
        ]
    if not prefix:
        cases += [
            case(
                "floor-cached",
                "reference: floor, cached",
                FloorMiddleware(tiny_app, cache=True, prefix="/area0/"),
                same("/area0/x"),
                200,
                True,
            ),
            case(
                "floor-decrypt",
                "reference: floor, decrypts",
                FloorMiddleware(tiny_app, cache=False, prefix="/area0/"),
                same("/area0/x"),
                200,
                True,
            ),
            case(
                "floor-pass", "reference: floor, passes through", PassThrough(tiny_app), same("/public/x"), 200, False
            ),
        ]
    hundred = rules_app(100, api=api)
    return [
        *cases,
        case("miss-100", "100 rules, none matches", hundred, same("/public/hello"), 200, False),
        case(
            "miss-distinct-100",
            "100 rules, none matches, a new path each request",
            hundred,
            distinct("/public"),
            200,
            False,
        ),
        case(
            "cold-1", "1 rule, cache off (decrypts)", rules_app(1, cache_size=0, api=api), same("/area0/x"), 200, True
        ),
        case(
            "redirect-1",
            "1 rule, no cookie (307)",
            rules_app(1, api=api),
            same("/area0/x", with_cookie=False),
            307,
            False,
        ),
    ]


async def check_case(case: InProcessCase) -> None:
    for template in case.scopes:
        seen: list[Message] = []

        async def send(message: Message, seen: list[Message] = seen) -> None:
            seen.append(message)

        scope = dict(template)
        await case.app(scope, _receive, send)
        status = seen[0]["status"] if seen else None
        has_token = scope.get("nextauth", {}).get("token") is not None
        if status != case.expect_status or has_token != case.expect_token:
            raise CheckFailed(f"in-process {case.name}: status {status}, token in scope: {has_token}")


def sampler(case: InProcessCase) -> Callable[[int], Awaitable[int]]:
    app, templates = case.app, case.scopes
    count = len(templates)
    position = [0]  # where the cycle through the scopes resumes at the next sample

    async def sample(repeats: int) -> int:
        start = position[0]
        begin = time.perf_counter_ns()
        for i in range(start, start + repeats):
            await app(dict(templates[i % count]), _receive, _send)  # a fresh scope per request, as a server makes
        elapsed = time.perf_counter_ns() - begin
        position[0] = (start + repeats) % count
        return elapsed

    return sample


@dataclass(slots=True)
class InProcessRow:
    key: str
    name: str
    repeats: int
    samples_us: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples_us)


async def measure_in_process(
    *, rounds: int, sample_ms: float, candidate: ModuleType | None = None
) -> list[InProcessRow]:
    token, _ = session_token(now=int(time.time()))
    cases = in_process_cases(token)
    if candidate is not None:
        cases += in_process_cases(token, candidate, CANDIDATE_PREFIX)
    for case in cases:
        await check_case(case)
    samplers = [sampler(case) for case in cases]
    rows: list[InProcessRow] = []
    for case, sample in zip(cases, samplers, strict=True):
        await sample(len(case.scopes) + 200)  # warm: the cache, the Cookie-header memo, the code paths
        repeats = 200
        while (elapsed := await sample(repeats)) < sample_ms * 1e6 / 2:
            repeats *= 2
        repeats = max(1, int(repeats * sample_ms * 1e6 / elapsed))
        rows.append(InProcessRow(case.key, case.name, repeats))
    order = list(range(len(cases)))
    gc.collect()
    gc.disable()
    try:
        for round_no in range(rounds):
            shift = round_no % len(order)
            for i in order[shift:] + order[:shift]:
                rows[i].samples_us.append(await samplers[i](rows[i].repeats) / rows[i].repeats / 1000)
            gc.collect()
    finally:
        gc.enable()
    return rows


def _iqr(values: Sequence[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def _growth(hundred: InProcessRow, one: InProcessRow, bare: InProcessRow) -> dict[str, float]:
    """100 rules over 1 rule, per round: total µs, and WithAuth's own µs (minus bare)."""
    total = [h / o for h, o in zip(hundred.samples_us, one.samples_us, strict=True)]
    own = [
        (h - b) / (o - b) for h, o, b in zip(hundred.samples_us, one.samples_us, bare.samples_us, strict=True) if o > b
    ]
    q1, q3 = _iqr(total)
    return {"total": statistics.median(total), "q1": q1, "q3": q3, "own": statistics.median(own) if own else math.nan}


def in_process_table(rows: Sequence[InProcessRow]) -> tuple[str, dict[str, dict[str, float]]]:
    by_key = {row.key: row for row in rows}
    bare = by_key["bare"]
    lines = [
        "| request | median µs/request | IQR µs | WithAuth's own µs (minus bare, per round) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lo, hi = _iqr(row.samples_us)
        own = "-"
        if row is not bare:
            own = f"{statistics.median(r - b for r, b in zip(row.samples_us, bare.samples_us, strict=True)):.2f}"
        lines.append(f"| {row.name} | {row.median_us:.2f} | {lo:.2f}-{hi:.2f} | {own} |")
    growth = {
        prefix + kind: _growth(by_key[f"{prefix}{kind}-100"], by_key[f"{prefix}{kind}-1"], bare)
        for prefix in ("", CANDIDATE_PREFIX)
        for kind in ("same", "distinct")
        if f"{prefix}{kind}-1" in by_key
    }
    return "\n".join(lines), growth


# ================================================================== main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2 pairs of 2 s runs, fewer in-process rounds")
    parser.add_argument("--json", metavar="PATH", help="also write every run and sample, with the versions")
    parser.add_argument("--pairs", type=int, help="bare/ours pairs per scenario (default 5; --quick 2)")
    parser.add_argument("--duration", type=int, help="seconds per run, in 1 s slices (default 5; --quick 2)")
    parser.add_argument("--warmup", type=int, help="seconds of wrk warm-up per server before each pair (default 1)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument(
        "--floors",
        action=argparse.BooleanOptionalAction,
        help="also measure the reference floors against bare (default: on, off with --quick)",
    )
    parser.add_argument(
        "--candidate",
        metavar="DIR",
        type=Path,
        help="also measure the asgi_withauth package in DIR (e.g. a modified copy of the repo), interleaved",
    )
    parser.add_argument("--scenarios", metavar="KEYS", help="server scenarios to run, e.g. a,a-floor,d (default: all)")
    parser.add_argument("--skip-server", action="store_true", help="only the in-process part")
    parser.add_argument("--skip-in-process", action="store_true", help="only the server part")
    args = parser.parse_args(argv)
    pairs = args.pairs or (2 if args.quick else 5)
    seconds = args.duration or (2 if args.quick else 5)
    warmup = args.warmup or 1
    if pairs < 1 or seconds < 1 or warmup < 1:
        parser.error("--pairs, --duration and --warmup must be at least 1")

    candidate_root = args.candidate.resolve() if args.candidate else None
    if candidate_root is not None and not (candidate_root / "asgi_withauth" / "__init__.py").is_file():
        parser.error(f"--candidate: {candidate_root} has no asgi_withauth/__init__.py")
    candidate_api = load_candidate(candidate_root) if candidate_root is not None else None
    # Stop the servers on SIGTERM too (SIGINT is ignored in background jobs of sh).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    wrk = shutil.which("wrk")
    if wrk is None and not args.skip_server:
        here = Path(__file__).resolve().parent
        print(
            "wrk not found. Install it with `apt-get install -y wrk` (Debian/Ubuntu), or run"
            f" `sh {here / 'bench_middleware.sh'}`, or pass --skip-server for the in-process part only.",
            file=sys.stderr,
        )
        return 2
    env = environment(wrk)
    pin = pinning()
    loop = event_loop_name()
    floors = args.floors if args.floors is not None else not args.quick
    a, b, c, d = SCENARIOS
    a_floor, b_floor, d_floor = FLOOR_SCENARIOS
    scenarios = [a, a_floor, b, b_floor, c, d, d_floor]
    if not floors:
        scenarios = list(SCENARIOS)
    if args.scenarios:
        keys = args.scenarios.split(",")
        known = {scenario.key: scenario for scenario in (*SCENARIOS, *FLOOR_SCENARIOS)}
        if unknown := [key for key in keys if key not in known]:
            parser.error(f"--scenarios: unknown {unknown}; known: {', '.join(known)}")
        scenarios = [known[key] for key in keys]
    report: dict[str, Any] = {"environment": env, "settings": {}, "server": [], "in_process": {}}
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    try:
        if not args.skip_server:
            assert wrk is not None
            report["settings"] = {
                "pairs": pairs,
                "seconds": seconds,
                "warmup": warmup,
                "connections": args.connections,
                "loop": loop,
                "pinning": pin.note,
            }
            print(
                f"\n== under uvicorn (httptools, {loop}, 1 worker) with wrk -t1 -c{args.connections}:"
                f" {pairs} pairs of {seconds} s runs in 1 s slices (bare, ours, bare, ours, ...), {warmup} s"
                f" warm-up of each before each pair; {pin.note}"
            )
            results = measure_servers(
                wrk,
                pin,
                loop,
                scenarios,
                pairs=pairs,
                seconds=seconds,
                warmup=warmup,
                conns=args.connections,
                candidate=candidate_root,
            )
            report["server"] = [r.summary() for r in results]
            print()
            print(server_table(results))
        if not args.skip_in_process:
            rounds, sample_ms = (30, 2.0) if args.quick else (200, 4.0)
            print(f"\n== in process: {rounds} rounds, ~{sample_ms:g} ms samples, GC off while timing")
            rows = asyncio.run(measure_in_process(rounds=rounds, sample_ms=sample_ms, candidate=candidate_api))
            table, growth = in_process_table(rows)
            print(table)
            print()
            for kind, g in growth.items():
                label = kind.replace("same", "same path").replace("distinct", "a new path each request")
                verdict = "met" if g["total"] <= RULES_GROWTH_TARGET else "MISSED"
                print(
                    f"100 rules / 1 rule, {label}: {g['total']:.3f}x per request (IQR {g['q1']:.3f}-{g['q3']:.3f});"
                    f" WithAuth's own cost alone {g['own']:.3f}x. Target <= {RULES_GROWTH_TARGET}x: {verdict}"
                )
            report["in_process"] = {"rows": [asdict(r) for r in rows], "growth_100_over_1": growth}
    except CheckFailed as exc:
        print(f"\nCHECK FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"\n({time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
