"""Every error asgi_withauth raises, each with a short machine-readable ``code``.

Bad input from a request (a token, a cookie, a path) never reaches the application as an
exception: WithAuth answers it (a redirect, 400, 401/403, 414) and get_token returns None.
These classes are what direct calls raise (``jwt.decode``, ``canonical_route``), what the
CLI reports, and what configuration mistakes raise at start-up.

    try:
        claims = jwt.decode(token, secret)
    except JWTError as exc:
        log.info("rejected: %s", exc.code)    # "token_expired", "decryption_failed", ...
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AdapterError",
    "CLIError",
    "CallbackError",
    "ConfigurationError",
    "DecryptionError",
    "DemoDependencyError",
    "ExpiredTokenError",
    "InvalidClaimsError",
    "JWTError",
    "MalformedPathError",
    "MalformedTokenError",
    "MissingSecretError",
    "NonCanonicalPathError",
    "NotYetValidError",
    "PathTooLongError",
    "SessionCookieError",
    "SessionTooLargeError",
    "SessionUpdateError",
    "TokenTooLargeError",
    "UnsupportedAlgorithmError",
    "WithAuthError",
]


class WithAuthError(Exception):
    """Base of every asgi_withauth error. ``code`` names the kind in a word or two."""

    code: ClassVar[str] = "error"


# --------------------------------------------------------------------------- configuration


class ConfigurationError(WithAuthError, RuntimeError):
    """asgi_withauth is set up in a way that cannot work; the message says what to change."""

    code = "configuration"


class MissingSecretError(ConfigurationError):
    """No secret: not given as an option, and neither NEXTAUTH_SECRET nor AUTH_SECRET is set."""

    code = "missing_secret"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "no secret: pass secret=... or set NEXTAUTH_SECRET (or AUTH_SECRET) to the same value "
            "the Next.js app uses"
        )


class DemoDependencyError(ConfigurationError, ImportError):
    """The demo server needs uvicorn, which is not a core dependency."""

    code = "demo_dependency"


# --------------------------------------------------------------------------- tokens


class JWTError(WithAuthError, ValueError):
    """A session token that cannot be accepted; subclasses say why."""

    code = "invalid_token"


class MalformedTokenError(JWTError):
    """Not a next-auth token: wrong shape, bad base64url, a header that is not JSON."""

    code = "malformed_token"


class TokenTooLargeError(MalformedTokenError):
    """Longer than :data:`asgi_withauth.jwt.MAX_TOKEN_LENGTH`: refused unread."""

    code = "token_too_large"


class UnsupportedAlgorithmError(JWTError):
    """A JWE algorithm next-auth does not write (only ``dir`` with A256GCM or A256CBC-HS512)."""

    code = "unsupported_algorithm"


class DecryptionError(JWTError):
    """The token does not decrypt with the configured secret(s) and salt."""

    code = "decryption_failed"


class InvalidClaimsError(JWTError):
    """The token decrypted, but its claims are not acceptable."""

    code = "invalid_claims"


class ExpiredTokenError(InvalidClaimsError):
    """``exp`` is in the past (beyond the clock tolerance)."""

    code = "token_expired"


class NotYetValidError(InvalidClaimsError):
    """``nbf`` is in the future (beyond the clock tolerance)."""

    code = "token_not_yet_valid"


# --------------------------------------------------------------------------- sessions


class SessionCookieError(WithAuthError, ValueError):
    """The session cookie is present but unusable (a chunk is missing, or it is too large)."""

    code = "unusable_cookie"


class SessionTooLargeError(WithAuthError, ValueError):
    """The re-encoded session token is over :data:`asgi_withauth.jwt.MAX_TOKEN_LENGTH`."""

    code = "session_too_large"


class CallbackError(WithAuthError, RuntimeError):
    """A jwt or session callback failed or returned something that is not a session."""

    code = "callback_failed"


class AdapterError(WithAuthError, RuntimeError):
    """A session adapter could not read or write its tables: the database is down or slow, the pool
    is exhausted, a table or column is missing, or a row holds what Auth.js never writes (a null or
    malformed ``expires``). The message says what to check; the driver's error is the ``__cause__``."""

    code = "adapter_failed"


class SessionUpdateError(WithAuthError, ValueError):
    """A session update could not be made: the data is not JSON, the new token would be over
    :data:`asgi_withauth.jwt.MAX_TOKEN_LENGTH`, or a callback failed. Nothing was written: the
    old session is intact. The reason is the ``__cause__``."""

    code = "session_update_failed"


# --------------------------------------------------------------------------- request paths


class MalformedPathError(WithAuthError, ValueError):
    """The request path cannot be routed safely: answered 400 before the app runs."""

    code = "malformed_path"
    status: ClassVar[int] = 400


class PathTooLongError(MalformedPathError):
    """The request path is too long to check (over :attr:`PathPolicy.max_length`, or over what
    the matchers read): answered 414."""

    code = "path_too_long"
    status = 414


class NonCanonicalPathError(MalformedPathError):
    """The path has a canonical form it can be redirected to (``location``: path and query)."""

    code = "non_canonical_path"

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


# --------------------------------------------------------------------------- command line


class CLIError(WithAuthError):
    """A failure of the ``asgi-withauth`` command: ``kind`` (its code, for ``--json``), a
    message, a hint, and an exit code."""

    code = "cli"

    def __init__(self, kind: str, message: str, hint: str = "", *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def as_json(self) -> dict[str, str]:
        """The ``error`` member of ``inspect --json``."""
        return {"kind": self.kind, "message": self.message, "hint": self.hint}
