"""The codec's vocabulary: formats, secrets, limits. A leaf module (it imports nothing from
the package), so that any module may import it without a cycle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, TypeAlias

__all__ = [
    "A256CBC_HS512",
    "A256GCM",
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_AGE",
    "KEY_LENGTHS",
    "MAX_TOKEN_LENGTH",
    "Secret",
    "Version",
]

Secret: TypeAlias = "str | bytes | Sequence[str | bytes]"  # noqa: S105 (a type, not a password)
"""One secret, or several for rotation: the first encrypts, all may decrypt."""

Version: TypeAlias = Literal[4, 5]
"""4: next-auth v4 (``A256GCM``); 5: Auth.js v5 (``A256CBC-HS512``, salted with the cookie's name)."""

DEFAULT_MAX_AGE: Final = 30 * 24 * 60 * 60
"""next-auth's default session lifetime: 30 days, in seconds."""

DEFAULT_LEEWAY: Final = 15
"""next-auth's clock tolerance on ``exp`` and ``nbf``, in seconds."""

MAX_TOKEN_LENGTH: Final = 64 * 1024
"""Longest token (in characters) that decode looks at; longer ones are rejected unread."""

A256GCM: Final = "A256GCM"
A256CBC_HS512: Final = "A256CBC-HS512"
KEY_LENGTHS: Final = {A256GCM: 32, A256CBC_HS512: 64}
"""The content encryptions next-auth writes, and their key lengths in bytes."""
