"""Rows of the bypass table about credentials: positive controls, cookie and token tricks,
CORS preflights (``allow_preflight`` is off in the matrix), websockets.

A session is read from next-auth's cookie (``next-auth.session-token``, or Auth.js's
``authjs.session-token``, chunked or not; the first of repeated names wins, as in the
``cookie`` package), else from ``Authorization: Bearer``; a cookie that is there but bad never
falls back to the Bearer token.
"""

from __future__ import annotations

from typing import Any, Final

from tests.bypass.credentials import BEARER, CHUNKED, SESSION, SESSION_V5, TRICKS, VALID
from tests.bypass.model import (
    EVERY_SERVER,
    FORBIDDEN,
    NONE,
    UNAUTHORIZED,
    Case,
    Credential,
    Expect,
    allowed,
    canonical,
    sign_in,
)
from tests.bypass.table_paths import ADMIN, BAD
from tests.bypass.table_requests import PREFLIGHT

ADMIN_PAGE: Final = allowed("admin")
WS_ADMIN: Final = allowed("ws-admin", websocket=True)


def control(id: str, method: str, target: str, credentials: Credential, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "positive control", method, target, expect, why, credentials=credentials, **more)


def trick(id: str, expect: Expect, why: str, **more: Any) -> Case:
    """GET ``/admin`` (or ``target``) with ``TRICKS[id]``."""
    target = more.pop("target", "/admin")
    return Case(id, "cookie and token", "GET", target, expect, why, credentials=TRICKS[id], **more)


def preflight(
    id: str, target: str, headers: tuple[tuple[str, str], ...], expect: Expect, why: str, **more: Any
) -> Case:
    return Case(id, "CORS preflight", more.pop("method", "OPTIONS"), target, expect, why, headers=headers, **more)


def socket(id: str, target: str, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "websocket", "GET", target, expect, why, websocket=True, **more)


CONTROL_CASES: Final = [
    control(
        "control-public",
        "GET",
        "/users",
        NONE,
        allowed("users", public=True),
        "public routes answer without a session",
    ),
    control("control-denied", "GET", "/admin", NONE, ADMIN, "WithAuth, not the router, denies"),
    control(
        "control-denied-query",
        "GET",
        "/admin/x/secret?tab=1",
        NONE,
        sign_in("/admin/x/secret?tab=1"),
        "the callbackUrl keeps the path and the query",
    ),
    control("control-denied-api", "GET", "/api/v1/users", NONE, UNAUTHORIZED, "the API rule: 401"),
    control("control-session", "GET", "/admin", SESSION, ADMIN_PAGE, "a valid session cookie reaches the handler"),
    control(
        "control-session-section",
        "GET",
        "/admin/x/secret",
        SESSION,
        allowed("admin-secret"),
        "every protected route is reachable with a session",
    ),
    control("control-bearer", "GET", "/api/v1/users", BEARER, allowed("api-users"), "a valid Bearer token"),
    control("control-v5", "GET", "/admin", SESSION_V5, ADMIN_PAGE, "an Auth.js v5 session cookie"),
    control("control-chunked", "GET", "/admin", CHUNKED, ADMIN_PAGE, "a session split in chunks .0 and .1"),
    control(
        "control-encoded-session",
        "GET",
        "/%61dmin",
        SESSION,
        ADMIN_PAGE,
        "an encoded letter reaches the same handler it is decided for",
    ),
    control(
        "control-put-session",
        "PUT",
        "/admin",
        SESSION,
        ADMIN_PAGE,
        "a write with a session and no Origin (a non-browser client)",
        body=b"a=1",
    ),
    control("control-websocket", "GET", "/ws/admin", SESSION, WS_ADMIN, "a websocket with a session", websocket=True),
    control(
        "control-dots-session",
        "GET",
        "/x/../admin",
        SESSION,
        canonical("/admin", then=ADMIN_PAGE),
        "a fixable path is redirected with a session too, then served",
    ),
]


TOKEN_CASES: Final = [
    trick("tampered", ADMIN, "one changed ciphertext character breaks the tag"),
    trick("other-secret", ADMIN, "sealed with another secret"),
    trick("expired", ADMIN, "expired a day ago (the leeway is 15 s)"),
    trick("alg-none-sealed", ADMIN, "right key, but 'alg: none' in the header: only dir is accepted"),
    trick("alg-none-jws", ADMIN, "an unsigned JWS is no JWE"),
    trick("alg-none-plain", ADMIN, "claims in clear where the ciphertext goes, no tag"),
    trick("wrong-salt-v5", ADMIN, "Auth.js derives the key with the cookie name as salt; another salt fails"),
    trick("v5-as-v4", ADMIN, "each cookie name is read in its own format: a v5 token under the v4 name fails"),
    trick("chunk-gap", ADMIN, "chunks .0 and .2: a gap, the session is broken"),
    trick("chunk-no-zero", ADMIN, "chunks without .0"),
    trick("chunk-padded-index", ADMIN, "'.00' and '.01' are not chunk names"),
    trick("half-token", ADMIN, "half a token under .0"),
    trick("good-then-bad", ADMIN_PAGE, "the first of repeated names wins, as in the cookie package (good first)"),
    trick("bad-then-good", ADMIN, "the first of repeated names wins: a bad one first denies"),
    trick("two-cookie-headers", ADMIN, "two Cookie headers are joined in order: the bad one is first"),
    trick("name-suffix", ADMIN, "next-auth's startsWith would take this name; the exact name is required"),
    trick("name-case", ADMIN, "cookie names are case-sensitive"),
    trick("host-prefix", ADMIN, "__Host- is not a session cookie name"),
    trick(
        "secure-prefix",
        ADMIN_PAGE,
        "__Secure- names are read over plain http too (behind a TLS proxy); only https can set them",
    ),
    trick("quoted", ADMIN_PAGE, "a quoted value is unquoted, as the cookie package does: still the valid token"),
    trick("cookie2", ADMIN, "Cookie2 is not Cookie"),
    Case(
        "query-token",
        "cookie and token",
        "GET",
        f"/admin?token={VALID}",
        sign_in(f"/admin?token={VALID}"),
        "a token in the query string is not a credential",
    ),
    Case(
        "query-cookie-name",
        "cookie and token",
        "GET",
        f"/admin?next-auth.session-token={VALID}",
        sign_in(f"/admin?next-auth.session-token={VALID}"),
        "nor under the cookie's name",
    ),
    trick("bearer-cookie-format", ADMIN, "'Bearer name=token' is not a token"),
    trick("bearer-lowercase", ADMIN, "the scheme is 'Bearer', as next-auth's getToken compares it"),
    trick("bearer-two-spaces", ADMIN, "two spaces: not 'Bearer <token>'"),
    trick("bearer-other-secret", UNAUTHORIZED, "a Bearer token of another secret, on the API", target="/api/v1/users"),
    trick("basic", ADMIN, "Basic credentials are not a session"),
    trick("bad-then-good-authorization", ADMIN, "the first Authorization header counts"),
    trick("bad-cookie-good-bearer", ADMIN, "a bad session cookie never falls back to the Bearer token"),
    trick("empty-cookie-good-bearer", ADMIN_PAGE, "an empty cookie is no cookie: the Bearer token counts"),
    trick(
        "huge-cookie",
        ADMIN,
        "60 KB of cookies, in one read: every server takes it, and it is denied",
        servers=EVERY_SERVER,
    ),
    trick("huge-cookie-session", ADMIN_PAGE, "12 KB of other cookies before a valid session"),
]


PREFLIGHT_CASES: Final = [
    preflight("preflight", "/admin", PREFLIGHT, ADMIN, "with allow_preflight off a preflight is denied like a GET"),
    preflight("preflight-api", "/api/v1/users", PREFLIGHT, UNAUTHORIZED, "on the API"),
    preflight(
        "options-origin-only",
        "/admin",
        PREFLIGHT[:1],
        ADMIN,
        "OPTIONS without Access-Control-Request-Method is not a preflight",
    ),
    preflight("options-method-only", "/admin", PREFLIGHT[1:], ADMIN, "OPTIONS without Origin"),
    preflight(
        "preflight-headers",
        "/admin/x",
        (
            PREFLIGHT[0],
            ("Access-Control-Request-Method", "DELETE"),
            ("Access-Control-Request-Headers", "authorization"),
        ),
        sign_in("/admin/x"),
        "asking for Authorization and DELETE",
    ),
    preflight(
        "preflight-websocket-path",
        "/ws/admin",
        PREFLIGHT,
        sign_in("/ws/admin"),
        "a preflight to a websocket path is an HTTP request, denied",
    ),
    preflight("preflight-encoded", "/%61dmin", PREFLIGHT, sign_in("/%61dmin"), "an encoded path"),
    preflight(
        "preflight-dots",
        "/x/../admin",
        PREFLIGHT,
        canonical("/admin", then=ADMIN),
        "a fixable path: redirected, then denied",
    ),
    preflight(
        "preflight-lowercase",
        "/admin",
        PREFLIGHT,
        ADMIN,
        "'options' is not OPTIONS, so not a preflight: httptools refuses it; h11 passes it on, and it is denied",
        method="options",
        servers=EVERY_SERVER,
        vary=(("uvicorn-httptools", BAD),),
    ),
    preflight(
        "options-session",
        "/admin",
        (),
        ADMIN_PAGE,
        "an OPTIONS with a session reaches the handler",
        credentials=SESSION,
    ),
]


SOCKET_CASES: Final = [
    socket(
        "websocket",
        "/ws/admin",
        FORBIDDEN,
        "a handshake without a session is refused before accept",
        servers=EVERY_SERVER,
    ),
    socket("websocket-room", "/ws/r/admin", FORBIDDEN, "a route with a parameter"),
    socket("websocket-encoded", "/ws/%61dmin", FORBIDDEN, "an encoded letter"),
    socket("websocket-case", "/WS/ADMIN", FORBIDDEN, "upper case"),
    socket("websocket-dots", "/ws/x/../admin", BAD, "a handshake cannot follow a redirect: a fixable path is 400"),
    socket("websocket-double-slash", "//ws/admin", BAD, "'//' likewise"),
    socket("websocket-encoded-slash", "/ws%2fadmin", BAD, "'%2F' likewise"),
    socket("websocket-params", "/ws/admin;x", BAD, "';' is refused"),
    socket("websocket-tampered", "/ws/admin", FORBIDDEN, "a tampered session", credentials=TRICKS["tampered"]),
    socket("websocket-query-token", f"/ws/admin?token={VALID}", FORBIDDEN, "a token in the query"),
    socket(
        "websocket-subprotocol",
        "/ws/admin",
        FORBIDDEN,
        "a token as a subprotocol is not read",
        credentials=TRICKS["websocket-protocol"],
    ),
    socket(
        "websocket-bearer",
        "/ws/admin",
        WS_ADMIN,
        "a Bearer token on a handshake (non-browser clients)",
        credentials=BEARER,
    ),
    socket(
        "websocket-session-h11",
        "/ws/r/admin",
        allowed("ws-room", websocket=True),
        "a session on every server's websocket implementation",
        credentials=SESSION,
        servers=EVERY_SERVER,
    ),
]
