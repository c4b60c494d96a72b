"""Where the command's input comes from: the secrets (``--secret``, else the environment, read
as the library reads it) and stdin."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ..errors import CLIError
from ..options import Environment
from .output import usage_error

__all__ = ["STDIN_LIMIT", "SecretRef", "no_secret_error", "read_stdin", "resolve_secrets"]

STDIN_LIMIT: Final = 1024 * 1024
"""Most characters read from stdin (a Cookie header is a few KB; a token at most 64 KB)."""


@dataclass(frozen=True, slots=True)
class SecretRef:
    """One secret and where it came from; ``str()`` describes it without its value."""

    value: str = field(repr=False)
    source: str
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"secret #{self.index} of {self.count} ({self.source})"


def resolve_secrets(flags: Sequence[str] | None, environ: Mapping[str, str] | None = None) -> list[SecretRef]:
    """``--secret`` values, else NEXTAUTH_SECRET, else AUTH_SECRET; [] when there is none."""
    if flags:
        if any(not flag for flag in flags):
            raise usage_error("--secret: an empty secret is not a secret")
        return [SecretRef(flag, "--secret", i, len(flags)) for i, flag in enumerate(flags, 1)]
    env = Environment.read(environ)
    if env.secret is None or env.secret_name is None:
        return []
    return [SecretRef(env.secret, env.secret_name, 1, 1)]


def no_secret_error(action: str) -> CLIError:
    """The usage error for a missing secret."""
    return CLIError(
        "no_secret",
        f"no secret to {action} with",
        "set NEXTAUTH_SECRET (or AUTH_SECRET) to the Next.js app's secret, or pass --secret",
        exit_code=2,
    )


def read_stdin() -> str:
    """All of stdin as text (bounded); a usage error when it cannot be read."""
    if sys.stdin is None:
        raise usage_error("cannot read stdin: there is none")
    try:
        text = sys.stdin.read(STDIN_LIMIT + 1)
    except UnicodeDecodeError:
        raise usage_error("cannot read stdin: it is not text in the terminal's encoding") from None
    except (OSError, ValueError) as exc:
        raise usage_error(f"cannot read stdin: {getattr(exc, 'strerror', None) or exc}") from None
    if len(text) > STDIN_LIMIT:
        raise usage_error(f"stdin is longer than {STDIN_LIMIT} characters; a session cookie is a few KB")
    return text
