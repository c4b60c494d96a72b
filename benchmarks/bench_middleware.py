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
reference middlewares that do the least work possible (see ``_apps.FloorMiddleware``), and
``--candidate DIR`` adds another copy of asgi_withauth (a modified copy of the repository, a
git worktree of another commit) to every comparison.

Part 2, in process (no server): microseconds per request for the ASGI app called directly
with no-op ``receive``/``send`` and, as under a server, a fresh scope per request (header
names, values and path new objects), a Starlette inner app and the garbage collector on
(see ``_inprocess``): the inner app alone, and behind
``WithAuth`` with 1, 10 and 100 rules (``rules=[Rule(matcher=f"/area{i}/:path*") ...]``,
``matcher=[]``), the request hitting the last rule with a valid token and a warm cache,
on one path and on a new path for each request (so that no per-path memo helps); a request
that matches none of the 100 rules; the floors; and two context rows (cache off, no cookie).

The benchmark prints and never fails on a slow result; it exits non-zero only when a
check fails (wrong statuses, a token that does not decode, a server that does not start).

This file is the command line; the parts live beside it: ``_apps`` (the apps and floors),
``_server`` (uvicorn and wrk), ``_scenarios`` (part 1), ``_inprocess`` (part 2), ``_stats``
(the statistics shared with bench_decode), ``_candidate`` (``--candidate``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _apps import PACKAGE_ROOT, CheckFailed
from _candidate import CandidateError, load_package, package_root
from _env import cpu_model, git_commit, version_of
from _inprocess import growth_lines, in_process_table, measure_in_process
from _scenarios import FLOOR_SCENARIOS, SCENARIOS, Scenario, measure_servers, server_table
from _server import HERE, event_loop_name, pinning, wrk_version

from asgi_withauth._codec import speedups


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
        "speed extra": ", ".join(speedups.installed()) or "not installed",
        "wrk": wrk_version(wrk) if wrk else "n/a",
        "asgi_withauth": git_commit(PACKAGE_ROOT),
        "asgi_withauth_path": str(PACKAGE_ROOT / "asgi_withauth"),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
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
        help="also measure the asgi_withauth package in DIR (a modified copy of the repo, a git worktree"
        " of another commit), interleaved",
    )
    parser.add_argument("--scenarios", metavar="KEYS", help="server scenarios to run, e.g. a,a-floor,d (default: all)")
    parser.add_argument("--skip-server", action="store_true", help="only the in-process part")
    parser.add_argument("--skip-in-process", action="store_true", help="only the server part")
    args = parser.parse_args(argv)
    args.pairs = args.pairs or (2 if args.quick else 5)
    args.duration = args.duration or (2 if args.quick else 5)
    args.warmup = args.warmup or 1
    if args.pairs < 1 or args.duration < 1 or args.warmup < 1:
        parser.error("--pairs, --duration and --warmup must be at least 1")
    try:
        args.candidate = package_root(args.candidate) if args.candidate else None
        args.candidate_api = load_package(args.candidate) if args.candidate is not None else None
    except CandidateError as exc:
        parser.error(f"--candidate: {exc}")
    floors = args.floors if args.floors is not None else not args.quick
    args.scenario_list = chosen_scenarios(args.scenarios, floors=floors)
    if args.scenario_list is None:
        known = ", ".join(s.key for s in (*SCENARIOS, *FLOOR_SCENARIOS))
        parser.error(f"--scenarios: unknown keys in {args.scenarios!r}; known: {known}")
    return args


def chosen_scenarios(keys: str | None, *, floors: bool) -> list[Scenario] | None:
    """The scenarios named by ``--scenarios`` (None if one is unknown), else all of them in
    order, each floor right after the scenario it is a reference for."""
    if keys:
        known = {scenario.key: scenario for scenario in (*SCENARIOS, *FLOOR_SCENARIOS)}
        names = keys.split(",")
        return None if any(key not in known for key in names) else [known[key] for key in names]
    if not floors:
        return list(SCENARIOS)
    a, b, c, d = SCENARIOS
    a_floor, b_floor, d_floor = FLOOR_SCENARIOS
    return [a, a_floor, b, b_floor, c, d, d_floor]


def server_part(args: argparse.Namespace, wrk: str, report: dict[str, Any]) -> None:
    pin, loop = pinning(), event_loop_name()
    report["settings"] = {
        "pairs": args.pairs,
        "seconds": args.duration,
        "warmup": args.warmup,
        "connections": args.connections,
        "loop": loop,
        "pinning": pin.note,
    }
    print(
        f"\n== under uvicorn (httptools, {loop}, 1 worker) with wrk -t1 -c{args.connections}:"
        f" {args.pairs} pairs of {args.duration} s runs in 1 s slices (bare, ours, bare, ours, ...), {args.warmup} s"
        f" warm-up of each before each pair; {pin.note}"
    )
    results = measure_servers(
        wrk,
        pin,
        loop,
        args.scenario_list,
        pairs=args.pairs,
        seconds=args.duration,
        warmup=args.warmup,
        conns=args.connections,
        candidate=args.candidate,
    )
    report["server"] = [r.summary() for r in results]
    print()
    print(server_table(results))


def in_process_part(args: argparse.Namespace, report: dict[str, Any]) -> None:
    rounds, sample_ms = (30, 2.0) if args.quick else (200, 4.0)
    print(
        f"\n== in process: {rounds} rounds, ~{sample_ms:g} ms samples;"
        " fresh scopes, a Starlette inner app, GC on (as under a server)"
    )
    rows = asyncio.run(measure_in_process(rounds=rounds, sample_ms=sample_ms, candidate=args.candidate_api))
    table, growth = in_process_table(rows)
    print(table)
    print()
    print("\n".join(growth_lines(growth)))
    report["in_process"] = {"rows": [asdict(r) for r in rows], "growth_100_over_1": growth}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Stop the servers on SIGTERM too (SIGINT is ignored in background jobs of sh).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    wrk = shutil.which("wrk")
    if wrk is None and not args.skip_server:
        print(
            "wrk not found. Install it with `apt-get install -y wrk` (Debian/Ubuntu), or run"
            f" `sh {HERE / 'bench_middleware.sh'}`, or pass --skip-server for the in-process part only.",
            file=sys.stderr,
        )
        return 2
    env = environment(wrk)
    report: dict[str, Any] = {"environment": env, "settings": {}, "server": [], "in_process": {}}
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    try:
        if not args.skip_server:
            assert wrk is not None
            server_part(args, wrk, report)
        if not args.skip_in_process:
            in_process_part(args, report)
    except CheckFailed as exc:
        print(f"\nCHECK FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"\n({time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
