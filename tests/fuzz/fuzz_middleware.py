"""Fuzz the whole ``WithAuth`` middleware on arbitrary request targets and headers.

Five configurations, built once, each in front of a recording inner app: rules with a public
carve-out (``/admin/public/:path*``), a ``has`` condition (``/beta/:path*`` when ``x-beta: on``)
and a ``missing`` one (``/reports/:path*`` unless ``?preview=``), matchers ``/admin/:path*``,
``/api/:v/users``, ``/dash(.*)``, ``/ws/:path*``; denials by redirect, status, a sign-in page on
another origin, an app of our own; a role check; every path protected; case-sensitive and not;
path policies that redirect, reject, allow ``%2F`` and ``;``; cross-site write protection on
(with a trusted origin and next-auth's double-submit token in one) and off.

Requests: http and websocket, any method, any ``raw_path``, ``path`` (derived from it, or
disagreeing), ``root_path``, query string, ``Host``, ``Origin``, ``Sec-Fetch-Site``, a session
token (valid with either role, expired, wrong secret, tampered, garbage) as a cookie, a chunked
cookie or a Bearer token, any other header lines, and a body.

Oracle (:func:`check`): no exception escapes; the inner app ran, or WithAuth sent a complete
response (a websocket: a close, or an HTTP denial where the server offers one); never a 5xx;
every ``Location`` stays on the request's origin (or the sign-in page's), and its
``callbackUrl`` is a same-origin path; the inner app gets the request body as sent. If the inner
app ran for a path that :mod:`tests.fuzz.canon` (not WithAuth's code) routes to a protected
area, the request carried a valid session (with the admin role where the rule asks for it),
and the token the app got is one the harness minted; with cross-site protection on, an unsafe
request (or a websocket handshake) carrying the session cookie from a foreign ``Origin`` never
reached it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

if __name__ == "__main__":  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from starlette.requests import cookie_parser

from tests.fuzz.canon import route_candidates, under
from tests.fuzz.common import Crash, fuzz_main, instrumented

with instrumented(__name__ == "__main__"):
    from tests.fuzz.middleware_cases import (
        VALID,
        VALID_CLAIMS,
        VALID_TAGS,
        Config,
        Outcome,
        Request,
        request_from,
        run,
    )

__all__ = ["check", "judge"]


def _header_values(scope: dict[str, Any], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope["headers"] if k == name]


def _check_complete(request: Request, outcome: Outcome) -> None:
    """The inner app ran, or WithAuth sent a whole response (or refused the websocket)."""
    sent, websocket = outcome.sent, request.scope["type"] == "websocket"
    if outcome.inner:
        return
    if not sent:
        raise Crash("nothing was sent and the inner app did not run")
    kinds = [m["type"] for m in sent]
    if websocket:
        if kinds == ["websocket.close"]:
            return
        if kinds[0] == "websocket.http.response.start" and "extensions" not in request.scope:
            raise Crash("a websocket denial as an HTTP response, but the server does not offer that extension")
        if kinds[0] != "websocket.http.response.start":
            raise Crash(f"a websocket refused with {kinds}")
    elif kinds[0] != "http.response.start":
        raise Crash(f"a response that starts with {kinds[0]}")
    last = sent[-1]
    if not last["type"].endswith(".body") or last.get("more_body", False):
        raise Crash(f"an incomplete response: {kinds}")


def _allowed_hosts(config: Config, scope: dict[str, Any]) -> set[str]:
    hosts = {"localhost", "app.test", *config.sign_in_hosts}
    for value in _header_values(scope, b"host") + _header_values(scope, b"x-forwarded-host"):
        for item in value.split(","):
            try:
                hosts.add(urlsplit("http://" + item.strip()).hostname or "")
            except ValueError:  # not a host: WithAuth falls back to the server's
                continue
    return {h.lower() for h in hosts}


def _same_origin_path(value: str) -> bool:
    """An absolute path on the page's own origin, as a browser's URL parser reads it."""
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    return value.startswith("/") and value[1:2] not in ("/", "\\")


def _same_origin_reference(value: str) -> bool:
    """A relative reference (a path, absolute or not) that stays on the page's origin."""
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    if value.startswith(("//", "/\\", "\\")):
        return False  # a network-path reference: another host
    return ":" not in value.partition("/")[0]  # no scheme


def _check_redirect(config: Config, request: Request, sent: list[dict[str, Any]]) -> None:
    start = sent[0] if sent else {}
    for key, value in start.get("headers") or ():
        if key.lower() != b"location":
            continue
        location = value.decode("latin-1")
        before_query = location.partition("?")[0].partition("#")[0]
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in location) or "\\" in before_query:
            raise Crash(f"Location with control characters, spaces or a backslash in its path: {location!r}")
        try:
            parts = urlsplit(location)
        except ValueError:
            raise Crash(f"a Location no URL parser reads: {location!r}") from None
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("http", "https") or "@" in parts.netloc:
                raise Crash(f"Location to another scheme or with user info: {location!r}")
            if (parts.hostname or "") not in _allowed_hosts(config, request.scope):
                raise Crash(f"Location on a foreign origin: {location!r}")
        elif not _same_origin_reference(location):
            raise Crash(f"a relative Location that leaves the origin: {location!r}")
        for callback in parse_qs(parts.query).get("callbackUrl", []):
            if not _same_origin_path(callback):
                raise Crash(f"callbackUrl is not a same-origin path: {callback!r} in {location!r}")


def _check_status(sent: list[dict[str, Any]]) -> None:
    for message in sent:
        if message["type"].endswith("response.start") and not 100 <= int(message["status"]) < 500:
            raise Crash(f"status {message['status']}")


def _protecting(config: Config, path: str, scope: dict[str, Any]) -> str | None:
    """Which protected area ``path`` is in for certain ("any", "admin-role"), or None
    (unprotected, or not certain: public, next-auth's own paths, conditions in doubt)."""
    forms = {path} if config.case_sensitive else {path, path.lower()}
    root = str(scope.get("root_path") or "").rstrip("/")
    for form in forms | {root + f for f in forms}:
        low = form.lower()
        if any(under(low, p) for p in ("/api/auth", "/_next", "/favicon.ico")):
            return None  # next-auth's own paths and Next's assets: let through by design
    if config.every_path:
        if any(f in ("/login", "/login/") for f in forms):
            return None
        return "admin-role" if any(under(f, "/admin") for f in forms) else "any"
    if any(under(f, "/admin/public") for f in forms | {path.lower()}):
        return None
    for form in forms:
        segments = form.split("/")
        if under(form, "/admin") or form.startswith("/dash") or under(form, "/ws"):
            return "any"
        if segments[:2] == ["", "api"] and segments[3:] in (["users"], ["users", ""]) and segments[2]:
            return "any"
        if under(form, "/beta") and _header_values(scope, b"x-beta") == ["on"]:
            return "any"
        query = scope["query_string"]
        if under(form, "/reports") and b"preview" not in query.lower() and b"%" not in query:
            return "any"
    return None


def _valid_session(request: Request) -> set[str]:
    """The roles of the valid sessions the request carries ("admin", "user")."""
    roles = set()
    if request.placed and request.token in VALID:
        roles.add("admin" if request.token == "admin" else "user")
    blob = b"\n".join(v for _, v in request.scope["headers"])
    for name, tag in VALID_TAGS.items():
        if tag in blob:
            roles.add("admin" if name == "admin" else "user")
    return roles


def _carries_session_cookie(request: Request) -> bool:
    """Whether the harness put a session cookie on the request where the app reads it, for
    certain (one Cookie header, the name the scheme uses, no other cookie headers to confuse)."""
    if request.placed not in ("cookie", "chunked"):
        return False
    secure = request.scope["scheme"] in ("https", "wss")
    if secure != request.cookie_name.startswith("__Secure-"):
        return False
    cookies = _header_values(request.scope, b"cookie")
    return len(cookies) == 1 and request.cookie_name in "".join(cookie_parser(cookies[0]))


def _foreign_write(config: Config, request: Request) -> bool:
    """Whether cross-site protection must refuse the request, for certain."""
    scope = request.scope
    writes = scope["type"] == "websocket" or scope.get("method") not in ("GET", "HEAD", "OPTIONS")
    if not (config.cross_site and writes and _carries_session_cookie(request)):
        return False
    origins, sites = _header_values(scope, b"origin"), _header_values(scope, b"sec-fetch-site")
    if (
        origins != ["https://evil.example"]
        or len(sites) > 1
        or "evil.example" in ",".join(_header_values(scope, b"host"))
    ):
        return False
    return not sites or sites[0] in ("same-site", "cross-site")


def _check_reached(config: Config, request: Request, outcome: Outcome) -> None:
    """What the inner app may see (see the module docstring)."""
    for call in outcome.inner:
        seen = call["scope"]
        token = (seen.get("nextauth") or {}).get("token")
        if token is not None and {k: v for k, v in token.items() if k not in ("iat", "exp", "jti")} not in VALID_CLAIMS:
            raise Crash(f"the inner app got a token the harness never minted: {token!r}")
        if seen["type"] == "http" and call["body"] != b"".join(request.body):
            raise Crash(f"the inner app got the body {call['body']!r}, not {b''.join(request.body)!r}")
        if _foreign_write(config, request):
            raise Crash("a write with the session cookie from a foreign Origin reached the inner app")
        if config.preflight and seen.get("method") == "OPTIONS":
            continue  # allow_preflight lets CORS preflights through by design
        roles = _valid_session(request)
        for path in route_candidates(seen, semicolons=not config.semicolons):
            area = _protecting(config, path, seen)
            if area == "any" and not roles:
                raise Crash(f"the inner app ran for protected {path!r} without a valid session")
            if area == "admin-role" and "admin" not in roles:
                raise Crash(f"the inner app ran for admin-only {path!r} without an admin session")


def judge(config: Config, request: Request) -> None:
    """Run ``request`` through ``config`` and check the outcome (raises :class:`Crash`)."""
    outcome = run(config, request)
    _check_complete(request, outcome)
    _check_status(outcome.sent)
    _check_redirect(config, request, outcome.sent)
    _check_reached(config, request, outcome)


def check(data: bytes) -> None:
    """The oracle for one input (see the module docstring)."""
    judge(*request_from(data))


if __name__ == "__main__":
    fuzz_main(check)
