"""Hostile request targets: every spelling of a protected path a server or framework might
route to the protected handler.

Each spelling is applied to each protected path, and for an app served under a root path also
to the path under ``ROOT_PATH`` (behind hypercorn the client sends the root path; behind uvicorn
it does not, but a framework may still strip it); each target is sent again with a query string.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from tests.matrix import ROOT_PATH

HTTP_PATHS = ("/admin", "/admin/x", "/admin/x/secret", "/api/v1/users")
SOCKET_PATHS = ("/ws/admin", "/ws/r/admin")
HTTP_TEMPLATES = ("/admin/{}", "/admin/{}/secret", "/api/{}/users")
SOCKET_TEMPLATES = ("/ws/{}/admin",)
"""Routes with a path parameter: the parameter spelled as a dot segment, so a framework that
collapses ``//`` (or decodes ``%2e``) but does not resolve dot segments routes ``..`` as its value."""

DOTS = ("..", ".", "%2e%2e", ".%2e", "%2E%2E", "%2e", "..;x")
LEADS = ("/", "//", "///", "/%2f", "%2f", "/\\", "/./", "/;/", "http://x/", "http://x//", "")
"""What replaces the leading ``/`` of a path."""

PREFLIGHT = (("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET"))


@dataclass(frozen=True)
class Probe:
    """One request: a method, a raw target, extra headers, and whether it is a websocket handshake."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    websocket: bool = False

    def __str__(self) -> str:
        kind = "WS " if self.websocket else ""
        extra = " (preflight)" if self.headers == PREFLIGHT else ""
        target = self.target if self.target.isascii() and self.target.isprintable() else ascii(self.target)
        return f"{kind}{self.method} {target}{extra}"


def _hex(char: str) -> str:
    return f"%{ord(char):02x}"


def _after_segment(path: str, index: int, extra: str) -> str:
    """``path`` with ``extra`` at the end of its segment ``index``."""
    segments = path[1:].split("/")
    segments[index] += extra
    return "/" + "/".join(segments)


def spellings(path: str, *, port: int) -> list[str]:
    """``path`` (``/first/rest``) spelled every way a server or framework may route as ``path``."""
    first, _, rest = path[1:].partition("/")
    tail = "/" + rest if rest else ""
    bare = path[1:]
    return [
        # as is, trailing slash, case
        path,
        path + "/",
        path.upper(),
        "/" + first.capitalize() + tail,
        # double slashes
        "/" + path,
        "//" + path,
        path.replace("/", "//"),
        "/" + first + "/" + tail,
        # dot segments, in every spelling
        "/x/.." + path,
        "/pub/.." + path,
        "/." + path,
        "/.." + path,
        "/%2e%2e" + path,
        "/%2E%2E" + path,
        "/.%2e" + path,
        "/%2e." + path,
        "/%2e" + path,
        "/x/%2e%2e" + path,
        "/" + first + "/." + tail,
        path + "/.",
        path + "/x/..",
        path + "/%2e%2e",
        # under the paths WithAuth lets through unchecked (next-auth's own), then out again
        "/_next/.." + path,
        "/favicon.ico/.." + path,
        "/api/auth/.." + path,
        "/api/auth/signin/../.." + path,
        "/_next/%2e%2e" + path,
        "/api/auth%2f.." + path,
        # encoded slashes and backslashes
        "/%2f" + bare,
        "/%2F" + bare,
        "%2f" + bare,
        path.replace("/", "%2f"),
        "/" + first + "%2f" + rest,
        "/x%2f..%2f" + bare,
        "/x/..%2f" + bare,
        "/\\" + bare,
        "\\" + bare,
        path.replace("/", "\\"),
        "/%5c" + bare,
        "/%5C" + bare,
        "/x\\..\\" + bare,
        "/x/..\\" + bare,
        "/x%5c..%5c" + bare,
        # ;parameters
        path + ";x=1",
        "/" + first + ";x=1" + tail,
        "/" + first + ";" + tail,
        "/;" + path,
        "/;x=1" + path,
        "/x;/.." + path,
        # percent-encoding, once and twice
        "/" + _hex(first[0]) + first[1:] + tail,
        "/%25" + _hex(first[0])[1:] + first[1:] + tail,
        "/%252e%252e" + path,
        "/%252f" + bare,
        "/%c0%ae%c0%ae" + path,
        # characters a route's segment takes and a path pattern's segment may not (``#``, ``?``)
        *(_after_segment(path, i, extra) for i in range(path.count("/")) for extra in ("#x", "%23x", "%3fx", "%3F")),
        # trailing dots, spaces and others
        path + ".",
        path + "..",
        path + "%20",
        path + "%09",
        path + "%00",
        path + "%2e",
        path + "#x",
        path + "?",
        # no leading slash
        bare,
        "./" + bare,
        "../" + bare,
        # absolute-form and authority-like paths
        "http://x" + path,
        f"http://127.0.0.1:{port}" + path,
        "https://x" + path,
        "HTTP://X" + path,
        "http://x/" + path,
        "http://x/x/.." + path,
        "ws://x" + path,
        "HtTp://x" + path,
        "http://u:p@x" + path,
        "http://[::1]" + path,
        "http:" + path,
        "http:/" + path,
        "//x" + path,
        # overlong
        "/" + "x/" * 300 + "../" * 300 + bare,
        "/" + "a" * 4000 + "/.." + path,
        "/" * 300 + bare,
    ]


def root_spellings(path: str) -> list[str]:
    """``path`` with ``ROOT_PATH`` (``/base``) where a framework may strip it."""
    root = ROOT_PATH
    return [
        root + path,
        "/x" + root + path,
        "/pub" + root + path,
        root + path[1:],
        root + "/.." + path,
        root + "/" + path,
        "/" + root + path,
        root + "/." + path,
        root.upper() + path,
        root[1:] + path,
        "/" + _hex(root[1]) + root[2:] + path,
        root + "%2f" + path[1:],
        root + ";x" + path,
        root + "/%2e%2e" + path,
        root + root + path,
        f"http://x{root}{path}",
    ]


AUTH_LOOKALIKES = ("auth;x", "auth.", "Auth", "AUTH", "auth%20", "authx", "auth%2f", "auth%00", "auth#", "auth%23")
"""``/api/{version}/users`` with a version that is not next-auth's ``auth`` but may be taken for it.
(``/api/auth/users`` itself, however spelled, e.g. ``/api/%61uth/users``, is next-auth's auth path:
WithAuth lets it through by design, as next-auth does, so it is not a target here.)"""


def dot_parameters(templates: Iterable[str], bases: Sequence[str]) -> Iterator[str]:
    """``/admin/{section}`` with a dot segment as the section, behind every lead-in."""
    for template in templates:
        for dot in DOTS:
            path = template.format(dot)
            for base in bases:
                for lead in LEADS:
                    yield lead + (base + path)[1:]


def _with_queries(targets: Iterable[str]) -> list[str]:
    found = list(dict.fromkeys(targets))
    queried = [target + "?q=1" for target in found if "?" not in target and "#" not in target]
    return list(dict.fromkeys([*found, *queried]))


def _hostile(
    paths: Iterable[str], templates: Iterable[str], port: int, bases: Sequence[str], extra: Iterable[str] = ()
) -> list[str]:
    paths = tuple(paths)
    targets = [s for path in paths for base in bases for s in spellings(base + path, port=port)]
    targets += [s for path in paths for s in root_spellings(path)]
    targets += dot_parameters(templates, bases)
    return _with_queries([*targets, *extra])


def _bases(root_path: str) -> tuple[str, ...]:
    return ("", root_path) if root_path else ("",)


def anonymous_http_probes(port: int, root_path: str = "") -> list[Probe]:
    """Every hostile GET, the canonical paths with other methods, CORS preflights, ``*``."""
    bases = _bases(root_path)
    lookalikes = [f"{base}/api/{version}/users" for base in bases for version in AUTH_LOOKALIKES]
    probes = [Probe("GET", target) for target in _hostile(HTTP_PATHS, HTTP_TEMPLATES, port, bases, lookalikes)]
    canonical = [base + path for base in bases for path in HTTP_PATHS]
    probes += [Probe(method, target) for method in ("HEAD", "POST", "OPTIONS", "DELETE") for target in canonical]
    preflighted = [*canonical, "//admin", "//admin/..", f"http://x{HTTP_PATHS[0]}", "/x" + ROOT_PATH + HTTP_PATHS[0]]
    probes += [Probe("OPTIONS", target, PREFLIGHT) for target in preflighted]
    probes += [Probe("OPTIONS", "*"), Probe("OPTIONS", "*", PREFLIGHT)]
    # methods as servers may pass them on (WithAuth compares the method for CORS preflights)
    probes += [Probe(method, HTTP_PATHS[0], PREFLIGHT) for method in ("options", "Options", "OPTIONS ")]
    probes += [Probe("get", HTTP_PATHS[0]), Probe("OPTIONS", HTTP_PATHS[0], (("Origin", "x"),))]
    # raw bytes a lenient parser may keep in the path
    probes += [Probe("GET", path + raw) for path in HTTP_PATHS[:2] for raw in ("\t", "\x0b", "\x0c", "\xff", "\x85")]
    return probes


def anonymous_socket_probes(port: int, root_path: str = "") -> list[Probe]:
    """Every hostile websocket handshake."""
    targets = _hostile(SOCKET_PATHS, SOCKET_TEMPLATES, port, _bases(root_path))
    return [Probe("GET", target, websocket=True) for target in targets]
