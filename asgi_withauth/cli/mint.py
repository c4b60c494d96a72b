"""``asgi-withauth mint``: write a session token, or a ready ``Cookie`` header value, for tests
and curl."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .. import jwt
from .._request.cookies import chunk_session_cookie, default_salt, session_cookie_name
from .output import PROG, SECRETS_HELP, emit, exit_codes_help, usage_error
from .sources import no_secret_error, read_stdin, resolve_secrets

__all__ = ["add_parser", "cmd_mint", "parse_claims"]


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
    salt = args.salt if args.salt is not None else default_salt(version, name)
    try:
        token = jwt.encode(claims, found[0].value, salt=salt, max_age=args.max_age, version=version)
    except (UnicodeEncodeError, ValueError) as exc:
        raise usage_error(f"--claims: cannot encode these claims: {type(exc).__name__}") from None
    if len(token) > jwt.MAX_TOKEN_LENGTH:
        warning = f"the token is over {jwt.MAX_TOKEN_LENGTH} characters; decoders (ours included) refuse it"
        emit(f"{PROG} mint: warning: {warning}", sys.stderr)
    emit(mint_cookie(name, token, version) if args.cookie else token)
    return 0


EXIT_CODES = exit_codes_help(
    "0 the token (or the Cookie header value) was printed",
    "2 usage error: no secret, --claims not a JSON object, claims that cannot be encoded",
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``mint`` subcommand."""
    parser = commands.add_parser(
        "mint",
        help="write a session token (or a Cookie header value) for tests and curl",
        description="Encrypt claims into a next-auth session token, exactly as next-auth (v4) or Auth.js (v5) "
        "would; iat, exp and jti are set. With --cookie, print a ready Cookie header value (chunked when long).",
        epilog=SECRETS_HELP.replace("(repeatable, for rotation)", "(the first one encrypts)") + "\n" + EXIT_CODES,
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
