"""Rows of the bypass table about the path: encodings, ``root_path`` games, open redirects.

The matrix protects ``/admin/:path*`` (denied with a 307 to the sign-in page), ``/api/:path*``
(401) and ``/ws/:path*``; ``/``, ``/users`` and ``/pub/{x}`` are public. WithAuth decides on
one canonical path: a fixable spelling (dot segments, ``//``, backslashes, ``%2F``) is
redirected (308) to its canonical form, where the decision is made; the others are refused.
"""

from __future__ import annotations

from typing import Any, Final

from tests.bypass.model import (
    EVERY_SERVER,
    FORBIDDEN,
    UNAUTHORIZED,
    Case,
    Expect,
    canonical,
    refused,
    sign_in,
)
from tests.matrix import ROOT_PATH

ADMIN: Final = sign_in("/admin")
NOT_FOUND: Final = refused(404)
BAD: Final = refused(400)
TO_ADMIN: Final = canonical("/admin", then=ADMIN)
"""308 to ``/admin``, where the request is denied."""


def path(id: str, target: str, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "path encoding", "GET", target, expect, why, **more)


def root(id: str, target: str, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "root_path", "GET", target, expect, why, root_path=ROOT_PATH, **more)


def redirect(id: str, target: str, expect: Expect, why: str, **more: Any) -> Case:
    return Case(id, "open redirect", "GET", target, expect, why, **more)


PATH_CASES: Final = [
    path("dot-encoded", "/x/%2e%2e/admin", TO_ADMIN, "%2e%2e is a dot segment: redirected to the path it resolves to"),
    path("dot-encoded-upper", "/x/%2E%2E/admin", TO_ADMIN, "upper-case hex is the same dot segment"),
    path("dot-half-encoded", "/x/.%2e/admin", TO_ADMIN, ".%2e is a dot segment too"),
    path("dot-single-encoded", "/%2e/admin", TO_ADMIN, "%2e alone is '.'"),
    path("dot-plain", "/pub/../admin", TO_ADMIN, "a public prefix left by '..' is not public"),
    path("dot-above-root", "/../admin", TO_ADMIN, "'..' above the root stays at the root"),
    path(
        "dot-inside",
        "/admin/../admin/x/secret",
        canonical("/admin/x/secret", then=sign_in("/admin/x/secret")),
        "resolved before deciding, so the decision is on the route reached",
    ),
    path(
        "dot-as-section",
        "/admin/%2e%2e/secret",
        canonical("/secret", then=NOT_FOUND),
        "a route that takes any segment never sees '..' as its value: it is resolved first",
    ),
    path(
        "dot-into-api",
        "/admin/x/..%2f..%2fapi/v1/users",
        canonical("/api/v1/users", then=UNAUTHORIZED),
        "encoded slashes around dots resolve like plain ones",
    ),
    path(
        "slash-encoded",
        "/admin%2fx%2fsecret",
        canonical("/admin/x/secret", then=sign_in("/admin/x/secret")),
        "%2F is redirected to '/', so no route matches a path the matcher did not",
    ),
    path("slash-encoded-lead", "/%2fadmin", TO_ADMIN, "a leading %2F makes '//admin'"),
    path("slash-encoded-dots", "/x%2f..%2fadmin", TO_ADMIN, "'..' between encoded slashes is a dot segment"),
    path("backslash-encoded", "/%5cadmin", TO_ADMIN, "%5C is a backslash, which URL parsers read as '/'"),
    path(
        "backslash-raw",
        "/\\admin",
        TO_ADMIN,
        "a raw backslash is '/' to browsers and some routers",
        servers=EVERY_SERVER,
    ),
    path(
        "backslash-dots",
        "/x\\..\\admin",
        TO_ADMIN,
        "backslash dot segments resolve like slash ones",
        servers=EVERY_SERVER,
    ),
    path("overlong-dots", "/%c0%ae%c0%ae/admin", BAD, "overlong UTF-8 for '.' is not UTF-8: refused"),
    path("overlong-slash", "/x%c0%af..%c0%afadmin", BAD, "overlong UTF-8 for '/' is refused"),
    path("overlong-3-bytes", "/%e0%80%afadmin", BAD, "a three-byte overlong '/' is refused"),
    path("invalid-utf8", "/admin/%ff", BAD, "a byte that is not UTF-8 is refused"),
    path("double-dots", "/%252e%252e/admin", BAD, "encoded twice: a second decoder would see '..', so refused"),
    path("double-slash-encoded", "/%252fadmin", BAD, "an encoded %2F is refused"),
    path("double-letter", "/%2561dmin", BAD, "an encoded %61 is refused"),
    path("letter-encoded", "/%61dmin", sign_in("/%61dmin"), "%61 decodes to 'a': the decision is on /admin"),
    path("params-end", "/admin;x=1", BAD, "';' parameters, which some proxies strip, are refused"),
    path("params-lead", "/;x=1/admin", BAD, "a ';' segment in front is refused"),
    path("params-empty", "/admin;/x/secret", BAD, "an empty ';' parameter is refused"),
    path("slash-double", "//admin", TO_ADMIN, "empty segments are redirected away"),
    path("slash-triple", "///admin/x", canonical("/admin/x", then=sign_in("/admin/x")), "any number of them"),
    path(
        "slash-inner",
        "/admin//x/secret",
        canonical("/admin/x/secret", then=sign_in("/admin/x/secret")),
        "an inner '//' too",
    ),
    path("case-upper", "/ADMIN", sign_in("/ADMIN"), "matching ignores case (case_sensitive=False)"),
    path("case-mixed", "/Admin/x/secret", sign_in("/Admin/x/secret"), "mixed case is matched too"),
    path("case-api", "/API/v1/users", UNAUTHORIZED, "and on the API"),
    path(
        "unicode-fullwidth",
        "/%EF%BC%A1dmin",
        NOT_FOUND,
        "fullwidth 'A' is not 'a' to any router (no NFKC folding): no protected route",
    ),
    path(
        "unicode-dotless-i", "/adm%C4%B1n", NOT_FOUND, "a dotless i (U+0131) lowercases to itself, not to 'i': no route"
    ),
    path(
        "unicode-ideographic-dots",
        "/x/%E3%80%82%E3%80%82/admin",
        NOT_FOUND,
        "ideographic full stops are not dot segments to any router",
    ),
    path("unicode-zero-width", "/admin%E2%80%8B", NOT_FOUND, "a zero-width space makes another path"),
    path("trailing-dot", "/admin.", NOT_FOUND, "'/admin.' is another path, routed nowhere"),
    path("trailing-dot-encoded", "/admin%2e", NOT_FOUND, "encoded, the same"),
    path(
        "trailing-dot-segment",
        "/admin/.",
        canonical("/admin/", then=sign_in("/admin/")),
        "a trailing '.' segment resolves to '/admin/'",
    ),
    path("trailing-space", "/admin%20", NOT_FOUND, "'/admin ' is another path, routed nowhere"),
    path("nul-encoded", "/admin%00", BAD, "NUL is refused"),
    path("nul-raw", "/admin\x00", BAD, "a raw NUL in the request line is refused by the server", servers=EVERY_SERVER),
    path("tab-encoded", "/admin%09", BAD, "control characters are refused"),
    path("crlf-encoded", "/admin%0d%0aSet-Cookie:%20x=1", BAD, "CR LF never reaches a header"),
    path(
        "hash-raw",
        "/admin#x",
        ADMIN,
        "httptools drops the fragment: /admin, denied; h11 servers keep '#' in the path: refused",
        servers=EVERY_SERVER,
        vary=(("uvicorn-h11", BAD), ("hypercorn", BAD)),
    ),
    path("hash-encoded", "/admin%23x", BAD, "an encoded '#' is a delimiter to URL parsers: refused"),
    path("question-encoded", "/admin%3fx", BAD, "an encoded '?' likewise"),
    path("next-static-dots", "/_next/../admin", TO_ADMIN, "WithAuth skips /_next, but not what '..' leaves"),
    path("next-static-encoded-dots", "/_next/%2e%2e/admin", TO_ADMIN, "nor an encoded '..'"),
    path("auth-path-dots", "/api/auth/../../admin", TO_ADMIN, "the skipped auth path, left by '..'"),
    path("auth-path-encoded", "/api/auth%2f..%2f..%2fadmin", TO_ADMIN, "left through encoded slashes"),
    path("favicon-dots", "/favicon.ico/../admin", TO_ADMIN, "the skipped favicon, left by '..'"),
    path("auth-lookalike-dot", "/api/auth./users", UNAUTHORIZED, "'auth.' is not the auth path"),
    path("auth-lookalike-suffix", "/api/authx/users", UNAUTHORIZED, "the auth path is skipped on segment bounds"),
    path("no-leading-slash", "admin", BAD, "a target without '/' is not a path", servers=EVERY_SERVER),
    path(
        "long", "/admin/" + "a" * 5000, refused(414), "over 4096 characters: 414, before matching", servers=EVERY_SERVER
    ),
]


ROOT_ADMIN: Final = sign_in("/base/admin", root=ROOT_PATH)
"""Denied under the root path: the sign-in page and the callback both start with /base."""

ROOT_CASES: Final = [
    root(
        "root-without-base",
        "/admin",
        ROOT_ADMIN,
        "uvicorn puts /base in front (the app sees /base/admin); hypercorn passes /admin outside its root: "
        "protected either way, and the callbackUrl has /base in front",
    ),
    root(
        "root-base-admin",
        "/base/admin",
        ROOT_ADMIN,
        "hypercorn: the mounted path, denied; uvicorn puts /base in front again: /base/base/admin is no route",
        vary=(("uvicorn-httptools", NOT_FOUND),),
    ),
    root(
        "root-base-dots",
        "/base/../admin",
        canonical("/base/admin", then=ROOT_ADMIN),
        "out of the root and back in: a 308 to the canonical path under /base, then denied",
    ),
    root(
        "root-dots-encoded",
        "/base/%2e%2e/admin",
        canonical("/base/admin", then=ROOT_ADMIN),
        "the same with an encoded '..'",
    ),
    root(
        "root-basex",
        "/basex/admin",
        BAD,
        "hypercorn: /base in the path but not as its first segment, where frameworks disagree: refused; "
        "uvicorn: /base/basex/admin is no route",
        vary=(("uvicorn-httptools", NOT_FOUND),),
    ),
    root(
        "root-elsewhere",
        "/x/base/admin",
        BAD,
        "the root path further in: refused (uvicorn: /base/x/base/admin is no route)",
        vary=(("uvicorn-httptools", NOT_FOUND),),
    ),
    root("root-twice", "/base/base/admin", NOT_FOUND, "the root path twice is no protected route"),
    root("root-upper", "/BASE/admin", NOT_FOUND, "'/BASE' is not the root path; /BASE/admin is no route"),
    root(
        "root-encoded",
        "/%62ase/admin",
        BAD,
        "hypercorn: an encoded root path, where the decoded and raw paths disagree: refused; "
        "uvicorn: /base/%62ase/admin is /base/base/admin, no route",
        vary=(("uvicorn-httptools", NOT_FOUND),),
    ),
    root("root-params", "/base;x/admin", BAD, "';' on the root segment is refused"),
    root("root-api", "/api/v1/users", UNAUTHORIZED, "the API rule under a root path"),
    root("root-websocket", "/ws/admin", FORBIDDEN, "a websocket under a root path", websocket=True),
    root(
        "root-double-slash",
        "//evil.example",
        canonical("/base/evil.example", then=NOT_FOUND),
        "'//host' under a root path: the Location stays a path under /base",
    ),
]


OFF_SITE: Final = canonical("/evil.example/admin", then=NOT_FOUND)
"""The canonical form of a '//host' spelling: a path on this origin, routed nowhere."""

REDIRECT_CASES: Final = [
    redirect(
        "scheme-relative",
        "//evil.example/admin",
        OFF_SITE,
        "'//host' would be another origin in a Location: the 308 goes to a path",
        servers=EVERY_SERVER,
    ),
    redirect(
        "backslash-host", "/\\evil.example/admin", OFF_SITE, "'/\\host' is '//host' to browsers", servers=EVERY_SERVER
    ),
    redirect("encoded-slashes-host", "/%2f%2fevil.example/admin", OFF_SITE, "encoded '//host'"),
    redirect(
        "encoded-backslash-host", "/%5cevil.example", canonical("/evil.example", then=NOT_FOUND), "encoded '/\\host'"
    ),
    redirect("encoded-backslashes-host", "/%5c%5cevil.example/admin", OFF_SITE, "encoded '\\\\host'"),
    redirect(
        "dot-then-host",
        "/admin/..//evil.example",
        canonical("/evil.example", then=NOT_FOUND),
        "'..' then '//host': resolved, never '//evil.example'",
    ),
    redirect(
        "dot-then-encoded-host",
        "/admin/..%2f%2fevil.example",
        canonical("/evil.example", then=NOT_FOUND),
        "'..' then encoded '//host'",
    ),
    redirect("dot-segment-host", "/.//evil.example/admin", OFF_SITE, "'.' then '//host'"),
    redirect("at-host-bare", "/@evil.example", NOT_FOUND, "'/@host' is a path on this origin: no route"),
    redirect(
        "at-host",
        "/admin/@evil.example",
        sign_in("/admin/@evil.example"),
        "'@host' after a path is a path: the callbackUrl stays same-origin",
    ),
    redirect(
        "url-in-path",
        "/admin/http://evil.example",
        canonical("/admin/http:/evil.example", then=sign_in("/admin/http:/evil.example")),
        "a URL inside the path: its '//' is an empty segment",
    ),
    redirect(
        "callback-in-query",
        "/admin?callbackUrl=http://evil.example",
        sign_in("/admin?callbackUrl=http://evil.example"),
        "a callbackUrl in the query ends up inside the same-origin callbackUrl, not as it",
    ),
    redirect(
        "next-in-query",
        "/admin/x?next=//evil.example",
        sign_in("/admin/x?next=//evil.example"),
        "'//host' in the query stays in the query",
    ),
    redirect(
        "sign-in-callback",
        "/api/auth/signin?callbackUrl=http://evil.example",
        NOT_FOUND,
        "next-auth's own pages are skipped, never redirected to by WithAuth; the app has none",
    ),
    redirect("tab-host", "/%09/evil.example", BAD, "a tab before '/host' (browsers strip it) is refused"),
    redirect("crlf-location", "/admin/%0d%0aLocation:%20http://evil.example", BAD, "CR LF cannot inject a Location"),
]
