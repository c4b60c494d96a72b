"""The ``asgi-withauth`` command: inspect and mint next-auth session tokens, run the demo.

``inspect`` explains a session token (or a whole ``Cookie`` header): its format, the
cookie it came from, whether and with which secret it decrypts, its claims and times,
and for every kind of failure what to check next. ``mint`` writes tokens and ready
``Cookie`` header values for tests and curl. ``demo`` serves the demo app on loopback.

Secrets come from ``--secret`` (repeatable: rotation), else ``NEXTAUTH_SECRET``, else
``AUTH_SECRET``; they are never printed. Exit codes: 0 ok, 1 the token was rejected
(or cannot be decoded), 2 usage error.
"""

from __future__ import annotations

import argparse
import binascii
import importlib
import ipaddress
import json
import math
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final, TextIO

from . import jwt
from .cookies import (
    SessionCookieError,
    chunk_session_cookie,
    parse_cookie_header,
    read_session_cookie,
    session_cookie_name,
)
from .errors import CLIError

__all__ = ["CLIError", "build_parser", "main"]

PROG: Final = "asgi-withauth"
SECRET_ENV: Final = ("NEXTAUTH_SECRET", "AUTH_SECRET")
STDIN_LIMIT: Final = 1024 * 1024
"""Most characters read from stdin (a Cookie header is a few KB; a token at most 64 KB)."""

_MIN_REDACTED: Final = 6
_IGNORE_TIMES: Final = 10**400
"""A leeway no finite time claim can exceed: decode the claims of expired tokens too."""
_PROBE_SECRET: Final = "asgi-withauth inspect: structure probe"  # noqa: S105 (never decrypts anything)
_SESSION_COOKIES: Final = tuple(session_cookie_name(version=v, secure=s) for s in (False, True) for v in (4, 5))
_V5_SALTS: Final = (session_cookie_name(version=5), session_cookie_name(version=5, secure=True))
_TIME_CLAIMS: Final = ("iat", "nbf", "exp")
_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX64: Final = re.compile(r"[0-9a-fA-F]{64}")
_COOKIE_PREFIX: Final = re.compile(r"cookie\s*:\s*", re.IGNORECASE)
_BEARER_PREFIX: Final = re.compile(r"(?:authorization\s*:\s*)?bearer\s+", re.IGNORECASE)
_CHUNK_NAME: Final = re.compile(r"(.+)\.(0|[1-9][0-9]{0,3})")

_SECRETS_HELP: Final = """\
secrets:
  --secret S (repeatable, for rotation), else NEXTAUTH_SECRET, else AUTH_SECRET from the
  environment. Prefer the environment: flags end up in shell history and in `ps`.
  Secrets are never printed, only where they came from ("secret #2 of 3 (--secret)").

exit codes:
  0 ok, 1 the token was rejected (or cannot be decoded), 2 usage error
"""


def usage_error(message: str, hint: str = "") -> CLIError:
    """A CLIError for bad input to the command itself (exit code 2)."""
    return CLIError("usage", message, hint, exit_code=2)


# --------------------------------------------------------------------------- output


def emit(text: str, stream: TextIO | None = None) -> None:
    """Print ``text``; characters the stream cannot encode are escaped, not a traceback."""
    stream = sys.stdout if stream is None else stream
    try:
        print(text, file=stream)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream)
    stream.flush()


def error_text(command: str, error: CLIError) -> str:
    """An error argparse-style, with its hint on the next line."""
    hint = f"\nhint: {error.hint}" if error.hint else ""
    return f"{PROG} {command}: error: {error.message}{hint}"


def redact(text: str, secrets: Sequence[SecretRef]) -> str:
    """``text`` with every secret of 6+ characters (raw or JSON-escaped) replaced by ``<redacted>``.

    A safety net: nothing ``inspect`` prints is built from a secret, but claims and cookie
    names come from the input, and a secret pasted into the wrong place must not be echoed.
    Both environment variables count, even the one that is not used.
    """
    values = {secret.value for secret in secrets} | {os.environ.get(name) or "" for name in SECRET_ENV}
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= _MIN_REDACTED:
            for form in dict.fromkeys((value, json.dumps(value, ensure_ascii=False)[1:-1])):
                text = text.replace(form, "<redacted>")
    return text


# --------------------------------------------------------------------------- secrets


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
    environ = os.environ if environ is None else environ
    if flags:
        if any(not flag for flag in flags):
            raise usage_error("--secret: an empty secret is not a secret")
        return [SecretRef(flag, "--secret", i, len(flags)) for i, flag in enumerate(flags, 1)]
    for name in SECRET_ENV:
        value = environ.get(name)
        if value:
            return [SecretRef(value, name, 1, 1)]
    return []


def no_secret_error(action: str) -> CLIError:
    """The usage error for a missing secret."""
    return CLIError(
        "no_secret",
        f"no secret to {action} with",
        "set NEXTAUTH_SECRET (or AUTH_SECRET) to the Next.js app's secret, or pass --secret",
        exit_code=2,
    )


# --------------------------------------------------------------------------- input


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


@dataclass(frozen=True, slots=True)
class Located:
    """The token to inspect and where it was found."""

    token: str
    origin: str  # "token", "bearer" or "cookie"
    cookie: str | None = None
    chunks: int = 0
    notes: tuple[str, ...] = ()


def locate(text: str) -> Located:
    """Find the token in a bare token, a Bearer header, or a Cookie header (chunks joined)."""
    text = text.strip()
    if not text:
        raise usage_error("nothing to inspect: give a token, a Cookie header value, or - to read stdin")
    cookie_prefix = _COOKIE_PREFIX.match(text)
    if cookie_prefix:
        return from_cookie_header(text[cookie_prefix.end() :])
    bearer = _BEARER_PREFIX.match(text)
    if bearer:
        return Located(text[bearer.end() :].strip(), "bearer")
    if "=" in text or ";" in text:
        return from_cookie_header(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return Located(text, "token")


def from_cookie_header(header: str) -> Located:
    """The session cookie of a Cookie header: next-auth's names first, then any JWE-looking one."""
    cookies = parse_cookie_header(header)
    found = [(name, value) for name in _SESSION_COOKIES if (value := read_cookie(cookies, name)) is not None]
    if found:
        name, value = found[0]
        notes = tuple(f"another session cookie is present too: {other}" for other, _ in found[1:])
        return Located(value, "cookie", name, count_chunks(cookies, name), notes)
    groups = cookie_groups(cookies)
    for name, group in groups.items():
        value = read_cookie(group, name)
        if value is not None and looks_like_jwe(value):
            note = f"{name} is not one of next-auth's default names; a custom session cookie name?"
            return Located(value, "cookie", name, count_chunks(cookies, name), (note,))
    raise CLIError(
        "no_session_cookie",
        "no next-auth session cookie in this Cookie header"
        + (f" (it has: {', '.join(sorted(cookies))})" if cookies else " (it has no cookies)"),
        "looked for next-auth.session-token and authjs.session-token (also __Secure- and chunked .0, .1, ...) "
        "and for any cookie holding a JWE; copy the Cookie header of a request made after signing in",
    )


def read_cookie(cookies: Mapping[str, str], name: str) -> str | None:
    """The (joined) value of cookie ``name``; a broken chunk run is a rejection."""
    try:
        return read_session_cookie(cookies, name)
    except SessionCookieError as exc:
        raise CLIError(
            "broken_cookie",
            str(exc),
            "copy the whole Cookie header (every .0, .1, ... chunk); next-auth itself would ignore this session",
        ) from None


def count_chunks(cookies: Mapping[str, str], name: str) -> int:
    """How many ``name.<n>`` chunks the value was joined from (0: a single cookie)."""
    if cookies.get(name):
        return 0
    return sum(1 for key in cookies if (m := _CHUNK_NAME.fullmatch(key)) and m.group(1) == name)


def cookie_groups(cookies: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The cookies grouped by base name (a chunk run ``<name>.0 ..`` under ``<name>``), in header
    order: each group is read on its own, so reading every group is linear in the header."""
    groups: dict[str, dict[str, str]] = {}
    for key, value in cookies.items():
        match = _CHUNK_NAME.fullmatch(key)
        groups.setdefault(match.group(1) if match else key, {})[key] = value
    return groups


def looks_like_jwe(value: str) -> bool:
    """Five dot-separated segments whose first is a base64url JSON object."""
    parts = value.split(".")
    return len(parts) == 5 and parts[0].startswith("eyJ")


# --------------------------------------------------------------------------- token shape


def b64url_json(segment: str) -> dict[str, Any] | None:
    """A base64url segment decoded as a JSON object (leniently), or None."""
    try:
        raw = binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + "=" * (-len(segment) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def check_not_opaque(located: Located) -> None:
    """Reject database session ids, signed JWTs and other non-JWE values with their own kinds."""
    token = located.token
    if _UUID.fullmatch(token) or _HEX64.fullmatch(token):
        where = f" under the session cookie {located.cookie}" if located.cookie else ""
        raise CLIError(
            "database_session",
            f"this looks like a database session id{where}: the session lives in the database, "
            "there is nothing to decode",
            "the Next.js app uses next-auth's database session strategy; look the session up in its sessions "
            "table, or switch the app to session: { strategy: 'jwt' } for a token asgi_withauth can read",
        )
    parts = token.split(".")
    if len(parts) == 3 and (header := b64url_json(parts[0])) is not None and "alg" in header:
        raise CLIError(
            "signed_jwt",
            f"a signed JWT (JWS, alg {str(header.get('alg'))!r}), not a next-auth session (next-auth encrypts)",
            "this is likely an access or ID token from an identity provider, or one your own code signs; "
            "the next-auth session is the next-auth.session-token / authjs.session-token cookie",
        )
    if len(parts) != 5:
        raise CLIError(
            "not_a_jwe",
            f"not a next-auth token at all: a next-auth session is a JWE with 5 dot-separated parts, "
            f"this has {len(parts)}",
            "copy the value of the next-auth.session-token / authjs.session-token cookie (or the whole Cookie header)",
        )
    if b64url_json(parts[0]) is None:
        raise CLIError(
            "malformed",
            "malformed token: it has 5 parts like a JWE, but the first is not a base64url JSON header",
            "copy the cookie value again, whole (all chunks), without quotes, spaces or line breaks",
        )


def check_structure(token: str) -> None:
    """Raise the codec's own structural errors (malformed, too large, unsupported algorithm)."""
    try:
        jwt.decode(token, _PROBE_SECRET, salt="", leeway=_IGNORE_TIMES)
    except (jwt.MalformedTokenError, jwt.UnsupportedAlgorithmError) as exc:
        raise structural_error(exc) from None
    except jwt.JWTError:
        pass  # the probe secret decrypts nothing: the structure is fine


def structural_error(exc: jwt.JWTError) -> CLIError:
    """The CLIError for a codec error that no secret can fix."""
    if isinstance(exc, jwt.TokenTooLargeError):
        return CLIError("too_large", str(exc), "a next-auth session token is a few KB; this is not one")
    if isinstance(exc, jwt.UnsupportedAlgorithmError):
        return CLIError(
            "unsupported_algorithm",
            str(exc),
            "next-auth writes alg 'dir' with A256GCM (v4) or A256CBC-HS512 (v5); this token was made by "
            "something else (a custom jwt.encode?)",
        )
    return CLIError(
        "malformed",
        f"malformed token: {exc}",
        "copy the cookie value again, whole (all chunks), without quotes, spaces or line breaks",
    )


def header_info(token: str) -> dict[str, Any]:
    """The format as the header announces it: version (4, 5 or None), alg, enc, kid."""
    header = b64url_json(token.split(".", 1)[0]) or {}
    return {
        "version": jwt.peek_version(token),
        "alg": header.get("alg"),
        "enc": header.get("enc"),
        "kid": header.get("kid"),
    }


# --------------------------------------------------------------------------- decoding


@dataclass(slots=True)
class Report:
    """Everything ``inspect`` found out; rendered as text or as one JSON object."""

    located: Located | None = None
    format: dict[str, Any] | None = None
    secrets: list[SecretRef] = field(default_factory=list)
    secret: SecretRef | None = None
    salt: str | None = None
    salts_tried: list[str] = field(default_factory=list)
    decrypted: bool = False
    claims: dict[str, Any] | None = None
    times: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: CLIError | None = None

    @property
    def version(self) -> int | None:
        """4 or 5 as the header announces, else None."""
        return None if self.format is None else self.format["version"]

    @property
    def exit_code(self) -> int:
        """0 when the token is valid, else the error's code."""
        return 0 if self.error is None else self.error.exit_code


def salts_for(version: int | None, salt: str | None, cookie: str | None) -> list[str]:
    """The salts to try: --salt; for v5 the cookie's name, or both default names."""
    if salt is not None:
        return [salt]
    if version != 5:
        return [""]
    return [cookie] if cookie else list(_V5_SALTS)


def try_decrypt(token: str, secret: SecretRef, salt: str, version: int | None) -> dict[str, Any] | None:
    """The claims if ``secret`` and ``salt`` decrypt the token (times not checked), else None."""
    try:
        return jwt.decode(token, secret.value, salt=salt, version=version_of(version), leeway=_IGNORE_TIMES)
    except jwt.DecryptionError:
        return None


def version_of(version: int | None) -> jwt.Version | None:
    """``version`` narrowed to the codec's type."""
    return 4 if version == 4 else 5 if version == 5 else None


def decrypt(report: Report, token: str, salts: Sequence[str]) -> None:
    """Fill in the secret, salt and claims that decrypt the token, or raise why none does."""
    report.salts_tried = list(salts)
    for salt in salts:
        for secret in report.secrets:
            try:
                claims = try_decrypt(token, secret, salt, report.version)
            except jwt.InvalidClaimsError as exc:
                report.secret, report.salt, report.decrypted = secret, salt, True
                raise CLIError(
                    "invalid_claims",
                    f"decrypts, but {exc}",
                    "next-auth would reject it too; the token was written by something other than next-auth",
                ) from None
            if claims is not None:
                check_rotation(report, secret)
                report.secret, report.salt, report.claims, report.decrypted = secret, salt, claims, True
                return
    raise diagnose_failure(report, token)


def check_rotation(report: Report, secret: SecretRef) -> None:
    """Auth.js tries only the first secret on a v5 token without a kid: say so."""
    assert report.format is not None
    if report.version == 5 and report.format["kid"] is None and secret.index > 1:
        raise CLIError(
            "wrong_secret",
            f"only {secret} decrypts it, but a v5 token without a kid is tried with the first secret only "
            "(as Auth.js does), so the app rejects it",
            "put that secret first, or let the user sign in again to get a token with a kid",
        )


def diagnose_failure(report: Report, token: str) -> CLIError:
    """Why no secret decrypts the token: wrong salt, tampered (v5 kid matches), or wrong secret."""
    alternative = find_other_salt(report, token)
    if alternative is not None:
        return wrong_salt_error(report, *alternative)
    if report.version == 5 and report.format is not None and report.format["kid"] is not None:
        return kid_error(report)
    return wrong_secret_error(report)


def find_other_salt(report: Report, token: str) -> tuple[SecretRef, str] | None:
    """A (secret, salt) pair that decrypts the token with a salt that was not asked for."""
    others = [""] if report.version != 5 else list(_V5_SALTS)
    for salt in others:
        if salt in report.salts_tried:
            continue
        for secret in report.secrets:
            try:
                if try_decrypt(token, secret, salt, report.version) is not None:
                    return secret, salt
            except jwt.InvalidClaimsError:
                return secret, salt
    return None


def wrong_salt_error(report: Report, secret: SecretRef, salt: str) -> CLIError:
    """The token decrypts, but only with a salt other than the one the app would use."""
    tried = ", ".join(repr(s) for s in report.salts_tried)
    if report.version == 5:
        return CLIError(
            "wrong_salt",
            f"does not decrypt with salt {tried}, but does with {secret} and salt {salt!r}: "
            f"it was issued for the cookie {salt!r}",
            f"Auth.js salts the key with the session cookie's name: pass --salt {salt}, or check the cookie "
            "name (over https it is __Secure-authjs.session-token)",
        )
    return CLIError(
        "wrong_salt",
        f"does not decrypt with salt {tried}, but does with {secret} and no salt",
        "next-auth v4's getToken uses no salt; drop --salt",
    )


def kid_error(report: Report) -> CLIError:
    """For a v5 token with a kid: tampered if the kid matches a key, else wrong secret."""
    assert report.format is not None
    kid, enc = report.format["kid"], report.format["enc"]
    for salt in report.salts_tried:
        for secret in report.secrets:
            if jwt.key_id(jwt.derive_key(secret.value, salt=salt, version=5, enc=enc)) == kid:
                return CLIError(
                    "tampered",
                    f"the kid matches {secret} with salt {salt!r}, so the key is right, but the authentication "
                    "tag does not verify: the token was altered or truncated",
                    "copy the whole cookie value again (all chunks); if nobody edited it, something between the "
                    "browser and you changed it",
                )
    salts = " or ".join(repr(s) for s in report.salts_tried)
    return CLIError(
        "wrong_secret",
        f"the token's kid does not match {secrets_phrase(report)} with salt {salts}: "
        "it was encrypted with another secret",
        f"check that {secret_sources(report)} is the Next.js app's AUTH_SECRET, and that the salt is the "
        "session cookie's name (pass --salt NAME for a custom cookie name)",
    )


def wrong_secret_error(report: Report) -> CLIError:
    """No secret decrypts the token, and nothing tells why: wrong secret, wrong salt, or tampered."""
    count = len(report.secrets)
    tried = secrets_phrase(report)
    if report.version == 5:
        only_first = " (a v5 token without a kid is tried with the first secret only)" if count > 1 else ""
        return CLIError(
            "wrong_secret",
            f"does not decrypt with {tried}{only_first}: wrong secret, wrong salt, or tampered",
            "check that the secret is the Next.js app's AUTH_SECRET and that the salt is the session cookie's "
            "name (--salt); copy the whole cookie value again",
        )
    return CLIError(
        "wrong_secret",
        f"does not decrypt with {tried}: wrong secret, wrong salt, or tampered",
        "check NEXTAUTH_SECRET matches the Next.js app (the same value in both); copy the whole cookie value again",
    )


def secrets_phrase(report: Report) -> str:
    """``the secret (NEXTAUTH_SECRET)`` or ``any of the 3 secrets (--secret)``."""
    count = len(report.secrets)
    which = "the secret" if count == 1 else f"any of the {count} secrets"
    return f"{which} ({secret_sources(report)})"


def secret_sources(report: Report) -> str:
    """Where the secrets came from, e.g. ``--secret`` or ``NEXTAUTH_SECRET`` (never a value)."""
    return " / ".join(dict.fromkeys(secret.source for secret in report.secrets)) or "the secret"


def check_times(report: Report, token: str, now: float) -> None:
    """Let the codec judge exp and nbf (with next-auth's 15 s leeway) and explain a rejection."""
    assert report.secret is not None
    assert report.salt is not None
    try:
        jwt.decode(token, report.secret.value, salt=report.salt, version=version_of(report.version), now=now)
    except jwt.ExpiredTokenError:
        exp = report.times["exp"]
        raise CLIError(
            "expired",
            f"the token {exp['relative']} ({human_utc(exp['utc'])})",
            "the user must sign in again (next-auth renews the cookie on activity; a stale copy expires)",
        ) from None
    except jwt.NotYetValidError:
        nbf = report.times["nbf"]
        raise CLIError(
            "not_yet_valid",
            f"the token is not valid yet: it {nbf['relative']} ({human_utc(nbf['utc'])})",
            "check the clocks of the machine that issued it and of this one",
        ) from None


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


def time_facts(claims: Mapping[str, Any], now: float) -> dict[str, dict[str, Any]]:
    """iat, nbf and exp: the timestamp, the UTC time and the relative phrase."""
    facts: dict[str, dict[str, Any]] = {}
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        facts[name] = {"timestamp": value, "utc": utc_text(value), "relative": relative(name, value - now)}
    return facts


# --------------------------------------------------------------------------- inspect


def inspect_token(text: str, secrets_: list[SecretRef], salt: str | None, now: float) -> Report:
    """Analyse ``text`` (a token or a Cookie header) completely; failures go in ``report.error``."""
    report = Report(secrets=secrets_)
    try:
        run_inspection(report, text, salt, now)
    except CLIError as exc:
        report.error = exc
    return report


def run_inspection(report: Report, text: str, salt: str | None, now: float) -> None:
    """The steps of ``inspect``, in order; each may raise CLIError."""
    report.located = located = locate(text)
    report.notes.extend(located.notes)
    check_not_opaque(located)
    report.format = header_info(located.token)
    check_structure(located.token)
    note_cookie_mismatch(report)
    if not report.secrets:
        raise no_secret_error("decrypt")
    decrypt(report, located.token, salts_for(report.version, salt, located.cookie))
    assert report.claims is not None
    report.times = time_facts(report.claims, now)
    check_times(report, located.token, now)


def note_cookie_mismatch(report: Report) -> None:
    """Note a v5 token under a v4 cookie name (or the reverse): the app would not read it."""
    cookie = report.located.cookie if report.located else None
    if cookie is None or cookie not in _SESSION_COOKIES or report.version is None:
        return
    cookie_version = 4 if "next-auth." in cookie else 5
    if cookie_version != report.version:
        report.notes.append(
            f"a v{report.version} token in the v{cookie_version} cookie {cookie}: "
            f"next-auth v{cookie_version} will not read it"
        )


def report_json(report: Report) -> dict[str, Any]:
    """The ``inspect --json`` object."""
    located = report.located
    return {
        "ok": report.error is None,
        "input": located.origin if located else None,
        "cookie": located.cookie if located else None,
        "chunks": located.chunks if located else 0,
        "format": report.format,
        "decrypted": report.decrypted,
        "secret_index": report.secret.index if report.secret else None,
        "secret_count": len(report.secrets),
        "secret_source": report.secret.source if report.secret else None,
        "salt": report.salt,
        "claims": report.claims,
        "times": report.times,
        "notes": report.notes,
        "error": report.error.as_json() if report.error else None,
    }


def format_line(fmt: Mapping[str, Any]) -> str:
    """``Auth.js v5 (alg dir, enc A256CBC-HS512, kid ...)``."""
    names = {4: "next-auth v4", 5: "Auth.js v5"}
    name = names.get(fmt["version"], "not a next-auth format")
    details = ", ".join(f"{key} {fmt[key]}" for key in ("alg", "enc", "kid") if fmt[key] is not None)
    return f"{name} ({details})" if details else name


def source_line(located: Located) -> str:
    """Where the token came from."""
    if located.origin == "cookie":
        chunks = f" ({located.chunks} chunks joined)" if located.chunks else ""
        return f"cookie {located.cookie}{chunks}"
    return "an Authorization: Bearer header" if located.origin == "bearer" else "a bare token"


def report_lines(report: Report) -> list[str]:
    """The human-readable report (without usage errors, which go to stderr)."""
    lines: list[str] = []
    if report.located:
        lines.append(f"source:    {source_line(report.located)}")
    if report.format:
        lines.append(f"format:    {format_line(report.format)}")
    if report.decrypted and report.secret is not None:
        lines.append(f"decrypts:  yes, with {report.secret}, salt {report.salt!r}")
    elif report.secrets and report.error and report.error.kind in _DECRYPT_KINDS:
        lines.append("decrypts:  no")
    lines.extend(f"note:      {note}" for note in report.notes)
    lines.extend(time_lines(report.times))
    if report.claims is not None:
        lines.append("claims:")
        lines.extend("  " + line for line in json.dumps(report.claims, indent=2, ensure_ascii=False).splitlines())
    return lines


_DECRYPT_KINDS: Final = frozenset({"wrong_secret", "wrong_salt", "tampered"})


def time_lines(times: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per time claim: UTC time and relative phrase."""
    lines = []
    for name in _TIME_CLAIMS:
        if name in times:
            fact = times[name]
            lines.append(f"{name}:       {human_utc(fact['utc'])} ({fact['relative']})")
    return lines


_HEADLINES: Final = {"expired": "EXPIRED", "not_yet_valid": "NOT YET VALID"}


def verdict_lines(report: Report) -> list[str]:
    """``result: VALID``, or the rejection (``EXPIRED``, ``REJECTED (kind)``) and what to check next."""
    if report.error is None:
        return ["result:    VALID"]
    error = report.error
    headline = _HEADLINES.get(error.kind, f"REJECTED ({error.kind})")
    return [f"result:    {headline}: {error.message}", f"next:      {error.hint}"]


def cmd_inspect(args: argparse.Namespace) -> int:
    """``inspect``: report on a token or Cookie header; exit 0 valid, 1 rejected, 2 usage."""
    report = Report()
    try:
        report.secrets = resolve_secrets(args.secret)
        text = read_stdin() if args.input == "-" else args.input
    except CLIError as exc:
        report.error = exc
    else:
        report = inspect_token(text, report.secrets, args.salt, time.time())
    out, err = render_inspect(report, as_json=args.json)
    if out:
        emit(redact(out, report.secrets))
    if err:
        emit(redact(err, report.secrets), sys.stderr)
    return report.exit_code


def render_inspect(report: Report, *, as_json: bool) -> tuple[str, str]:
    """stdout and stderr of ``inspect``: the report, and usage errors (exit 2) apart in text mode."""
    if as_json:
        return json.dumps(report_json(report), indent=2, ensure_ascii=False), ""
    lines = report_lines(report)
    if report.error is not None and report.exit_code == 2:
        return "\n".join(lines), error_text("inspect", report.error)
    return "\n".join(lines + verdict_lines(report)), ""


# --------------------------------------------------------------------------- mint


def parse_claims(text: str) -> dict[str, Any]:
    """``--claims``: a JSON object (NaN and Infinity refused), else a usage error."""
    if text == "-":
        text = read_stdin()

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        claims = json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        position = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        example = """e.g. --claims '{"sub": "u1", "role": "admin"}'"""
        raise usage_error(f"--claims: not valid JSON: {detail}{position}", example) from None
    if not isinstance(claims, dict):
        raise usage_error(f"--claims: expected a JSON object, got a JSON {type(claims).__name__}")
    return claims


def mint_cookie(name: str, token: str, version: jwt.Version) -> str:
    """A ``Cookie`` header value: ``name=token``, or ``name.0=...; name.1=...`` when long."""
    return "; ".join(f"{w.name}={w.value}" for w in chunk_session_cookie(name, token, version=version))


def cmd_mint(args: argparse.Namespace) -> int:
    """``mint``: print a token, or a Cookie header value with --cookie."""
    found = resolve_secrets(args.secret)
    if not found:
        raise no_secret_error("encrypt")
    claims = parse_claims(args.claims)
    version: jwt.Version = 5 if args.v5 else 4
    name = session_cookie_name(version=version, secure=args.secure)
    salt = args.salt if args.salt is not None else ("" if version == 4 else name)
    try:
        token = jwt.encode(claims, found[0].value, salt=salt, max_age=args.max_age, version=version)
    except (UnicodeEncodeError, ValueError) as exc:
        raise usage_error(f"--claims: cannot encode these claims: {type(exc).__name__}") from None
    if len(token) > jwt.MAX_TOKEN_LENGTH:
        warning = f"the token is over {jwt.MAX_TOKEN_LENGTH} characters; decoders (ours included) refuse it"
        emit(f"{PROG} mint: warning: {warning}", sys.stderr)
    emit(mint_cookie(name, token, version) if args.cookie else token)
    return 0


# --------------------------------------------------------------------------- demo


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
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value:
            return value, name
    return secrets.token_urlsafe(32), None


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


# --------------------------------------------------------------------------- parser


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("expected a port number (1-65535)")
    return port


def add_inspect(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``inspect`` subcommand."""
    parser = commands.add_parser(
        "inspect",
        help="explain a session token or Cookie header: format, secret, claims, times, what is wrong",
        description="Explain a next-auth (v4) or Auth.js (v5) session token: its format, the cookie it came "
        "from, whether and with which secret it decrypts, its claims and times; for a rejected token, why "
        "and what to check next.",
        epilog=_SECRETS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input",
        metavar="TOKEN_OR_COOKIE_HEADER",
        help="a token, a Cookie header value ('Cookie: ' prefix optional; chunks are joined), or - for stdin",
    )
    parser.add_argument("--secret", action="append", metavar="S", help="a secret to try; repeat for rotation")
    parser.add_argument(
        "--salt",
        help="key salt (default: none for v4; for v5 the cookie's name, or both default names for a bare token)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_inspect)


def add_mint(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``mint`` subcommand."""
    parser = commands.add_parser(
        "mint",
        help="write a session token (or a Cookie header value) for tests and curl",
        description="Encrypt claims into a next-auth session token, exactly as next-auth (v4) or Auth.js (v5) "
        "would; iat, exp and jti are set. With --cookie, print a ready Cookie header value (chunked when long).",
        epilog=_SECRETS_HELP.replace("(repeatable, for rotation)", "(the first one encrypts)"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--claims", required=True, metavar="JSON", help="a JSON object, or - to read stdin")
    parser.add_argument(
        "--max-age",
        type=int,
        default=jwt.DEFAULT_MAX_AGE,
        metavar="S",
        help="seconds until exp (default: 30 days; negative: already expired)",
    )
    parser.add_argument("--v5", action="store_true", help="Auth.js v5 format (default: next-auth v4)")
    parser.add_argument("--salt", help="key salt (default: none for v4, the cookie's name for v5)")
    parser.add_argument("--cookie", action="store_true", help="print a Cookie header value: name=value")
    parser.add_argument("--secure", action="store_true", help="the __Secure- cookie name (https)")
    parser.add_argument("--secret", action="append", metavar="S", help="the secret to encrypt with")
    parser.set_defaults(handler=cmd_mint)


def add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    """The ``asgi-withauth`` argument parser."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and mint next-auth (v4) / Auth.js (v5) session tokens; run the demo.",
        epilog=_SECRETS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_inspect(commands)
    add_mint(commands)
    add_demo(commands)
    return parser


def exit_status(code: object) -> int:
    """The int behind ``SystemExit.code`` (argparse: 0 for --help, 2 for usage errors)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 token rejected, 2 usage error)."""
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
