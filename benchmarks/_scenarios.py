"""Part 1 of the middleware benchmark: the scenarios under uvicorn and wrk, their checks, their table.

Each scenario measures pairs of runs, a bare run and an ours run (and a candidate's), made of
1 s wrk slices interleaved bare, ours, bare, ours, ... so that both runs of a pair see the
same machine. A round of slices in which a server got less than ``MIN_CPU_SHARE`` of its
core is measured again.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from _apps import (
    BARE,
    CANDIDATE_OF,
    FLOOR_CACHED,
    FLOOR_DECRYPT,
    FLOOR_PASS,
    HOST,
    OURS,
    OURS_NO_CACHE,
    PACKAGE_ROOT,
    PROTECTED_PATH,
    UNMATCHED_PATH,
    WITH_AUTH,
    CheckFailed,
)
from _server import WRK_SCRIPT, Pinning, Server, Wrk, http_get
from _session import cookie_header, session_token
from _stats import median, ratio_text, rotated, spread

SERVER_TARGETS: Final = {"a": 0.95, "b": 0.80, "d": 0.98}
"""Issue 14's targets; (b) is with the speed extra installed (the environment line says)."""
MIN_CPU_SHARE: Final = 0.85
"""A slice where a server used less of its core than this was starved by something else on
the machine (the server is the bottleneck, so it should be near 100%): that round of slices
(one per server) is measured again after a pause, at most pairs x duration times per
scenario; past that budget, starved rounds are kept and counted in the table."""
RETRY_PAUSE: Final = 2.0


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
        return median(self.ratios(variant))

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


# ================================================================== checks


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


# ================================================================== measuring


def measure_slice(load: Wrk, server: Server, path: str, headers: Mapping[str, str]) -> Slice:
    before, cpu_before = server.counts(), server.cpu_seconds()
    out = load.run(server.port, path, headers, 1)
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


@dataclass(frozen=True, slots=True)
class ServerBench:
    """The running servers, wrk, and how long to measure each scenario."""

    load: Wrk
    servers: Mapping[str, Server]
    pairs: int
    seconds: int
    warmup: int

    def scenario(self, scenario: Scenario, contenders: tuple[str, ...], headers: Mapping[str, str]) -> ScenarioResult:
        """``pairs`` pairs of runs of the bare app and the contenders, checked slice by slice."""
        sides = (BARE, *contenders)
        result = ScenarioResult(scenario.key, scenario.title, scenario.path, contenders)
        retries = self.pairs * self.seconds  # slice rounds that may be measured again, per scenario
        while len(result.pairs) < self.pairs:
            runs = {variant: WrkRun(variant) for variant in sides}
            label = f"  ({scenario.key}) pair {len(result.pairs) + 1}"
            for variant in sides:
                self.load.run(self.servers[variant].port, scenario.path, headers, self.warmup)
            while len(runs[BARE].slices) < self.seconds:
                parts = self.round(scenario, contenders, headers, turn=len(runs[BARE].slices))
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
            ratios = ", ".join(f"{v} {runs[v].rps / runs[BARE].rps:.3f}" for v in contenders)
            print(f"{label} ratio to bare: {ratios}", flush=True)
        medians = ", ".join(f"{v} {ratio_text(result.ratio(v))}" for v in contenders)
        print(f"({scenario.key}) {scenario.title}: median ratio {medians}", flush=True)
        return result

    def round(
        self, scenario: Scenario, contenders: tuple[str, ...], headers: Mapping[str, str], *, turn: int
    ) -> dict[str, Slice]:
        """One checked slice of each server: bare first, then the contenders in an order that
        rotates each round (with --candidate), so that none is always last."""
        parts: dict[str, Slice] = {}
        for variant in (BARE, *rotated(contenders, turn)):
            part = measure_slice(self.load, self.servers[variant], scenario.path, headers)
            expected = scenario.expect_bare if variant == BARE else scenario.expect_ours
            check_slice(scenario, variant, part, expected, self.load.connections)
            parts[variant] = part
        return parts


def contenders_of(scenario: Scenario, *, candidate: bool) -> tuple[str, ...]:
    """The variants a scenario compares with the bare app: ours, and the candidate's copy."""
    if candidate and scenario.ours in CANDIDATE_OF:
        return (scenario.ours, CANDIDATE_OF[scenario.ours])
    return (scenario.ours,)


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
    """Start one server per variant, check them, then measure every scenario in turn."""
    token, claims = session_token(now=int(time.time()))
    cookie = {"Cookie": cookie_header(token)}
    plan = [(scenario, contenders_of(scenario, candidate=candidate is not None)) for scenario in scenarios]
    servers: dict[str, Server] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "statuses.lua")
        script.write_text(WRK_SCRIPT)
        try:
            for variant in dict.fromkeys((BARE, *(v for _, contenders in plan for v in contenders))):
                root = candidate if candidate is not None and variant in CANDIDATE_OF.values() else PACKAGE_ROOT
                servers[variant] = Server(variant, pin.server, loop, root)
            check_server(servers, token, claims)
            print(f"checks passed: 200 with the token seen by the inner app, 307 without a cookie ({pin.note})")
            bench = ServerBench(Wrk((*pin.wrk, wrk), script, conns), servers, pairs, seconds, warmup)
            return [bench.scenario(s, contenders, cookie if s.cookie else {}) for s, contenders in plan]
        finally:
            for server in servers.values():
                server.stop()


# ================================================================== table


def server_table(results: Sequence[ScenarioResult]) -> str:
    lines = [
        "| scenario | bare req/s, each run | contender | its req/s, each run | its/bare, each pair | median ratio"
        " | spread | target | server CPU µs/req, bare / it (medians) | its statuses (wrk non-2xx/3xx) |",
        "| --- | --- | --- | --- | --- | ---: | --- | --- | --- | --- |",
    ]
    for result in results:
        bare_runs = [pair[BARE] for pair in result.pairs]
        bare = ", ".join(f"{run.rps:,.0f}" for run in bare_runs)
        cpu_bare = median([run.cpu_us_per_request for run in bare_runs])
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
                f" | **{ratio_text(ratio)}** | {spread(ratios)} | {verdict}"
                f" | {cpu_bare:.1f} / {median([run.cpu_us_per_request for run in runs]):.1f}"
                f" | {statuses} ({nonstd:,}) |"
            )
    return "\n".join(lines)
