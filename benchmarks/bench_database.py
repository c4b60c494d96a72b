"""Database-session benchmark: a protected request through ``WithAuth`` over database sessions.

Usage::

    python benchmarks/bench_database.py [--quick] [--sessions N] [--skip-postgres] [--json out.json]

In process, like part 2 of bench_middleware (the ASGI app called directly with a prebuilt
scope and no-op ``receive``/``send``, samples interleaved in rounds with the GC off): a
request to ``/app/dashboard`` carrying a browser's cookies, to

- the bare inner app (``_apps.tiny_app``) alone;
- ``WithAuth(app, secret=..., matcher="/app/:path*")`` with a next-auth v4 JWT session
  cookie (its token cache warm): the JWT path;
- ``WithAuth(app, adapter=..., matcher="/app/:path*")`` with a database session cookie (64
  hex characters) over ``SQLiteAdapter`` (a file in a temporary directory, WAL, tables made
  by ``create_tables=True``) and over ``PostgresAdapter`` (a throwaway local server started
  with tests/pg.py's ``PgServer``, @auth/pg-adapter's schema.sql), each with the lookup cache
  on (``lookup_ttl`` 5 s, the default) and off (``lookup_ttl=0``: one query per request).

The sessions table holds ``--sessions`` rows (default 1,000), the measured one among them.
Every case is checked first (status 200, the session in the scope). Ratios are taken per
round and then the median: "req/s vs bare" is bare's µs over the row's µs (the share of the
bare app's throughput it keeps), "req/s vs JWT" the JWT row's µs over the row's µs. The
issue's target: with the cache on, WithAuth over the database keeps >= 0.9x of WithAuth
over JWT cookies. The cache-off cost is the median per-round difference to the bare app
(and to the JWT path). Without PostgreSQL installed, its rows are skipped, with a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

from _apps import PACKAGE_ROOT, CheckFailed, tiny_app
from _env import cpu_model, git_commit, version_of
from _inprocess import InProcessCase, InProcessRow, http_scope, measure_cases
from _session import SECRET, cookie_header, session_token
from _stats import median, per_round_differences, per_round_ratios, quartiles, ratio_text

from asgi_withauth import WithAuth
from asgi_withauth.adapters import PostgresAdapter, SessionAdapter, SQLiteAdapter
from asgi_withauth.options import DEFAULT_LOOKUP_TTL

REPOSITORY: Final = Path(__file__).resolve().parent.parent
PATH: Final = "/app/dashboard"
MATCHER: Final = "/app/:path*"
TARGET: Final = 0.9
"""With the cache on, WithAuth over the database keeps at least this share of WithAuth over JWT's req/s."""


@dataclass(frozen=True)
class Database:
    """One database to measure: its label, its adapter, and the session token to look up."""

    key: str
    label: str
    adapter: SessionAdapter
    token: str


async def fill(adapter: SessionAdapter, sessions: int) -> str:
    """``sessions`` session rows of one user; the token of the one in the middle."""
    user = await adapter.create_user(name="Ada Lovelace", email="ada.lovelace@example.com")
    expires = datetime.now(timezone.utc) + timedelta(days=30)
    tokens = [f"{index:064x}" for index in range(sessions)]
    for token in tokens:
        await adapter.create_session(session_token=token, user_id=user.id, expires=expires)
    return tokens[len(tokens) // 2]


@contextlib.contextmanager
def local_postgres() -> Iterator[str | None]:
    """The conninfo of a database on a throwaway PostgreSQL server (tests/pg.py's), with
    @auth/pg-adapter's schema; None (after saying why) when PostgreSQL is not available."""
    sys.path.insert(0, str(REPOSITORY))
    try:
        from tests.pg import INSTALL_HINT, PgServer, PostgresUnavailable, find_bindir
    except ImportError as exc:
        print(f"PostgreSQL part skipped: tests/pg.py cannot be imported ({exc})")
        yield None
        return
    bindir = find_bindir()
    if bindir is None:
        print(f"PostgreSQL part skipped: no initdb on PATH or in /usr/lib/postgresql/*/bin ({INSTALL_HINT})")
        yield None
        return
    try:
        server = PgServer(bindir)
    except PostgresUnavailable as exc:
        print(f"PostgreSQL part skipped: {exc}")
        yield None
        return
    try:
        server.start()
        yield server.create_database("bench").conninfo
    finally:
        server.destroy()


def cases(databases: Sequence[Database], jwt_token: str) -> list[InProcessCase]:
    """bare, the JWT path, and each database with the cache on and off."""

    def case(key: str, name: str, app: Any, token: str, *, with_token: bool = True) -> InProcessCase:
        return InProcessCase(key, name, app, [http_scope(PATH, cookie_header(token))], 200, with_token)

    rows = [
        case("bare", "bare: the inner app alone", tiny_app, jwt_token, with_token=False),
        case(
            "jwt",
            "WithAuth, JWT cookie (token cache warm)",
            WithAuth(tiny_app, secret=SECRET, matcher=MATCHER),
            jwt_token,
        ),
    ]
    for db in databases:
        for ttl, cache in ((DEFAULT_LOOKUP_TTL, "on"), (0, "off")):
            app = WithAuth(tiny_app, adapter=db.adapter, lookup_ttl=ttl, matcher=MATCHER)
            label = f"WithAuth, {db.label}, cache {cache}" + (f" (lookup_ttl {ttl:g} s)" if ttl else " (lookup_ttl 0)")
            rows.append(case(f"{db.key}-{cache}", label, app, db.token))
    return rows


def table(rows: Sequence[InProcessRow]) -> str:
    by_key = {row.key: row for row in rows}
    bare, jwt = by_key["bare"], by_key["jwt"]
    lines = [
        "| request | median µs/request | IQR µs | WithAuth's own µs (minus bare) | req/s vs bare | req/s vs JWT |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        q1, _, q3 = quartiles(row.samples_us, method="exclusive")
        own = "-" if row is bare else f"{median(per_round_differences(row.samples_us, bare.samples_us)):.2f}"
        vs_bare = ratio_text(median(per_round_ratios(bare.samples_us, row.samples_us)))
        vs_jwt = "-" if row is bare else ratio_text(median(per_round_ratios(jwt.samples_us, row.samples_us)))
        lines.append(f"| {row.name} | {row.median_us:.2f} | {q1:.2f}-{q3:.2f} | {own} | {vs_bare} | {vs_jwt} |")
    return "\n".join(lines)


def verdicts(rows: Sequence[InProcessRow], databases: Sequence[Database]) -> tuple[list[str], dict[str, Any]]:
    """The target lines (cache on vs JWT) and the cache-off cost lines, and the same as data."""
    by_key = {row.key: row for row in rows}
    bare, jwt = by_key["bare"], by_key["jwt"]
    lines, summary = [], {}
    for db in databases:
        on, off = by_key[f"{db.key}-on"], by_key[f"{db.key}-off"]
        ratios = per_round_ratios(jwt.samples_us, on.samples_us)
        q1, ratio, q3 = quartiles(ratios, method="exclusive")
        met = ratio >= TARGET
        cost = median(per_round_differences(off.samples_us, bare.samples_us))
        over_jwt = median(per_round_differences(off.samples_us, jwt.samples_us))
        lines += [
            f"{db.label}, cache on: {ratio:.3f}x the req/s of WithAuth over JWT cookies (IQR {q1:.3f}-{q3:.3f})."
            f" Target >= {TARGET}x: {'met' if met else 'MISSED'}",
            f"{db.label}, cache off: {cost:.1f} µs per request over the bare app ({over_jwt:.1f} µs over the JWT"
            " path): one query per request",
        ]
        summary[db.key] = {
            "cache_on_vs_jwt": ratio,
            "target_met": met,
            "cache_off_us": cost,
            "cache_off_over_jwt_us": over_jwt,
        }
    return lines, summary


async def measure(args: argparse.Namespace, directory: Path, conninfo: str | None) -> dict[str, Any]:
    adapters: list[tuple[str, str, SessionAdapter]] = [
        ("sqlite", "SQLite", SQLiteAdapter(directory / "bench.db", create_tables=True))
    ]
    if conninfo is not None:
        adapters.append(("postgres", "PostgreSQL", PostgresAdapter(conninfo)))
    try:
        databases = [
            Database(key, label, adapter, await fill(adapter, args.sessions)) for key, label, adapter in adapters
        ]
        jwt_token, _ = session_token(now=int(time.time()))
        rounds, sample_ms = (30, 2.0) if args.quick else (200, 4.0)
        print(
            f"\n== in process: {rounds} rounds, ~{sample_ms:g} ms samples, GC off while timing;"
            f" {args.sessions:,} rows in the sessions table"
        )
        rows = await measure_cases(cases(databases, jwt_token), rounds=rounds, sample_ms=sample_ms)
    finally:
        for _, _, adapter in adapters:
            await adapter.aclose()
    lines, summary = verdicts(rows, databases)
    print(table(rows))
    print()
    print("\n".join(lines))
    return {"rows": [asdict(row) for row in rows], "summary": summary}


def environment() -> dict[str, str]:
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "psycopg": version_of("psycopg"),
        "psycopg-pool": version_of("psycopg-pool"),
        "anyio": version_of("anyio"),
        "asgi_withauth": git_commit(PACKAGE_ROOT),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="30 rounds of ~2 ms samples (default 200 of ~4 ms)")
    parser.add_argument("--sessions", type=int, default=1000, help="rows in the sessions table (default 1000)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", metavar="PATH", help="also write every sample, with the versions")
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    env = environment()
    print(", ".join(f"{k} {v}" for k, v in env.items()))
    with tempfile.TemporaryDirectory(prefix="bench-database-") as directory:
        postgres = contextlib.nullcontext(None) if args.skip_postgres else local_postgres()
        with postgres as conninfo:
            try:
                report = asyncio.run(measure(args, Path(directory), conninfo))
            except CheckFailed as exc:
                print(f"\nCHECK FAILED: {exc}", file=sys.stderr)
                return 1
    print(f"\n({time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, **report}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
