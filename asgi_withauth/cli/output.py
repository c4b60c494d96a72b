"""What the command prints: streams that never raise on odd characters, argparse-style
errors, secrets redacted, and times in words."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Final, TextIO

from ..errors import CLIError
from ..options import Environment

__all__ = [
    "PROG",
    "SECRETS_HELP",
    "emit",
    "error_text",
    "exit_codes_help",
    "human_utc",
    "redact",
    "relative",
    "span",
    "usage_error",
    "utc_text",
]

PROG: Final = "asgi-withauth"

SECRETS_HELP: Final = """\
secrets:
  --secret S (repeatable, for rotation), else NEXTAUTH_SECRET, else AUTH_SECRET from the
  environment. Prefer the environment: flags end up in shell history and in `ps`.
  Secrets are never printed, only where they came from ("secret #2 of 3 (--secret)").
"""
"""The ``secrets:`` paragraph of the epilogs; each command adds its own ``exit codes:``."""


def exit_codes_help(*codes: str) -> str:
    """The ``exit codes:`` paragraph of an epilog, one code a line."""
    return "exit codes:\n" + "".join(f"  {code}\n" for code in codes)


_MIN_REDACTED: Final = 6


def emit(text: str, stream: TextIO | None = None) -> None:
    """Print ``text``; characters the stream cannot encode are escaped, not a traceback."""
    stream = sys.stdout if stream is None else stream
    try:
        print(text, file=stream)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream)
    stream.flush()


def usage_error(message: str, hint: str = "") -> CLIError:
    """A CLIError for bad input to the command itself (exit code 2)."""
    return CLIError("usage", message, hint, exit_code=2)


def error_text(command: str, error: CLIError) -> str:
    """An error argparse-style, with its hint on the next line."""
    hint = f"\nhint: {error.hint}" if error.hint else ""
    return f"{PROG} {command}: error: {error.message}{hint}"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret of 6+ characters (raw or JSON-escaped) replaced by ``<redacted>``.

    A safety net: nothing ``inspect`` prints is built from a secret, but claims and cookie
    names come from the input, and a secret pasted into the wrong place must not be echoed.
    Both environment variables count, even the one that is not used.
    """
    env = Environment.read()
    values = {*secrets, env.nextauth_secret or "", env.auth_secret or ""}
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= _MIN_REDACTED:
            for form in dict.fromkeys((value, json.dumps(value, ensure_ascii=False)[1:-1])):
                text = text.replace(form, "<redacted>")
    return text


# --------------------------------------------------------------------------- times


def utc_text(timestamp: float) -> str | None:
    """``2024-05-01T12:00:00Z``, or None when out of datetime's range."""
    try:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def human_utc(iso: str | None) -> str:
    """``2024-05-01 12:00:00 UTC`` from :func:`utc_text`'s form."""
    return "out of range" if iso is None else iso.replace("T", " ").replace("Z", " UTC")


def span(seconds: float) -> str:
    """A rough human duration: ``3 hours``, ``29 days``, ``2 years``."""
    seconds = abs(seconds)
    for unit, size, limit in (
        ("second", 1, 60),
        ("minute", 60, 3600),
        ("hour", 3600, 48 * 3600),
        ("day", 86400, 730 * 86400),
    ):
        if seconds < limit:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    years = int(seconds // (365 * 86400))
    return f"{years} years"


def relative(claim: str, delta: float) -> str:
    """The phrase for a time claim ``delta`` seconds from now."""
    if abs(delta) < 1:
        return {"iat": "issued just now", "nbf": "valid from now", "exp": "expires now"}[claim]
    future = delta > 0
    phrases = {
        "iat": (f"issued {span(delta)} in the future (clock skew?)", f"issued {span(delta)} ago"),
        "nbf": (f"becomes valid in {span(delta)}", f"valid since {span(delta)} ago"),
        "exp": (f"expires in {span(delta)}", f"expired {span(delta)} ago"),
    }
    return phrases[claim][0 if future else 1]
