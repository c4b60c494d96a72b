"""The configurations and requests of ``fuzz_middleware``: five ``WithAuth`` set-ups in front of
a recording inner app, the tokens a request may carry, and how fuzzer bytes become a request
(see ``fuzz_middleware``'s docstring). Imported under the harness's instrumentation.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, unquote

from starlette.responses import PlainTextResponse

from asgi_withauth import CrossSiteProtection, PathPolicy, Rule, WithAuth
from asgi_withauth.crosssite import csrf_cookie_value
from asgi_withauth.jwt import encode
from tests.fuzz.common import Crash, Reader, drive

__all__ = [
    "CONFIGS",
    "SECRET",
    "TOKENS",
    "TRUSTED",
    "VALID",
    "VALID_CLAIMS",
    "VALID_TAGS",
    "Config",
    "Outcome",
    "Request",
    "request_from",
    "run",
]

SECRET: Final = "middleware-fuzz-secret"
TRUSTED: Final = "https://front.example"
SIGN_IN_ELSEWHERE: Final = "https://auth.example/login"
_NOW: Final = int(time.time())
_ADMIN: Final = {"sub": "u-admin", "role": "admin", "name": "Ada"}
_USER: Final = {"sub": "u-user", "role": "user", "name": "Bob"}


def _tampered(token: str) -> str:
    head, _, tag = token.rpartition(".")
    return head + "." + ("A" if tag[0] != "A" else "B") + tag[1:]


VALID: Final = {"admin": encode(_ADMIN, SECRET), "user": encode(_USER, SECRET), "v5": encode(_USER, SECRET, version=5)}
TOKENS: Final[tuple[tuple[str, str | None], ...]] = (
    ("none", None),
    ("admin", VALID["admin"]),
    ("user", VALID["user"]),
    ("v5", VALID["v5"]),
    ("expired", encode(_ADMIN, SECRET, max_age=10, now=_NOW - 3600)),
    ("wrong-secret", encode(_ADMIN, "another-secret")),
    ("tampered", _tampered(VALID["admin"])),
    ("garbage", "a.b.c.d.e"),
)
"""What a request may carry, by name: valid tokens (v4 with either role, v5) and bad ones."""
VALID_CLAIMS: Final = (_ADMIN, _USER)
VALID_TAGS: Final = {name: token.rpartition(".")[2].encode() for name, token in VALID.items()}
_CSRF_TOKEN: Final = "fuzz-csrf-token"

# ---------------------------------------------------------------------------- configurations

_MATCHER: Final = ["/admin/:path*", "/api/:v/users", "/dash(.*)", "/ws/:path*"]


def _rules(deny: Any) -> list[Rule]:
    return [
        Rule("/admin/public/:path*", public=True),
        Rule({"source": "/beta/:path*", "has": [{"type": "header", "key": "x-beta", "value": "on"}]}, deny="status"),
        Rule({"source": "/reports/:path*", "missing": [{"type": "query", "key": "preview"}]}, deny=deny),
    ]


def _is_admin(token: dict[str, Any] | None, request: Any) -> bool:
    return token is not None and token.get("role") == "admin"


@dataclass(frozen=True)
class Config:
    """One WithAuth under test and what the oracle must know of it."""

    name: str
    app: Callable[[Any, Any, Any], Awaitable[None]]
    every_path: bool = False  # no matcher: everything but the public rules is protected
    case_sensitive: bool = False
    semicolons: bool = False  # PathPolicy(allow_semicolon=True)
    cross_site: bool = True
    trusted: tuple[str, ...] = ()
    double_submit: bool = False
    preflight: bool = False  # allow_preflight=True
    sign_in_hosts: tuple[str, ...] = ()
    inner: list[dict[str, Any]] = field(default_factory=list)


async def _inner_app(calls: list[dict[str, Any]], scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The protected app: records what it saw (the scope, the body), then answers 200 or
    accepts and closes the websocket."""
    seen: dict[str, Any] = {"scope": dict(scope), "body": b""}
    calls.append(seen)
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})
        return
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        seen["body"] += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"inner"})


def _config(name: str, **options: Any) -> Config:
    calls: list[dict[str, Any]] = []
    meta = {
        k: options.pop(k)
        for k in ("every_path", "semicolons", "trusted", "double_submit", "sign_in_hosts")
        if k in options
    }

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await _inner_app(calls, scope, receive, send)

    app = WithAuth(inner, secret=SECRET, **options)
    return Config(
        name,
        app,
        case_sensitive=bool(options.get("case_sensitive", False)),
        cross_site=options.get("cross_site", True) is not None,
        preflight=bool(options.get("allow_preflight", False)),
        inner=calls,
        **meta,
    )


CONFIGS: Final = (
    _config("redirect", rules=_rules("redirect"), matcher=_MATCHER),
    _config(
        "case-sensitive, sign-in elsewhere",
        rules=_rules(401),
        matcher=_MATCHER,
        case_sensitive=True,
        pages={"signIn": SIGN_IN_ELSEWHERE},
        sign_in_hosts=("auth.example",),
    ),
    _config(
        "own denial, lenient paths",
        rules=_rules(PlainTextResponse("denied", status_code=418)),
        matcher=_MATCHER,
        deny="status",
        path_policy=PathPolicy(non_canonical="reject", allow_encoded_slash=True, allow_semicolon=True),
        semicolons=True,
    ),
    _config(
        "every path, admin role, double submit",
        rules=[
            Rule("/login", public=True),
            Rule("/admin/:path*", authorized=_is_admin, deny=403),
            Rule("/admin/public/:path*", public=True),  # after the role rule: it never applies
        ],
        refresh=True,
        cross_site=CrossSiteProtection(trusted_origins=[TRUSTED], double_submit=True),
        every_path=True,
        trusted=(TRUSTED,),
        double_submit=True,
    ),
    _config(
        "no cross-site check, preflights, forwarded",
        rules=_rules("redirect"),
        matcher=_MATCHER,
        cross_site=None,
        allow_preflight=True,
        trust_forwarded=True,
    ),
)

# ---------------------------------------------------------------------------- requests

_METHODS: Final = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get")
_ROOTS: Final = ("", "", "/base", "/api", "/admin", "/api/auth", "/base/")
_HOSTS: Final = ("app.test", "app.test:8000", "APP.test", "evil.example", "")
_ORIGINS: Final = (None, "http://app.test", "https://app.test", "https://evil.example", TRUSTED, "null")
_SITES: Final = (None, "same-origin", "same-site", "cross-site", "none")
_COOKIE_NAMES: Final = (
    "next-auth.session-token",
    "__Secure-next-auth.session-token",
    "authjs.session-token",
    "__Secure-authjs.session-token",
)


@dataclass
class Request:
    """One request as the harness built it, and what the oracle needs to know about it."""

    scope: dict[str, Any]
    body: list[bytes]
    token: str  # the name in TOKENS the harness put on the request
    placed: str  # "cookie", "chunked", "bearer" or "" (no token)
    cookie_name: str


def _headers(block: bytes) -> list[tuple[bytes, bytes]]:
    """``name: value`` lines as ASGI headers (names lower-cased, as servers pass them)."""
    out = []
    for line in block.split(b"\n"):
        if line:
            name, _, value = line.partition(b":")
            out.append((name.strip().lower(), value.strip(b" ")))
    return out


def _text_or(reader: Reader, options: tuple[str | None, ...]) -> str | None:
    """One of ``options``, or (picking past the end) a chunk of the input."""
    index = reader.byte() % (len(options) + 1)
    return options[index] if index < len(options) else reader.chunk().decode("latin-1")


def request_from(data: bytes) -> tuple[Config, Request]:
    """The configuration and the request an input describes (see the module docstring)."""
    reader = Reader(data)
    config = CONFIGS[reader.byte() % len(CONFIGS)]
    flags = reader.byte()
    websocket, https, raw_given, disagree, ws_response = (bool(flags >> i & 1) for i in range(5))
    method = _METHODS[flags >> 5]
    token_name, token = TOKENS[reader.byte() % len(TOKENS)]
    where = reader.byte()
    cookie_name = _COOKIE_NAMES[where % len(_COOKIE_NAMES)]
    host = _text_or(reader, _HOSTS)
    origin = _text_or(reader, _ORIGINS)
    site = _text_or(reader, _SITES)
    root = _text_or(reader, _ROOTS) or ""
    if root and not root.startswith("/"):  # configuration: never a relative path ('//host' is drawn)
        root = "/" + root
    raw = reader.chunk() or b"/"
    path = reader.chunk().decode("utf-8", "surrogateescape") if disagree else unquote(raw.decode("latin-1"))
    if where & 0x80 and root:
        mount = root.rstrip("/")  # the server puts root_path in front, raw_path percent-encoded
        path, raw = mount + path, quote(mount, safe="/", errors="surrogateescape").encode("ascii") + raw
    query = reader.chunk()
    body = reader.chunk()
    split = reader.byte() % (len(body) + 1)
    headers: list[tuple[bytes, bytes]] = []
    if host is not None:
        headers.append((b"host", host.encode("latin-1")))
    if origin is not None:
        headers.append((b"origin", origin.encode("latin-1")))
    if site is not None:
        headers.append((b"sec-fetch-site", site.encode("latin-1")))
    placed = ""
    if token is not None:
        placed = ("cookie", "chunked", "bearer", "cookie")[where >> 2 & 3]
        if placed == "bearer":
            headers.append((b"authorization", b"Bearer " + token.encode()))
        elif placed == "chunked":
            half = len(token) // 2
            cookie = f"{cookie_name}.1={token[half:]}; {cookie_name}.0={token[:half]}"
            headers.append((b"cookie", cookie.encode()))
        else:
            headers.append((b"cookie", f"{cookie_name}={token}".encode()))
    if config.double_submit and where & 0x40:
        csrf = csrf_cookie_value(_CSRF_TOKEN, SECRET)
        headers += [(b"cookie", f"next-auth.csrf-token={csrf}".encode()), (b"x-csrf-token", _CSRF_TOKEN.encode())]
    headers += _headers(reader.rest())
    scope: dict[str, Any] = {
        "type": "websocket" if websocket else "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": ("wss" if https else "ws") if websocket else ("https" if https else "http"),
        "path": path,
        "root_path": root,
        "query_string": query,
        "headers": headers,
        "server": ("app.test", 443 if https else 80),
        "client": ("127.0.0.1", 50000),
    }
    if raw_given:
        scope["raw_path"] = raw
    if websocket:
        scope["subprotocols"] = []
        if ws_response:
            scope["extensions"] = {"websocket.http.response": {}}
    else:
        scope["method"] = method
    parts = [body[:split], body[split:]] if split else [body]
    return config, Request(scope, parts, token_name, placed, cookie_name)


# ---------------------------------------------------------------------------- running


@dataclass
class Outcome:
    sent: list[dict[str, Any]]
    inner: list[dict[str, Any]]


def run(config: Config, request: Request) -> Outcome:
    """Run one request through ``config``'s WithAuth; no event loop (nothing waits)."""
    pending = [
        {"type": "http.request", "body": part, "more_body": i < len(request.body) - 1}
        for i, part in enumerate(request.body)
    ]
    if request.scope["type"] == "websocket":
        pending = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"} if request.scope["type"] == "http" else {"type": "websocket.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    config.inner.clear()
    scope = {**request.scope, "headers": list(request.scope["headers"])}
    try:
        drive(config.app(scope, receive, send))
    except Exception as exc:
        raise Crash(f"an exception escaped WithAuth: {type(exc).__name__}: {exc}") from exc
    return Outcome(sent, list(config.inner))


# ---------------------------------------------------------------------------- the oracle
