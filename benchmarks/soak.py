"""Load and soak: the demo app under uvicorn with worker processes on 127.0.0.1, loaded by
concurrent keep-alive clients sending a mix of valid, expired, tampered, absent and
wrong-secret session tokens (cookies, chunked cookies, Bearer) to public and protected paths
and websocket handshakes, until a million distinct valid tokens, paths, Host values and
Cookie headers have gone through (``--distinct``), or the time or request limit.

Every response is checked against the decision computed from what was sent
(``_soak_traffic``); 5xx, wrong decisions and transport errors are counted. The workers'
resident memory is read after the warm-up and at the end, and compared with what the
caches that hold per-request data can hold (``_soak_server.CACHES``). Exit status 1 when
anything was wrong or memory grew beyond that bound.

    python benchmarks/soak.py                       # JWT mode, a million distinct values
    python benchmarks/soak.py --database            # database sessions (SQLite)
    python benchmarks/soak.py --seconds 10 --distinct 1000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import signal
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from _env import cpu_model, git_commit, version_of
from _soak_server import (
    DemoServer,
    cpu_seconds,
    machine_busy,
    memory_lines,
    memory_summary,
    rss_bytes,
    soak_database,
    thread_count,
)
from _soak_traffic import (
    HOT,
    SECRET,
    Minter,
    Response,
    SoakRequest,
    Traffic,
    check_minter,
    database_token,
    mint_cost,
    problem,
)

HOST: Final = "127.0.0.1"
EXPIRED_ROWS: Final = 10_000
GRACE: Final = 30.0  # seconds a request may still take after the time limit
CLOSE_FRAME: Final = b"\x88\x82\x00\x00\x00\x00\x03\xe8"  # masked (zero mask) close, code 1000
TRANSPORT_ERRORS: Final = (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)
MiB: Final = 1024 * 1024


# ----------------------------------------------------------------------------- the client


def _head(head: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    lines = head[:-4].split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 "):
        raise ValueError(f"not an HTTP/1.1 response: {lines[0][:40]!r}")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower(), value.strip()))
    return int(lines[0][9:12]), headers


async def _body(reader: asyncio.StreamReader, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    values = dict(headers)
    if b"content-length" in values:
        return await reader.readexactly(int(values[b"content-length"]))
    if values.get(b"transfer-encoding") == b"chunked":
        body = bytearray()
        while size := int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
        return bytes(body)
    if status in (101, 204, 304):
        return b""
    raise ValueError(f"a {status} response with neither Content-Length nor chunks")


class Connection:
    """One keep-alive HTTP/1.1 connection (opened when first used, and again after an error)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, data: bytes) -> Response:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(data)
        status, headers = _head(await self.reader.readuntil(b"\r\n\r\n"))
        body = await _body(self.reader, status, headers)
        if (b"connection", b"close") in headers:
            self.close()
        return Response(status, headers, body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def websocket(port: int, data: bytes) -> Response:
    """A websocket handshake on a connection of its own: the refusal, or the first message
    (then a clean close)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(data)
        status, headers = _head(await reader.readuntil(b"\r\n\r\n"))
        if status != 101:
            return Response(status, headers, await _body(reader, status, headers))
        first = await reader.readexactly(2)
        length = first[1] & 0x7F
        if length >= 126:
            length = int.from_bytes(await reader.readexactly(2 if length == 126 else 8), "big")
        message = await reader.readexactly(length)
        writer.write(CLOSE_FRAME)
        await reader.read(64)  # the server's close frame
        return Response(status, headers, message)
    finally:
        writer.close()


# ----------------------------------------------------------------------------- what is counted


class Latencies:
    """A histogram of latencies in buckets 2% wide (bounded memory, ~1% error)."""

    SCALE: Final = 50.0  # buckets per factor e

    def __init__(self) -> None:
        self.counts = array("Q", bytes(8 * 1400))  # 1 us to ~1.4e12 us

    def add(self, seconds: float) -> None:
        self.counts[min(max(int(math.log(max(seconds * 1e6, 1.0)) * self.SCALE), 0), len(self.counts) - 1)] += 1

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile in milliseconds (the bucket's middle)."""
        rank, seen = q / 100 * sum(self.counts), 0
        for index, count in enumerate(self.counts):
            seen += count
            if count and seen >= rank:
                return math.exp((index + 0.5) / self.SCALE) / 1000
        return math.nan


@dataclass
class Stats:
    """Everything counted in one phase."""

    requests: int = 0
    wrong: int = 0
    server_errors: int = 0
    transport: int = 0
    tokens: int = 0
    paths: int = 0
    hosts: int = 0
    cookies: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    latency: Latencies = field(default_factory=Latencies)

    def record(self, request: SoakRequest, response: Response, seconds: float) -> None:
        self.requests += 1
        self.latency.add(seconds)
        self.statuses[f"{request.target} {response.status}"] += 1
        self.kinds[f"{request.kind}/{request.carrier}"] += 1
        self.tokens += request.fresh_token
        self.paths += request.fresh_path
        self.hosts += 1
        self.cookies += request.has_cookie
        why = problem(request, response)
        if response.status >= 500:
            self.server_errors += 1
            self.fail(request, f"server error {response.status}: {response.body[:200]!r}")
        elif why is not None:
            self.wrong += 1
            self.fail(request, why)

    def fail(self, request: SoakRequest, why: str) -> None:
        if len(self.failures) < 20:
            self.failures.append(f"{request.describe()}: {why}")

    def transport_error(self, request: SoakRequest, exc: BaseException) -> None:
        self.transport += 1
        self.fail(request, f"transport error {type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------- running


async def _client(traffic: Traffic, port: int, stats: Stats, done: Callable[[], bool]) -> None:
    connection = Connection(port)
    try:
        while not done():
            request = traffic.next()
            started = time.perf_counter()
            try:
                if request.websocket:
                    response = await websocket(port, request.data)
                else:
                    response = await connection.exchange(request.data)
            except TRANSPORT_ERRORS as exc:
                stats.transport_error(request, exc)
                connection.close()
                continue
            stats.record(request, response, time.perf_counter() - started)
    finally:
        connection.close()


async def run_phase(traffic: Traffic, port: int, clients: int, stats: Stats, done: Callable[[], bool]) -> None:
    """``clients`` connections sending the mix until ``done()``; a request still pending
    ``GRACE`` seconds after that counts as a transport error."""
    tasks = [asyncio.ensure_future(_client(traffic, port, stats, done)) for _ in range(clients)]
    pending: set[asyncio.Future[None]] = set(tasks)
    while pending:
        finished, pending = await asyncio.wait(pending, timeout=1.0)
        for task in finished:
            task.result()  # a bug in the harness itself: stop
        if done() and pending:
            finished, pending = await asyncio.wait(pending, timeout=GRACE)
            for task in pending:
                task.cancel()
                stats.transport += 1
            break


@dataclass
class Sampler:
    """The workers' resident memory every ``every`` seconds, and a progress line on stderr."""

    workers: list[int]
    every: float
    samples: list[tuple[float, list[int]]] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)

    async def run(self, stats: Stats, started: float, target: int) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.take(started)
            elapsed = time.monotonic() - started
            rss = " / ".join(f"{r / MiB:.1f}" for r in self.samples[-1][1])
            print(
                f"{elapsed:6.0f} s {stats.requests:>10,} requests ({stats.requests / elapsed:,.0f}/s)  distinct: "
                f"tokens {stats.tokens:,}, paths {stats.paths:,} of {target:,}  wrong {stats.wrong}, "
                f"5xx {stats.server_errors}, transport {stats.transport}  RSS {rss} MiB",
                file=sys.stderr,
                flush=True,
            )

    def take(self, started: float) -> None:
        self.samples.append((time.monotonic() - started, [rss_bytes(pid) for pid in self.workers]))
        counts = [thread_count(pid) for pid in self.workers]
        self.threads = [max(pair) for pair in zip(self.threads or counts, counts, strict=True)]


async def soak(args: argparse.Namespace, server: DemoServer, traffic: Traffic) -> dict[str, Any]:
    """Warm up, then load until the distinct target or a limit; what was measured."""
    warm = Stats()
    await run_phase(traffic, server.port, args.clients, warm, lambda: warm.requests + warm.transport >= args.warmup)
    workers = server.find_workers()
    sampler = Sampler(workers, args.sample)
    stats, target, limit = Stats(), int(args.distinct), int(args.requests)
    started = time.monotonic()
    deadline = started + float(args.seconds)
    sampler.take(started)
    cpu = _cpu(server, workers)

    def done() -> bool:
        sent = stats.requests + stats.transport
        reached = min(stats.tokens, stats.paths, stats.hosts, stats.cookies) >= target
        return reached or sent >= limit or time.monotonic() >= deadline

    progress = asyncio.ensure_future(sampler.run(stats, started, target))
    try:
        await run_phase(traffic, server.port, args.clients, stats, done)
    finally:
        progress.cancel()
    elapsed = time.monotonic() - started
    sampler.take(started)
    used = {key: (value - cpu[key]) / elapsed for key, value in _cpu(server, workers).items()}
    return {
        "warm": warm,
        "stats": stats,
        "elapsed": elapsed,
        "sampler": sampler,
        "cpu": used,
        "restarted": server.find_workers() != workers,
        "workers": workers,
    }


def _cpu(server: DemoServer, workers: list[int]) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    busy, _ = machine_busy()
    found = {f"worker {pid}": cpu_seconds(pid) for pid in workers}
    supervisor = {"uvicorn supervisor": cpu_seconds(server.process.pid)} if server.process and len(workers) > 1 else {}
    return {"client": usage.ru_utime + usage.ru_stime, **found, **supervisor, "machine": busy}


# ----------------------------------------------------------------------------- the report


def summarize(args: argparse.Namespace, server: DemoServer, traffic: Traffic, result: dict[str, Any]) -> dict[str, Any]:
    """What the run measured, as one JSON-ready dict."""
    stats, warm, elapsed = result["stats"], result["warm"], result["elapsed"]
    mode = "database" if args.database else "jwt"
    sampler = result["sampler"]
    memory = memory_summary(mode, traffic.largest, result["workers"], sampler.samples) | {"threads": sampler.threads}
    cpu = result["cpu"]
    cpu["others"] = cpu["machine"] - sum(value for key, value in cpu.items() if key != "machine")
    distinct = {"valid tokens": stats.tokens, "paths": stats.paths, "Host values": stats.hosts}
    distinct["Cookie headers"] = stats.cookies
    failed = stats.wrong + stats.server_errors + stats.transport + warm.wrong + warm.server_errors + warm.transport
    logged = server.errors()
    failed += len(logged)
    return {
        "ok": not failed and memory["within"] and not result["restarted"],
        "mode": mode,
        "command": " ".join(["python", "benchmarks/soak.py", *sys.argv[1:]]),
        "server": " ".join(server.command[1:]).replace(str(Path.cwd()) + "/", ""),
        "workers": args.workers,
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": stats.requests,
        "requests_per_second": round(stats.requests / elapsed, 1),
        "latency_ms": {q: round(stats.latency.percentile(p), 2) for q, p in (("p50", 50), ("p99", 99))},
        "wrong_decisions": stats.wrong,
        "server_errors": stats.server_errors,
        "transport_errors": stats.transport,
        "warm_up": {"requests": warm.requests, "failed": warm.wrong + warm.server_errors + warm.transport},
        "failures": warm.failures + stats.failures + [f"server log: {line}" for line in logged[:10]],
        "server_log_errors": len(logged),
        "distinct": distinct,
        "distinct_target": args.distinct,
        "target_reached": min(distinct.values()) >= args.distinct,
        "statuses": dict(sorted(stats.statuses.items())),
        "client_mint_us": result["mint_cost"],
        "cpu_cores": {key: round(value, 2) for key, value in cpu.items()},
        "memory": memory,
        "workers_restarted": result["restarted"],
        "environment": {
            "cpus": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            **{name: version_of(name) for name in ("uvicorn", "httptools", "uvloop", "starlette")},
            "commit": git_commit(Path(__file__).resolve().parent.parent),
            "load_average": os.getloadavg(),
        },
    }


def report_lines(s: dict[str, Any]) -> list[str]:
    """The human-readable report."""
    env, rate, latency = s["environment"], s["requests_per_second"], s["latency_ms"]
    by_status: Counter[str] = Counter()
    for key, count in s["statuses"].items():
        by_status[key.rsplit(" ", 1)[1]] += count
    reached = "reached" if s["target_reached"] else "NOT reached: a limit came first"
    return [
        f"asgi_withauth soak: the demo ({s['mode']} mode), `{s['server']}`",
        f"{s['clients']} keep-alive clients (asyncio streams) in this process; {env['cpus']} cpus ({env['cpu']}), "
        f"Python {env['python']}, uvicorn {env['uvicorn']}, commit {env['commit']}",
        "",
        f"{s['requests']:,} requests in {s['seconds']} s (after {s['warm_up']['requests']:,} warm-up requests): "
        f"{rate:,.0f} requests/s, latency p50 {latency['p50']} ms, p99 {latency['p99']} ms",
        f"wrong decisions: {s['wrong_decisions']}   5xx: {s['server_errors']}   transport errors: "
        f"{s['transport_errors']}   (warm-up, all three: {s['warm_up']['failed']})   errors in the server's log: "
        f"{s['server_log_errors']}",
        *(f"  FAILED {line}" for line in s["failures"]),
        "distinct: " + ", ".join(f"{k} {v:,}" for k, v in s["distinct"].items()),
        f"  (target {s['distinct_target']:,}: {reached})",
        "statuses: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(by_status.items())),
        "CPU, in cores: " + ", ".join(f"{k} {v}" for k, v in s["cpu_cores"].items()),
        "  (CPU us per token the client mints: " + ", ".join(f"{k} {v}" for k, v in s["client_mint_us"].items()) + ")",
        "",
        *memory_lines(s["memory"]),
        *(["a worker was restarted during the run: FAILED"] if s["workers_restarted"] else []),
        "result: " + ("ok" if s["ok"] else "FAILED"),
    ]


# ----------------------------------------------------------------------------- main


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1800, help="time limit after the warm-up (default 1800)")
    parser.add_argument("--requests", type=int, default=10_000_000, help="request limit (default 10,000,000)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument(
        "--distinct",
        type=int,
        default=1_000_000,
        help="stop once this many distinct valid tokens, paths, Host values and Cookie headers "
        "went through (default 1,000,000)",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--database", action="store_true", help="the demo's database mode (sessions in SQLite)")
    parser.add_argument("--warmup", type=int, default=5000, help="requests before memory is first read (default 5000)")
    parser.add_argument("--sample", type=float, default=10, help="seconds between memory samples (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="the mix's random seed")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object instead")
    args = parser.parse_args(argv)
    if min(args.seconds, args.requests, args.clients, args.distinct, args.workers, args.sample) <= 0:
        parser.error("--seconds, --requests, --clients, --distinct, --workers and --sample must be positive")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server (and the database), soak it, stop it, whatever happens: the summary."""
    cost = mint_cost()
    with contextlib.ExitStack() as stack:
        env, sessions, expired = {"SOAK_SECRET": SECRET}, 0, 0
        if args.database:
            sessions, expired = min(args.distinct, args.requests) + args.warmup, min(args.distinct, EXPIRED_ROWS)
            path, took = stack.enter_context(soak_database(HOT + sessions, expired, database_token))
            print(f"database: {HOT + sessions:,} valid, {expired:,} expired sessions, {took:.1f} s", file=sys.stderr)
            env = {"SOAK_DATABASE": path}
        factory = "database_app" if args.database else "jwt_app"
        server = stack.enter_context(DemoServer(factory=factory, workers=args.workers, env=env))
        assert server.process is not None
        workers = ", ".join(map(str, server.worker_pids))
        print(f"uvicorn {server.process.pid} (workers {workers}) on {HOST}:{server.port}", file=sys.stderr, flush=True)
        mode = "database" if args.database else "jwt"
        traffic = Traffic(mode=mode, port=server.port, seed=args.seed, sessions=sessions, expired=expired)
        signal.alarm(int(args.seconds + 3 * GRACE + args.warmup / 10 + 120))
        result = _run(soak(args, server, traffic))
        signal.alarm(0)
        return summarize(args, server, traffic, result | {"mint_cost": cost})


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGALRM, _stop)  # the watchdog: whatever happens, stop
    check_minter(Minter(SECRET))
    try:
        summary = run(args)
    except KeyboardInterrupt:
        print("interrupted: the server is stopped", file=sys.stderr)
        return 130
    print(json.dumps(summary) if args.json else "\n".join(report_lines(summary)))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
