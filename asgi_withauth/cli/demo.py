"""``asgi-withauth demo``: serve the demo app (:mod:`asgi_withauth.demo`) on loopback."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import ipaddress
import secrets
import socket
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from ..errors import CLIError
from ..options import DEFAULT_LOOKUP_TTL, Environment
from .output import PROG, emit, exit_codes_help, usage_error

__all__ = ["SERVER_FAILED", "add_parser", "cmd_demo", "port_problem"]

SERVER_FAILED: Final = 3
"""The exit code when the server cannot start (uvicorn's own code for a failed start-up)."""

EXIT_CODES: Final = exit_codes_help(
    "0 stopped (Ctrl+C)",
    "2 usage error: a host that is not loopback, an unusable --sqlite, uvicorn not installed",
    f"{SERVER_FAILED} the server could not start: the port is in use (try another --port) or the address "
    "cannot be listened on",
)

_DEMO_PATHS: Final = (
    ("/", "home: who you are, links to everything"),
    ("/login", "the sign-in form (a stand-in for a Next.js + next-auth front end)"),
    ("/dashboard", "signed-in users; others are sent to /login and back"),
    ("/admin", 'role "admin" only'),
    ("/api/me", "JSON API: 401 without a session"),
    ("/api/admin/users", "JSON API: 401 without a session, 403 unless admin"),
    ("/ws", "websocket: signed-in users only"),
    ("/logout", "sign out"),
)


def unbracket(host: str) -> str:
    """``::1`` for ``[::1]``; other hosts unchanged."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (brackets allowed)."""
    name = unbracket(host)
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it goes in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("expected a port number (1-65535)")
    return port


def port_problem(host: str, port: int) -> OSError | None:
    """Why the demo could not listen on ``host``:``port``, found by binding it now (as uvicorn
    will: every address the host resolves to, ``SO_REUSEADDR`` on), or None when it can."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return exc
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
            try:
                probe.bind(address)
            except OSError as exc:
                return exc
    return None


def check_port(host: str, port: int) -> None:
    """Fail before the banner, with a hint, when the demo cannot listen on ``host``:``port``."""
    problem = port_problem(host, port)
    if problem is None:
        return
    where = f"{url_host(host)}:{port}"
    if problem.errno == errno.EADDRINUSE:
        raise CLIError(
            "port_in_use",
            f"port {port} is in use on {host} (another server, or a demo still running?)",
            f"pass another port: {PROG} demo --port {port + 1 if port < 65535 else 8000}",
            exit_code=SERVER_FAILED,
        )
    reason = problem.strerror or str(problem)
    raise CLIError(
        "cannot_listen",
        f"cannot listen on {where}: {reason}",
        "choose another --port (ports below 1024 need privileges) or --host",
        exit_code=SERVER_FAILED,
    )


def load_demo_server() -> Callable[..., None]:
    """``asgi_withauth.demo.serve``, imported now; a usage error when it is not installed."""
    try:
        module = importlib.import_module("asgi_withauth.demo")
    except ModuleNotFoundError as exc:
        if exc.name == "asgi_withauth.demo":
            raise usage_error("the demo is not available: this installation has no asgi_withauth.demo") from None
        raise usage_error(
            f"the demo needs the {exc.name!r} package, which is not installed", f"pip install {exc.name}"
        ) from None
    serve = getattr(module, "serve", None)
    if not callable(serve):
        raise usage_error("the demo is not available: asgi_withauth.demo has no serve()")
    return serve  # type: ignore[no-any-return]


def demo_secret() -> tuple[str, str | None]:
    """The secret for the run and the environment variable it came from (None: generated)."""
    env = Environment.read()
    if env.secret is not None:
        return env.secret, env.secret_name
    return secrets.token_urlsafe(32), None


@contextlib.contextmanager
def demo_database(path: str | None) -> Iterator[tuple[str, bool]]:
    """The SQLite file of ``--database``: ``path`` (kept), or a new one in a temporary
    directory (removed on exit). Yields the path and whether it is temporary."""
    if path is None:
        with tempfile.TemporaryDirectory(prefix="asgi-withauth-demo-") as directory:
            yield str(Path(directory) / "demo.db"), True
        return
    if not Path(path).parent.is_dir():
        raise usage_error(f"--sqlite {path}: the directory {str(Path(path).parent)!r} does not exist")
    try:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA schema_version").fetchone()  # reads the header: is it SQLite at all?
    except sqlite3.Error as exc:
        raise usage_error(f"--sqlite {path}: {exc}", "give a new file name, or an SQLite database") from None
    yield path, False


def _banner_head(host: str, port: int, sessions: list[str]) -> tuple[str, list[str]]:
    """The base URL, and the banner's first lines: where sessions live, the URLs to try."""
    base = f"http://{url_host(host)}:{port}"
    width = max(len(path) for path, _ in _DEMO_PATHS) + len(base) + 2
    lines = [f"asgi_withauth demo on {base}/ (Ctrl+C to stop)", "", *sessions, "", "Try:"]
    urls = [(f"ws://{url_host(host)}:{port}" if path == "/ws" else base) + path for path, _ in _DEMO_PATHS]
    lines += [f"  {url:<{width}}{what}" for url, (_, what) in zip(urls, _DEMO_PATHS, strict=True)]
    return base, lines


def demo_banner(host: str, port: int, secret: str, source: str | None) -> str:
    """The URLs to try, and the secret (printed only when generated for this run)."""
    sessions = ["Sessions: in the cookie, a JWE (next-auth's jwt strategy; --database for database sessions)"]
    base, lines = _banner_head(host, port, sessions)
    if source is None:
        lines += ["", f"Secret for this run (set NEXTAUTH_SECRET to choose one): {secret}"]
        env = f"NEXTAUTH_SECRET={secret} "
    else:
        lines += ["", f"Secret: from {source} (not shown)"]
        env = ""
    curl_flags = "-g " if ":" in host else ""  # curl reads [::1] as a glob otherwise
    claims = '{"sub": "u1", "role": "admin"}'
    lines += [
        "",
        "Inspect the session cookie your browser gets, or mint one for curl:",
        f"  {env}{PROG} inspect 'Cookie: <copied from the browser>'",
        f"""  curl {curl_flags}-H "Cookie: $({env}{PROG} mint --cookie --claims '{claims}')" {base}/api/admin/users""",
        "",
    ]
    return "\n".join(lines)


def database_banner(host: str, port: int, database: str, *, temporary: bool) -> str:
    """The URLs to try, and where the database sessions are (``temporary``: deleted at exit)."""
    kept = "a temporary file, deleted when the demo stops" if temporary else "kept when the demo stops"
    sessions = [
        "Sessions: in the database (next-auth's database strategy); the cookie holds a random session token",
        f"  SQLite: {database} ({kept}), @auth/pg-adapter's users and sessions tables",
        f"  WithAuth trusts a lookup for {DEFAULT_LOOKUP_TTL:g} s: a deleted session still passes that long",
    ]
    base, lines = _banner_head(host, port, sessions)
    curl_flags = "-g " if ":" in host else ""
    rows = "SELECT * FROM sessions"
    lines += [
        "",
        "Inspect the session cookie your browser gets, the rows behind it, or send it from curl:",
        f"  {PROG} inspect 'Cookie: <copied from the browser>'",
        f"  sqlite3 {database} '{rows}'",
        f"  curl {curl_flags}-H 'Cookie: next-auth.session-token=<its value>' {base}/api/me",
        "",
    ]
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: serve the demo app (loopback only unless --allow-remote)."""
    if not args.allow_remote and not is_loopback(args.host):
        raise usage_error(
            f"--host {args.host}: the demo only listens on loopback (127.0.0.1, ::1, localhost)",
            "it mints sessions for anyone who asks; pass --allow-remote if you really mean to expose it",
        )
    host = unbracket(args.host)
    serve = load_demo_server()
    check_port(host, args.port)
    try:
        if args.database or args.sqlite is not None:
            with demo_database(args.sqlite) as (database, temporary):
                emit(database_banner(host, args.port, database, temporary=temporary))
                serve(host=host, port=args.port, database=database)
        else:
            secret, source = demo_secret()
            emit(demo_banner(host, args.port, secret, source))
            serve(host=host, port=args.port, secret=secret)
    except ImportError as exc:  # the demo's DemoDependencyError: uvicorn is missing
        raise usage_error(str(exc), "pip install 'asgi_withauth[demo]'") from None
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``demo`` subcommand."""
    parser = commands.add_parser(
        "demo",
        help="serve the demo app: sign in, a protected dashboard, an admin area, an API, a websocket",
        description="Serve the demo app under uvicorn. The sign-in form is a local stand-in for a Next.js + "
        "next-auth front end: it mints a next-auth session cookie, or with --database a session row in SQLite "
        "whose random token becomes the cookie (next-auth's database strategy).",
        epilog="secrets:\n  NEXTAUTH_SECRET (or AUTH_SECRET) from the environment, else one generated for the run "
        "and printed (not used with --database).\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1; loopback only)")
    parser.add_argument("--port", type=port_number, default=8000, help="TCP port (default: 8000)")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    parser.add_argument(
        "--database",
        action="store_true",
        help="database sessions (next-auth's database strategy) in SQLite, @auth/pg-adapter's tables",
    )
    parser.add_argument(
        "--sqlite",
        metavar="PATH",
        help="the SQLite file for --database, created if new and kept (implies --database; "
        "default: a temporary file, deleted when the demo stops)",
    )
    parser.set_defaults(handler=cmd_demo)
