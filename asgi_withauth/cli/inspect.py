"""``asgi-withauth inspect``: explain a session token or a Cookie header.

The steps, in order: find the token (:mod:`.locate`), tell what is no next-auth token at all,
run the codec's checks that need no key (:func:`jwt.read_header`), decrypt with each secret
and salt (:meth:`jwt.TokenCodec.decrypt`), and judge the times (:func:`jwt.check_claims`).
When nothing decrypts, the other salts and the ``kid`` tell a wrong salt from a wrong secret
from a tampered token.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any, Final

from .. import jwt
from .._request.cookies import cookie_name_version, default_salt, session_cookie_name
from ..errors import CLIError
from .locate import check_not_opaque, header_info, locate, truncated_error, truncation
from .output import SECRETS_HELP, emit, exit_codes_help, human_utc, redact
from .report import Report, render_inspect, time_facts
from .sources import SecretRef, no_secret_error, read_stdin, resolve_secrets

__all__ = ["add_parser", "cmd_inspect", "inspect_token"]

_V5_SALTS: Final = tuple(default_salt(5, session_cookie_name(version=5, secure=s)) for s in (False, True))


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
    verdict = decrypt(report, located.token, salts_for(report.version, salt, located.cookie), now)
    assert report.claims is not None
    report.times = time_facts(report.claims, now)
    if verdict is not None:
        raise time_error(report, verdict)


def check_structure(token: str) -> None:
    """Raise the codec's own structural errors (malformed, too large, unsupported algorithm),
    or say the token looks truncated when that explains it."""
    try:
        jwt.read_header(token)
    except jwt.JWTError as exc:
        cut = truncation(token) if isinstance(exc, jwt.MalformedTokenError) else None
        raise (structural_error(exc) if cut is None else truncated_error(cut)) from None


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


def note_cookie_mismatch(report: Report) -> None:
    """Note a v5 token under a v4 cookie name (or the reverse): the app would not read it."""
    cookie = report.located.cookie if report.located else None
    cookie_version = None if cookie is None else cookie_name_version(cookie)
    if cookie_version is None or report.version is None:
        return
    if cookie_version != report.version:
        report.notes.append(
            f"a v{report.version} token in the v{cookie_version} cookie {cookie}: "
            f"next-auth v{cookie_version} will not read it"
        )


# --------------------------------------------------------------------------- decrypting


def salts_for(version: int | None, salt: str | None, cookie: str | None) -> list[str]:
    """The salts to try: --salt; for v5 the cookie's name, or both default names."""
    if salt is not None:
        return [salt]
    if version != 5:
        return [default_salt(4, cookie or "")]
    return [default_salt(5, cookie)] if cookie else list(_V5_SALTS)


def version_of(version: int | None) -> jwt.Version | None:
    """``version`` narrowed to the codec's type."""
    return 4 if version == 4 else 5 if version == 5 else None


def try_decrypt(token: str, secret: SecretRef, salt: str, version: int | None) -> dict[str, Any] | None:
    """The claims if ``secret`` and ``salt`` decrypt the token (times not judged), else None."""
    try:
        return jwt.TokenCodec(secret.value, salt=salt, version=version_of(version)).decrypt(token)
    except jwt.DecryptionError:
        return None


def time_verdict(claims: dict[str, Any], now: float) -> jwt.InvalidClaimsError | None:
    """What :func:`jwt.check_claims` says of the times: None (valid), or the expiry error to
    report once the times are shown. Other claim errors (a time that is not a number) raise."""
    try:
        jwt.check_claims(claims, now=now)
    except (jwt.ExpiredTokenError, jwt.NotYetValidError) as exc:
        return exc
    return None


def decrypt(report: Report, token: str, salts: Sequence[str], now: float) -> jwt.InvalidClaimsError | None:
    """Fill in the secret, salt and claims that decrypt the token, or raise why none does;
    return the verdict on its times (see :func:`time_verdict`)."""
    report.salts_tried = list(salts)
    for salt in salts:
        for secret in report.secrets:
            try:
                claims = try_decrypt(token, secret, salt, report.version)
                verdict = None if claims is None else time_verdict(claims, now)
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
                return verdict
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


def time_error(report: Report, verdict: jwt.InvalidClaimsError) -> CLIError:
    """The rejection of a token that decrypts but has expired or is not valid yet."""
    if isinstance(verdict, jwt.ExpiredTokenError):
        exp = report.times["exp"]
        return CLIError(
            "expired",
            f"the token {exp['relative']} ({human_utc(exp['utc'])})",
            "the user must sign in again (next-auth renews the cookie on activity; a stale copy expires)",
        )
    nbf = report.times["nbf"]
    return CLIError(
        "not_yet_valid",
        f"the token is not valid yet: it {nbf['relative']} ({human_utc(nbf['utc'])})",
        "check the clocks of the machine that issued it and of this one",
    )


# --------------------------------------------------------------------------- why it does not decrypt


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
    others = [default_salt(4, "")] if report.version != 5 else list(_V5_SALTS)
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
            f"check that {secret_sources(report)} is the Next.js app's AUTH_SECRET and that the salt is the "
            "session cookie's name (--salt); copy the whole cookie value again",
        )
    return CLIError(
        "wrong_secret",
        f"does not decrypt with {tried}: wrong secret, wrong salt, or tampered",
        f"check that {secret_sources(report)} is the Next.js app's NEXTAUTH_SECRET (the same value in both); "
        "copy the whole cookie value again",
    )


def secrets_phrase(report: Report) -> str:
    """``the secret (NEXTAUTH_SECRET)`` or ``any of the 3 secrets (--secret)``."""
    count = len(report.secrets)
    which = "the secret" if count == 1 else f"any of the {count} secrets"
    return f"{which} ({secret_sources(report)})"


def secret_sources(report: Report) -> str:
    """Where the secrets came from, e.g. ``--secret`` or ``NEXTAUTH_SECRET`` (never a value)."""
    return " / ".join(dict.fromkeys(secret.source for secret in report.secrets)) or "the secret"


# --------------------------------------------------------------------------- the command


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
    values = [secret.value for secret in report.secrets]
    if out:
        emit(redact(out, values))
    if err:
        emit(redact(err, values), sys.stderr)
    return report.exit_code


EXIT_CODES = exit_codes_help(
    "0 the token is valid",
    "1 the token was rejected (or cannot be decoded): the report says why and what to check next",
    "2 usage error: no secret, empty or unreadable input",
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``inspect`` subcommand."""
    parser = commands.add_parser(
        "inspect",
        help="explain a session token or Cookie header: format, secret, claims, times, what is wrong",
        description="Explain a next-auth (v4) or Auth.js (v5) session token: its format, the cookie it came "
        "from, whether and with which secret it decrypts, its claims and times; for a rejected token, why "
        "and what to check next.",
        epilog=SECRETS_HELP + "\n" + EXIT_CODES,
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
