"""The ``asgi-withauth`` command: inspect and mint next-auth session tokens, run the demo.

``inspect`` explains a session token (or a whole ``Cookie`` header): its format, the
cookie it came from, whether and with which secret it decrypts, its claims and times,
and for every kind of failure what to check next. ``mint`` writes tokens and ready
``Cookie`` header values for tests and curl. ``demo`` serves the demo app on loopback.

Secrets come from ``--secret`` (repeatable: rotation), else ``NEXTAUTH_SECRET``, else
``AUTH_SECRET``; they are never printed. Exit codes: 0 ok, 1 the token was rejected
(or cannot be decoded), 2 usage error, 3 the demo server could not start (its port is in use).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .. import __version__
from ..errors import CLIError
from . import demo, inspect, mint
from .locate import Located, locate
from .output import PROG, SECRETS_HELP, emit, error_text, exit_codes_help, human_utc, redact, relative, utc_text
from .report import Report
from .sources import SecretRef, resolve_secrets

__all__ = [
    "CLIError",
    "Located",
    "Report",
    "SecretRef",
    "build_parser",
    "human_utc",
    "locate",
    "main",
    "redact",
    "relative",
    "resolve_secrets",
    "utc_text",
]


EXIT_CODES = exit_codes_help(
    "0 ok",
    "1 inspect: the token was rejected (or cannot be decoded)",
    "2 usage error",
    "3 demo: the server could not start (the port is in use: try another --port)",
    "(each command's --help lists its own)",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``asgi-withauth`` argument parser."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and mint next-auth (v4) / Auth.js (v5) session tokens; run the demo.",
        epilog=SECRETS_HELP + "\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    inspect.add_parser(commands)
    mint.add_parser(commands)
    demo.add_parser(commands)
    return parser


def exit_status(code: object) -> int:
    """The int behind ``SystemExit.code`` (argparse: 0 for --help, 2 for usage errors)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see ``EXIT_CODES``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exit_status(exc.code)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        emit(f"{PROG}: error: choose a command: inspect, mint or demo (see --help)", sys.stderr)
        return 2
    try:
        return handler(args)
    except CLIError as exc:
        emit(error_text(args.command, exc), sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
