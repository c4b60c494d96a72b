"""Part 2 of the middleware benchmark: the ASGI app called directly, microseconds per request.

Each case is an app and the scopes it is called with (one, or many cycled through, one per
request), with no-op ``receive``/``send``. Samples of the cases are interleaved in rounds
(see ``_stats``).

What a server does around the middleware is reproduced, since it changes what the middleware
costs (see benchmarks/README.md, "Where a server's time goes"): every request gets a fresh
scope whose header names and values and path are new objects (as uvicorn builds them from
httptools' callbacks, so no hash is cached from an earlier request), the inner app is the
server's Starlette app, and the garbage collector runs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Final

from _apps import HOST, CheckFailed, FloorMiddleware, PassThrough, in_process_app
from _session import SECRET, cookie_header, session_token
from _stats import interleaved_rounds, median, per_round_differences, per_round_ratios, quartiles
from starlette.types import ASGIApp, Message

import asgi_withauth

RULE_COUNTS: Final = (1, 10, 100)
RULES_GROWTH_TARGET: Final = 1.2
CANDIDATE_PREFIX: Final = "candidate: "
INNER: Final = in_process_app()
"""The inner app of every row: a Starlette app answering every path at the same cost."""
DISTINCT_PATHS: Final = 4096
"""Distinct paths cycled by the "new path each request" rows: more than any per-path memo
(asgi_withauth keeps none today) would hold, so those rows measure the matching itself."""


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


def http_scope(
    path: str, cookie: str | None, *, method: str = "GET", extra: Sequence[tuple[bytes, bytes]] = ()
) -> dict[str, Any]:
    """A scope as uvicorn's httptools protocol builds it."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*"), *extra]
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
        "method": method,
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


def rules_app(n: int, *, cache_size: int = 1024, api: ModuleType = asgi_withauth) -> ASGIApp:
    rules = [api.Rule(matcher=f"/area{i}/:path*") for i in range(n)]
    app: ASGIApp = api.WithAuth(INNER, secret=SECRET, rules=rules, matcher=[], cache_size=cache_size)
    return app


def requirement_app(api: ModuleType = asgi_withauth) -> ASGIApp:
    """One rule guarded by a role requirement and a revocation check (``current``) whose
    answers are cached: what a requirement adds to a request."""

    async def version_of(user_id: str) -> int:
        return 1

    guard = api.require(role="member") & api.current(version_of)
    rules = [api.Rule("/area0/:path*", authorized=guard)]
    app: ASGIApp = api.WithAuth(INNER, secret=SECRET, rules=rules, matcher=[])
    return app


def in_process_cases(token: str, api: ModuleType = asgi_withauth, prefix: str = "") -> list[InProcessCase]:
    """The cases for one asgi_withauth (``api``); ``prefix`` names the candidate's rows, which
    leave out the bare app and the floors (they do not depend on the package)."""
    cookie = cookie_header(token)

    def same(path: str, with_cookie: bool = True) -> list[dict[str, Any]]:
        return [http_scope(path, cookie if with_cookie else None)]

    def distinct(under: str) -> list[dict[str, Any]]:
        return [http_scope(f"{under}/item{k}", cookie) for k in range(DISTINCT_PATHS)]

    def case(
        key: str, name: str, app: ASGIApp, scopes: list[dict[str, Any]], status: int, token: bool
    ) -> InProcessCase:
        return InProcessCase(prefix + key, prefix + name, app, scopes, status, token)

    cases = []
    if not prefix:
        cases.append(case("bare", "bare: the inner app alone", INNER, same("/area99/dashboard"), 200, False))
    for n in RULE_COUNTS:
        rules = f"{n} rule{'s' if n > 1 else ''}"
        app = rules_app(n, api=api)
        last = f"/area{n - 1}"
        cases += [
            case(f"same-{n}", f"{rules}, last rule hit", app, same(f"{last}/dashboard"), 200, True),
            case(f"distinct-{n}", f"{rules}, last rule hit, a new path each request", app, distinct(last), 200, True),
        ]
    if not prefix:
        cached = FloorMiddleware(INNER, cache=True, prefix="/area0/")
        decrypts = FloorMiddleware(INNER, cache=False, prefix="/area0/")
        passes = PassThrough(INNER)
        cases += [
            case("floor-cached", "reference: floor, cached", cached, same("/area0/x"), 200, True),
            case("floor-decrypt", "reference: floor, decrypts", decrypts, same("/area0/x"), 200, True),
            case("floor-pass", "reference: floor, passes through", passes, same("/public/x"), 200, False),
        ]
    if not prefix:
        name = "1 rule, require(role) & current() (versions cached)"
        cases.append(case("require-1", name, requirement_app(api), same("/area0/x"), 200, True))
    one = rules_app(1, api=api)
    same_origin = [http_scope("/area0/x", cookie, method="POST", extra=[(b"sec-fetch-site", b"same-origin")])]
    cases.append(case("post-1", "1 rule, POST from the same origin (cross-site check)", one, same_origin, 200, True))
    if not prefix:
        cross = [http_scope("/area0/x", cookie, method="POST", extra=[(b"sec-fetch-site", b"cross-site")])]
        cases.append(case("cross-1", "1 rule, POST from another site (403)", one, cross, 403, False))
    hundred, miss = rules_app(100, api=api), "100 rules, none matches"
    cold, anonymous = rules_app(1, cache_size=0, api=api), rules_app(1, api=api)
    return [
        *cases,
        case("miss-100", miss, hundred, same("/public/hello"), 200, False),
        case("miss-distinct-100", f"{miss}, a new path each request", hundred, distinct("/public"), 200, False),
        case("cold-1", "1 rule, cache off (decrypts)", cold, same("/area0/x"), 200, True),
        case("redirect-1", "1 rule, no cookie (307)", anonymous, same("/area0/x", with_cookie=False), 307, False),
    ]


async def check_case(case: InProcessCase) -> None:
    """Every scope of the case answers the expected status, with the token in scope or not."""
    for template in case.scopes:
        seen: list[Message] = []

        async def send(message: Message, seen: list[Message] = seen) -> None:
            seen.append(message)

        scope = fresh_scope(template)
        await case.app(scope, _receive, send)
        status = seen[0]["status"] if seen else None
        has_token = scope.get("nextauth", {}).get("token") is not None
        if status != case.expect_status or has_token != case.expect_token:
            raise CheckFailed(f"in-process {case.name}: status {status}, token in scope: {has_token}")


def fresh_scope(template: dict[str, Any]) -> dict[str, Any]:
    """A new scope like ``template``, as a server builds one per request: the header names and
    values and the path are new objects (their hashes computed afresh, as under a server)."""
    scope = dict(template)
    scope["headers"] = [(bytes(bytearray(name)), bytes(bytearray(value))) for name, value in template["headers"]]
    raw_path = bytes(bytearray(template["raw_path"]))
    scope["raw_path"] = raw_path
    scope["path"] = raw_path.decode("ascii")
    scope["state"] = {}
    return scope


def sampler(case: InProcessCase) -> Callable[[int], Awaitable[int]]:
    """A function timing ``repeats`` requests (nanoseconds), resuming the cycle of scopes."""
    app, templates = case.app, case.scopes
    count = len(templates)
    position = [0]  # where the cycle through the scopes resumes at the next sample

    async def sample(repeats: int) -> int:
        start = position[0]
        begin = time.perf_counter_ns()
        for i in range(start, start + repeats):
            await app(fresh_scope(templates[i % count]), _receive, _send)
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
        return median(self.samples_us)


async def calibrated(case: InProcessCase, sample: Callable[[int], Awaitable[int]], sample_ms: float) -> InProcessRow:
    """The case's row, with ``repeats`` picked so that one sample takes about ``sample_ms``."""
    await sample(len(case.scopes) + 200)  # warm: the cache, the Cookie-header memo, the code paths
    repeats = 200
    while (elapsed := await sample(repeats)) < sample_ms * 1e6 / 2:
        repeats *= 2
    return InProcessRow(case.key, case.name, max(1, int(repeats * sample_ms * 1e6 / elapsed)))


async def measure_cases(cases: Sequence[InProcessCase], *, rounds: int, sample_ms: float) -> list[InProcessRow]:
    """Check every case, calibrate it, then time them all in ``rounds`` interleaved rounds."""
    for case in cases:
        await check_case(case)
    samplers = [sampler(case) for case in cases]
    rows = [await calibrated(case, sample, sample_ms) for case, sample in zip(cases, samplers, strict=True)]
    for row, sample in interleaved_rounds([list(zip(rows, samplers, strict=True))], rounds, collector=True):
        row.samples_us.append(await sample(row.repeats) / row.repeats / 1000)
    return rows


async def measure_in_process(
    *, rounds: int, sample_ms: float, candidate: ModuleType | None = None
) -> list[InProcessRow]:
    token, _ = session_token(now=int(time.time()))
    cases = in_process_cases(token)
    if candidate is not None:
        cases += in_process_cases(token, candidate, CANDIDATE_PREFIX)
    return await measure_cases(cases, rounds=rounds, sample_ms=sample_ms)


# ================================================================== table


def _iqr(values: Sequence[float]) -> tuple[float, float]:
    """First and third quartiles (``statistics.quantiles``' default method)."""
    q1, _, q3 = quartiles(values, method="exclusive")
    return q1, q3


def growth(hundred: InProcessRow, one: InProcessRow, bare: InProcessRow) -> dict[str, float]:
    """100 rules over 1 rule, per round: total µs, and WithAuth's own µs (minus bare)."""
    total = per_round_ratios(hundred.samples_us, one.samples_us)
    own_hundred = per_round_differences(hundred.samples_us, bare.samples_us)
    own_one = per_round_differences(one.samples_us, bare.samples_us)
    own = [h / o for h, o in zip(own_hundred, own_one, strict=True) if o > 0]
    q1, q3 = _iqr(total)
    return {"total": median(total), "q1": q1, "q3": q3, "own": median(own) if own else float("nan")}


def in_process_table(rows: Sequence[InProcessRow]) -> tuple[str, dict[str, dict[str, float]]]:
    """The Markdown table, and the growth from 1 to 100 rules (ours, and the candidate's)."""
    by_key = {row.key: row for row in rows}
    bare = by_key["bare"]
    lines = [
        "| request | median µs/request | IQR µs | WithAuth's own µs (minus bare, per round) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lo, hi = _iqr(row.samples_us)
        own = "-" if row is bare else f"{median(per_round_differences(row.samples_us, bare.samples_us)):.2f}"
        lines.append(f"| {row.name} | {row.median_us:.2f} | {lo:.2f}-{hi:.2f} | {own} |")
    growths = {
        prefix + kind: growth(by_key[f"{prefix}{kind}-100"], by_key[f"{prefix}{kind}-1"], bare)
        for prefix in ("", CANDIDATE_PREFIX)
        for kind in ("same", "distinct")
        if f"{prefix}{kind}-1" in by_key
    }
    return "\n".join(lines), growths


def growth_lines(growths: dict[str, dict[str, float]]) -> list[str]:
    """One line per growth ratio, with the verdict against ``RULES_GROWTH_TARGET``."""
    lines = []
    for kind, g in growths.items():
        label = kind.replace("same", "same path").replace("distinct", "a new path each request")
        verdict = "met" if g["total"] <= RULES_GROWTH_TARGET else "MISSED"
        lines.append(
            f"100 rules / 1 rule, {label}: {g['total']:.3f}x per request (IQR {g['q1']:.3f}-{g['q3']:.3f});"
            f" WithAuth's own cost alone {g['own']:.3f}x. Target <= {RULES_GROWTH_TARGET}x: {verdict}"
        )
    return lines
