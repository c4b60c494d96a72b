"""Configuration errors: raised at start-up or on direct calls, never for a bad token."""

from __future__ import annotations

__all__ = ["ConfigurationError", "MissingSecretError"]


class ConfigurationError(RuntimeError):
    """asgi_withauth is set up in a way that cannot work; the message says what to change."""


class MissingSecretError(ConfigurationError):
    """No secret: not given as an option, and neither NEXTAUTH_SECRET nor AUTH_SECRET is set."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "no secret: pass secret=... or set NEXTAUTH_SECRET (or AUTH_SECRET) to the same value "
            "the Next.js app uses"
        )
