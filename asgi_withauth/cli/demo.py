"""``asgi-withauth demo``: serve the demo app (:mod:`asgi_withauth.demo`) on loopback."""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import secrets
from collections.abc import Callable
from typing import Final

from ..options import Environment
from .output import PROG, emit, usage_error

__all__ = ["add_parser", "cmd_demo"]

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


def demo_banner(host: str, port: int, secret: str, source: str | None) -> str:
    """The URLs to try, and the secret (printed only when generated for this run)."""
    base = f"http://{url_host(host)}:{port}"
    width = max(len(path) for path, _ in _DEMO_PATHS) + len(base) + 2
    lines = [f"asgi_withauth demo on {base}/ (Ctrl+C to stop)", "", "Try:"]
    urls = [(f"ws://{url_host(host)}:{port}" if path == "/ws" else base) + path for path, _ in _DEMO_PATHS]
    lines += [f"  {url:<{width}}{what}" for url, (_, what) in zip(urls, _DEMO_PATHS, strict=True)]
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


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: serve the demo app (loopback only unless --allow-remote)."""
    if not args.allow_remote and not is_loopback(args.host):
        raise usage_error(
            f"--host {args.host}: the demo only listens on loopback (127.0.0.1, ::1, localhost)",
            "it mints sessions for anyone who asks; pass --allow-remote if you really mean to expose it",
        )
    host = unbracket(args.host)
    serve = load_demo_server()
    secret, source = demo_secret()
    emit(demo_banner(host, args.port, secret, source))
    try:
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
        "next-auth front end: it mints a next-auth session cookie.",
        epilog="secrets:\n  NEXTAUTH_SECRET (or AUTH_SECRET) from the environment, else one generated for the run "
        "and printed.\n\nexit codes:\n  0 ok, 2 usage error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1; loopback only)")
    parser.add_argument("--port", type=port_number, default=8000, help="TCP port (default: 8000)")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    parser.set_defaults(handler=cmd_demo)
