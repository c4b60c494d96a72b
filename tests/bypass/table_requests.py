"""Rows of the bypass table about the rest of the request: target forms, Next.js's internal
headers, forwarded headers without trust, Host games, methods and HTTP versions.

Most of these depend on how the server parses the request line and headers, so they run on
uvicorn (httptools and h11) and hypercorn, each with its exact answer.
"""

from __future__ import annotations

from typing import Any, Final

from tests.bypass.model import (
    EVERY_SERVER,
    FORBIDDEN,
    UNAUTHORIZED,
    Case,
    Expect,
    allowed,
    sign_in,
)
from tests.bypass.table_paths import ADMIN, BAD, TO_ADMIN

EVIL: Final = "evil.example"
PREFLIGHT: Final = (("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET"))


def target(id: str, method: str, target: str, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "target form", method, target, expect, why, servers=EVERY_SERVER, **more)


def subrequest(id: str, target: str, header: str, expect: Expect, why: str, **more: Any) -> Case:
    headers = (("x-middleware-subrequest", header), *more.pop("headers", ()))
    return Case(id, "x-middleware-subrequest", "GET", target, expect, why, headers=headers, **more)


def forwarded(
    id: str, target: str, headers: tuple[tuple[str, str], ...], expect: Expect, why: str, **more: Any
) -> Case:
    return Case(id, "forwarded headers", "GET", target, expect, why, headers=headers, servers=EVERY_SERVER, **more)


UVICORN_HTTPS: Final = (
    ("uvicorn-httptools", sign_in("/admin", origin="https://{host}")),
    ("uvicorn-h11", sign_in("/admin", origin="https://{host}")),
)
"""uvicorn itself trusts ``X-Forwarded-Proto`` from 127.0.0.1 (``--forwarded-allow-ips``'
default) and sets the scope's scheme: the redirect keeps the host and port, on https."""


def host(id: str, hosts: tuple[str, ...], expect: Expect, why: str, **more: Any) -> Case:
    return Case(
        id, "Host header", "GET", more.pop("target", "/admin"), expect, why, host=hosts, servers=EVERY_SERVER, **more
    )


def method(id: str, verb: str, target: str, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "method", verb, target, expect, why, **more)


def absolute(id: str, target: str, httptools: Expect, why: str, **more: Any) -> Case:
    """An absolute-form target: uvicorn-h11 and hypercorn pass the URL on as the path, which
    WithAuth refuses (400); httptools keeps only its path, on which WithAuth decides (``httptools``)."""
    return Case(
        id,
        "target form",
        "GET",
        target,
        BAD,
        why,
        servers=EVERY_SERVER,
        vary=(("uvicorn-httptools", httptools),),
        **more,
    )


TARGET_CASES: Final = [
    absolute(
        "absolute-form",
        f"http://{EVIL}/admin",
        ADMIN,
        "refused where the URL is the path; httptools routes /admin: denied, the redirect on the Host's origin",
    ),
    absolute("absolute-form-own-host", "http://{host}/admin", ADMIN, "the server's own authority: the same"),
    absolute(
        "absolute-form-evil-host",
        f"http://{EVIL}/admin",
        sign_in("/admin", origin=f"http://{EVIL}"),
        "Host and target both evil.example: the redirect follows the Host, as next-auth's does",
        host=(EVIL,),
    ),
    absolute("absolute-form-https-api", f"https://{EVIL}/api/v1/users", UNAUTHORIZED, "https, on the API"),
    absolute("absolute-form-double-slash", f"http://{EVIL}//admin", TO_ADMIN, "a URL whose path is '//admin'"),
    absolute("absolute-form-userinfo", f"http://a@{EVIL}/admin", ADMIN, "userinfo in the URL"),
    absolute("absolute-form-no-path", f"http://{EVIL}", BAD, "no path at all: httptools refuses it itself"),
    absolute(
        "absolute-form-websocket",
        f"http://{EVIL}/ws/admin",
        BAD,
        "a handshake: uvicorn's websocket implementations pass the URL as the path too",
        websocket=True,
    ),
    target("asterisk-options", "OPTIONS", "*", BAD, "'OPTIONS *' asks about the server, not a path: refused"),
    target("asterisk-preflight", "OPTIONS", "*", BAD, "a preflight to '*' likewise", headers=PREFLIGHT),
    target("asterisk-get", "GET", "*", BAD, "'*' with any other method is refused"),
    target("asterisk-path", "GET", "*/admin", BAD, "'*' in front of a path is no path"),
]


SUBREQUEST_CASES: Final = [
    subrequest(
        "subrequest-middleware",
        "/admin",
        "middleware",
        ADMIN,
        "CVE-2025-29927: Next.js skipped its middleware for this header; WithAuth reads no such header",
    ),
    subrequest(
        "subrequest-src-5",
        "/admin",
        ":".join(["src/middleware"] * 5),
        ADMIN,
        "the Next.js 15 spelling, repeated to the recursion limit",
    ),
    subrequest("subrequest-pages", "/api/v1/users", "pages/_middleware", UNAUTHORIZED, "Next.js 12's spelling"),
    subrequest(
        "subrequest-websocket", "/ws/admin", ":".join(["middleware"] * 5), FORBIDDEN, "on a websocket", websocket=True
    ),
    subrequest(
        "subrequest-with-internals",
        "/admin/x",
        "middleware",
        sign_in("/admin/x"),
        "with Next.js's other internal headers",
        headers=(
            ("x-middleware-prefetch", "1"),
            ("x-nextjs-data", "1"),
            ("x-matched-path", "/users"),
            ("x-invoke-path", "/users"),
        ),
    ),
]


FORWARDED_CASES: Final = [
    forwarded(
        "forwarded-host",
        "/admin",
        (("X-Forwarded-Host", EVIL),),
        ADMIN,
        "without trust_forwarded the redirect stays on the Host's origin",
    ),
    forwarded(
        "forwarded-proto",
        "/admin",
        (("X-Forwarded-Proto", "https"),),
        ADMIN,
        "WithAuth does not read it; uvicorn trusts it from 127.0.0.1 by default and makes the scope https: "
        "the same host, on https",
        vary=UVICORN_HTTPS,
    ),
    forwarded(
        "forwarded-both",
        "/admin/x",
        (("X-Forwarded-Host", EVIL), ("X-Forwarded-Proto", "https")),
        sign_in("/admin/x"),
        "both together: the host never changes (uvicorn: https, as above)",
        vary=tuple((server, sign_in("/admin/x", origin="https://{host}")) for server, _ in UVICORN_HTTPS),
    ),
    forwarded(
        "forwarded-rfc7239",
        "/admin",
        (("Forwarded", f"for=1.2.3.4;host={EVIL};proto=https"),),
        ADMIN,
        "RFC 7239's Forwarded is never read",
    ),
    forwarded(
        "original-url-protected",
        "/admin",
        (("X-Original-URL", "/users"),),
        ADMIN,
        "IIS's X-Original-URL does not make a protected request public",
    ),
    forwarded(
        "original-url-public",
        "/users",
        (("X-Original-URL", "/admin"),),
        allowed("users", public=True),
        "nor does any framework route a public request to the URL it names",
    ),
    forwarded(
        "rewrite-url-public",
        "/users",
        (("X-Rewrite-URL", "/admin/x/secret"),),
        allowed("users", public=True),
        "X-Rewrite-URL likewise",
    ),
    forwarded(
        "forwarded-prefix",
        "/admin",
        (("X-Forwarded-Prefix", "/api/auth"),),
        ADMIN,
        "a forwarded prefix does not move the request under the skipped auth path",
    ),
    forwarded(
        "forwarded-for-local",
        "/admin",
        (("X-Forwarded-For", "127.0.0.1"), ("X-Real-IP", "127.0.0.1")),
        ADMIN,
        "a claimed local client changes nothing",
    ),
    forwarded("forwarded-host-api", "/api/v1/users", (("X-Forwarded-Host", EVIL),), UNAUTHORIZED, "on the API"),
    forwarded(
        "method-override",
        "/admin",
        (("X-HTTP-Method-Override", "OPTIONS"), *PREFLIGHT),
        ADMIN,
        "a method override does not make a GET a CORS preflight",
    ),
]


H11_REFUSES: Final = (("uvicorn-h11", BAD), ("hypercorn", BAD))
HTTPTOOLS_REFUSES: Final = (("uvicorn-httptools", BAD),)
FALLBACK: Final = ADMIN
"""An unusable Host: the redirect goes to the server's own address, never into the URL."""

HOST_CASES: Final = [
    host(
        "host-missing",
        (),
        FALLBACK,
        "no Host: the server's address (h11 refuses HTTP/1.1 without Host)",
        vary=(("uvicorn-h11", BAD), ("hypercorn", BAD)),
    ),
    host("host-empty", ("",), FALLBACK, "an empty Host: the server's address"),
    host(
        "host-evil",
        (EVIL,),
        sign_in("/admin", origin=f"http://{EVIL}"),
        "the origin is the Host the client sent, as in next-auth: a browser only sends the Host of the page it "
        "loads, and the reply is no-store; set public_url to pin it",
    ),
    host("host-evil-upper", ("EVIL.Example",), sign_in("/admin", origin=f"http://{EVIL}"), "lower-cased"),
    host("host-userinfo", (f"a@{EVIL}",), FALLBACK, "'a@evil' is no host name: the server's address"),
    host("host-userinfo-port", (f"{{host}}@{EVIL}",), FALLBACK, "'127.0.0.1:port@evil' likewise"),
    host("host-overlong", ("a" * 300,), FALLBACK, "over 253 characters: the server's address"),
    host("host-long-label", ("a" * 64 + ".example",), FALLBACK, "a label over 63 characters"),
    host(
        "host-two-same",
        ("{host}", "{host}"),
        ADMIN,
        "the same Host twice: h11 refuses a repeated Host (uvicorn-h11, hypercorn)",
        vary=H11_REFUSES,
    ),
    host(
        "host-two-evil-first",
        (EVIL, "{host}"),
        sign_in("/admin", origin=f"http://{EVIL}"),
        "two Hosts: the first counts, and it is the client's own; h11 refuses them",
        vary=H11_REFUSES,
    ),
    host("host-ipv6", ("[::1]:{port}",), sign_in("/admin", origin="http://[::1]:{port}"), "an IPv6 literal"),
    host("host-ipv6-bad", ("[::1",), FALLBACK, "an unclosed IPv6 literal"),
    host(
        "host-trailing-dot",
        ("localhost.:{port}",),
        sign_in("/admin", origin="http://localhost.:{port}"),
        "a trailing dot is a valid absolute name",
    ),
    host("host-bad-port", ("127.0.0.1:99999",), FALLBACK, "port out of range"),
    host("host-with-path", (f"{EVIL}/admin?x=",), FALLBACK, "a path in the Host"),
    host("host-list", (f"{EVIL}, 127.0.0.1",), FALLBACK, "a list in the Host"),
    host("host-scheme", (f"javascript:{EVIL}",), FALLBACK, "a scheme in the Host"),
    host("host-api", (EVIL,), UNAUTHORIZED, "the API answers 401: there is no URL to poison", target="/api/v1/users"),
    host("host-websocket", (EVIL,), FORBIDDEN, "a websocket with a foreign Host", target="/ws/admin", websocket=True),
    host("host-http10-none", (), FALLBACK, "HTTP/1.0 without Host: the server's address", version="HTTP/1.0"),
]


METHOD_CASES: Final = [
    method("head", "HEAD", "/admin", ADMIN, "HEAD is denied like GET"),
    method("trace", "TRACE", "/admin", ADMIN, "TRACE is denied before routing", servers=EVERY_SERVER),
    method("propfind", "PROPFIND", "/admin", ADMIN, "WebDAV methods are denied too"),
    method(
        "connect-authority",
        "CONNECT",
        "{host}",
        BAD,
        "CONNECT's authority-form target is no path",
        servers=EVERY_SERVER,
    ),
    method(
        "connect-path",
        "CONNECT",
        "/admin",
        ADMIN,
        "CONNECT with a path is denied like any method",
        servers=EVERY_SERVER,
    ),
    method(
        "lowercase-get",
        "get",
        "/admin",
        ADMIN,
        "methods are case-sensitive: httptools refuses 'get'; h11 passes it on, and it is denied",
        servers=EVERY_SERVER,
        vary=HTTPTOOLS_REFUSES,
    ),
    method(
        "unknown-method",
        "FOO",
        "/admin",
        ADMIN,
        "an unknown method: httptools refuses it; h11 passes it on, and it is denied",
        servers=EVERY_SERVER,
        vary=HTTPTOOLS_REFUSES,
    ),
    method("post-body", "POST", "/admin", ADMIN, "a POST with a body", body=b"a=1"),
    method("delete-api", "DELETE", "/api/v1/users", UNAUTHORIZED, "a DELETE on the API"),
    method(
        "post-method-override",
        "POST",
        "/admin",
        ADMIN,
        "X-HTTP-Method-Override is never read",
        headers=(("X-HTTP-Method-Override", "GET"),),
        body=b"a=1",
    ),
    method("http10", "GET", "/admin", ADMIN, "HTTP/1.0", version="HTTP/1.0", servers=EVERY_SERVER),
    method(
        "http2-line",
        "GET",
        "/admin",
        ADMIN,
        "an HTTP/2.0 request line: the servers answer it as HTTP/1.1, and it is denied",
        version="HTTP/2.0",
        servers=EVERY_SERVER,
    ),
    method(
        "http09",
        "GET",
        "/admin",
        BAD,
        "no version (HTTP/0.9): h11 refuses it; httptools takes it, and it is denied",
        version="",
        servers=EVERY_SERVER,
        vary=(("uvicorn-httptools", ADMIN),),
    ),
    method(
        "te-and-length",
        "POST",
        "/admin",
        BAD,
        "Transfer-Encoding and Content-Length together (smuggling): httptools refuses it; h11 lets "
        "Transfer-Encoding win (RFC 9112), and the request is denied",
        headers=(("Transfer-Encoding", "chunked"),),
        body=b"0\r\n\r\n",
        servers=EVERY_SERVER,
        vary=(("uvicorn-h11", ADMIN), ("hypercorn", ADMIN)),
    ),
]
