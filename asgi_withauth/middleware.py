"""``WithAuth``: next-auth's ``withAuth`` as a pure ASGI middleware.

Per request, in next-auth's order: match the path (``matcher``/``rules``; unmatched
requests pass straight through, nothing decoded); skip the auth path, the sign-in and
error pages, ``/_next`` and ``/favicon.ico`` (on segment boundaries); with no secret,
redirect to the error page with ``error=Configuration``; decode the token (once, cached);
call ``authorized(token, request)``; run the app with ``scope["nextauth"]["token"]``, or
deny: a 307 to the sign-in page with a same-origin ``callbackUrl``, a 401/403 JSON
response, or a response of your own. Anything that goes wrong on the way denies.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from ._cache import TokenCache
from .jwt import DEFAULT_LEEWAY, DEFAULT_MAX_AGE, Secret, Version
from .matcher import Matcher, MatcherSet, MatcherSpec, RequestFacts
from .matcher import PathTooLongError as MatchTooLongError
from .paths import (
    MalformedPathError,
    NonCanonicalPathError,
    PathPolicy,
    canonical_route,
    raw_route_path,
    under,
)
from .refresh import ALWAYS, SessionRefresher
from .token import DecodeHook, FoundToken, TokenReader, cached_read, cached_read_sync, cached_token_sync
from .urls import callback_path, canonical_redirect, page_url, request_origin

__all__ = ["AuthorizedCallback", "Deny", "Rule", "WithAuth"]

logger = logging.getLogger("asgi_withauth")

AuthorizedResult: TypeAlias = "bool | ASGIApp | None"
AuthorizedCallback: TypeAlias = Callable[
    [dict[str, Any] | None, HTTPConnection], "AuthorizedResult | Awaitable[AuthorizedResult]"
]
"""``authorized(token, request)``, sync or async. ``True`` allows; ``False`` and ``None``
deny; a response (any ASGI app, e.g. a Starlette ``Response``) is sent as is; any other
value denies and logs a warning."""

Deny: TypeAlias = "Literal['redirect', 'status', 401, 403] | ASGIApp"
"""What a denied request gets: ``"redirect"`` to the sign-in page (next-auth's behaviour),
``"status"`` (401 without a token, 403 with one), a fixed 401 or 403, or your own ASGI app."""

AnyASGIApp: TypeAlias = Callable[[Any, Any, Any], Awaitable[None]]
"""Any ASGI 3 application: Starlette, FastAPI, Litestar, Quart, Django, or a bare callable."""

DEFAULT_SIGN_IN: Final = "/api/auth/signin"
DEFAULT_ERROR: Final = "/api/auth/error"
DEFAULT_AUTH_PATH: Final = "/api/auth"
_PUBLIC_PREFIXES: Final = ("/_next", "/favicon.ico")
_ALLOW: Final = object()
_EVERY_PATH: Final = "(every path)"
_ORIGIN_HEADERS: Final = frozenset({b"host", b"x-forwarded-proto", b"x-forwarded-host"})
_ROUTE_MEMO_SIZE: Final = 1024
_ROUTE_PATH_MAX: Final = 1024


@dataclass(frozen=True)
class Rule:
    """One protected area: paths, who may enter, and what the others get.

    Rules are tried in order and the first whose ``matcher`` matches applies.
    ``authorized`` defaults to "has a valid token"; ``public=True`` lets matched
    requests through unchecked; ``sign_in_page`` overrides the global one.
    """

    matcher: MatcherSpec
    authorized: AuthorizedCallback | None = None
    deny: Deny = "redirect"
    sign_in_page: str | None = None
    public: bool = False


@dataclass(frozen=True)
class _Compiled:
    index: int
    matcher: Matcher | None  # None: every path, Next.js's default without config.matcher
    rule: Rule


def _has_token(token: dict[str, Any] | None, request: HTTPConnection) -> bool:
    return token is not None


def _pick(name: str, pythonic: Any, spelled: Any) -> Any:
    if pythonic is not None and spelled is not None and pythonic != spelled:
        raise TypeError(f"{name} is given twice, with different values; keep one")
    return pythonic if pythonic is not None else spelled


_NEXT_AUTH_COOKIES: Final = frozenset(
    {"sessionToken", "callbackUrl", "csrfToken", "pkceCodeVerifier", "state", "nonce", "webauthnChallenge"}
)


def _known(name: str, options: Mapping[str, Any] | None, allowed: Set[str]) -> dict[str, Any]:
    """next-auth's option dict, refusing keys next-auth does not have (a typo would be ignored)."""
    options = dict(options or {})
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{name}: unknown key(s) {unknown}; next-auth's are {sorted(allowed)}")
    return options


def _auth_path_from_env() -> str:
    """The path of NEXTAUTH_URL (next-auth's ``parseUrl``: https:// assumed), else /api/auth."""
    url = os.environ.get("NEXTAUTH_URL") or os.environ.get("AUTH_URL")
    if not url:
        return DEFAULT_AUTH_PATH
    path = urlsplit(url if "://" in url else "https://" + url).path.rstrip("/")
    return path or DEFAULT_AUTH_PATH


class WithAuth:
    """Protect an ASGI app the way next-auth's ``withAuth`` protects a Next.js app.

    Options keep next-auth's names where users paste them (``pages``, ``callbacks``,
    ``cookies``, ``jwt``, ``secret``) and have Pythonic equivalents (``sign_in_page``,
    ``error_page``, ``authorized``, ``cookie_name``, ``decode``). See the README for all.
    """

    def __init__(
        self,
        app: AnyASGIApp,
        *,
        matcher: MatcherSpec | None = None,
        rules: Sequence[Rule] = (),
        authorized: AuthorizedCallback | None = None,
        deny: Deny = "redirect",
        secret: Secret | None = None,
        sign_in_page: str | None = None,
        error_page: str | None = None,
        auth_path: str | None = None,
        cookie_name: str | None = None,
        decode: DecodeHook | None = None,
        salt: str | None = None,
        version: Version | None = None,
        secure_cookie: bool | None = None,
        leeway: int = DEFAULT_LEEWAY,
        require_exp: bool = False,
        public_url: str | None = None,
        trust_forwarded: bool = False,
        allow_preflight: bool = False,
        case_sensitive: bool = False,
        path_policy: PathPolicy | None = None,
        cache_size: int = 1024,
        refresh: bool = False,
        max_age: int | None = None,
        update_age: int | None = None,
        session: Mapping[str, Any] | None = None,
        pages: Mapping[str, str] | None = None,
        callbacks: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Mapping[str, Any]] | None = None,
        jwt: Mapping[str, Any] | None = None,
    ) -> None:
        pages = _known("pages", pages, {"signIn", "error", "signOut", "verifyRequest", "newUser"})
        callbacks = _known("callbacks", callbacks, {"authorized", "jwt", "session", "signIn", "redirect"})
        jwt = _known("jwt", jwt, {"decode", "encode", "secret", "maxAge"})
        cookies = _known("cookies", cookies, _NEXT_AUTH_COOKIES)
        self.app = app
        self.sign_in_page: str = _pick("sign_in_page / pages['signIn']", sign_in_page, pages.get("signIn"))
        self.sign_in_page = self.sign_in_page or DEFAULT_SIGN_IN
        self.error_page: str = _pick("error_page / pages['error']", error_page, pages.get("error")) or DEFAULT_ERROR
        self.auth_path = (auth_path or _auth_path_from_env()).rstrip("/") or "/"
        self.public_url = public_url
        self.trust_forwarded = trust_forwarded
        self.allow_preflight = allow_preflight
        self.case_sensitive = case_sensitive
        self.path_policy = path_policy if path_policy is not None else PathPolicy()
        self.reader = TokenReader(
            secret=secret,
            salt=salt,
            secure_cookie=secure_cookie,
            cookie_name=_pick(
                "cookie_name / cookies['sessionToken']['name']",
                cookie_name,
                (cookies or {}).get("sessionToken", {}).get("name"),
            ),
            version=version,
            decode=_pick("decode / jwt['decode']", decode, (jwt or {}).get("decode")),
            leeway=leeway,
            require_exp=require_exp,
        )
        self.cache = TokenCache(cache_size, leeway=leeway)
        session = dict(session or {})
        self.refresher = (
            SessionRefresher(
                self.reader,
                max_age=_pick("max_age / session['maxAge']", max_age, session.get("maxAge")) or DEFAULT_MAX_AGE,
                update_age=_pick("update_age / session['updateAge']", update_age, session.get("updateAge")) or ALWAYS,
                cookie_options=(cookies or {}).get("sessionToken", {}).get("options"),
            )
            if refresh
            else None
        )
        default_authorized = _pick(
            "authorized / callbacks['authorized']", authorized, (callbacks or {}).get("authorized")
        )
        # The rules refine; the top-level matcher (default: every path) is the last rule.
        all_rules = [*rules, Rule(matcher=matcher if matcher is not None else _EVERY_PATH, deny=deny)]
        self._rules = [
            _Compiled(
                i,
                None if rule.matcher is _EVERY_PATH else Matcher(rule.matcher),
                rule if rule.authorized else _with_authorized(rule, default_authorized),
            )
            for i, rule in enumerate(all_rules)
        ]
        self._index = MatcherSet([c.matcher for c in self._rules])
        self._needs_facts = any(c.matcher is not None and c.matcher.needs_facts for c in self._rules)
        # (path, raw_path, root_path) -> (matched rules, passes unchecked): both depend on
        # nothing else unless a matcher has has/missing conditions. Bounded: emptied when full.
        self._route_memo = not self._needs_facts
        self._routes: dict[tuple[Any, Any, Any], tuple[list[_Compiled], bool]] = {}
        self._sign_in_path = urlsplit(self.sign_in_page).path if not urlsplit(self.sign_in_page).netloc else None
        self._error_path = urlsplit(self.error_page).path if not urlsplit(self.error_page).netloc else None
        self._pages = frozenset(path for path in (self._sign_in_path, self._error_path) if path)
        self._warned_unconfigured = False
        self._failures = _FailureLog()
        if not self.reader.configured:
            logger.warning(
                "WithAuth has no secret: every protected request will be redirected to the error page. "
                "Pass secret=... or set NEXTAUTH_SECRET (or AUTH_SECRET) to the Next.js app's secret."
            )

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        key = (scope.get("path"), scope.get("raw_path"), scope.get("root_path"))
        route = self._routes.get(key)
        if route is None:
            try:
                path = canonical_route(scope, self.path_policy)
            except MalformedPathError as exc:
                await self._refuse_path(scope, receive, send, exc)
                return
            lowered = path.lower()
            forms = (path,) if self.case_sensitive or lowered == path else (path, lowered)
            try:
                matched = self._matching_rules(scope, forms)
            except MatchTooLongError:  # over the matchers' limit: a PathPolicy.max_length raised above it
                await self._plain(scope, receive, send, 414, "URI Too Long: the request path is too long")
                return
            except Exception as exc:
                self._failures.log("matching the request path failed; denying the request", exc)
                await self._plain(scope, receive, send, 403, "Forbidden")
                return
            route = (matched, not matched or self._passes_unchecked(scope, forms, matched))
            if self._route_memo and len(key[0] or "") <= _ROUTE_PATH_MAX:
                if len(self._routes) >= _ROUTE_MEMO_SIZE:
                    self._routes.clear()
                self._routes[key] = route
        matched, unchecked = route
        if unchecked or (self.allow_preflight and scope.get("method") == "OPTIONS" and _is_preflight(scope)):
            await self.app(scope, receive, send)
            return
        if not self.reader.configured:
            await self._configuration_error(scope, receive, send)
            return
        outcome, found = await self._decide(scope, receive, send, matched)
        if outcome is _ALLOW:
            if found is not None and self.refresher is not None and scope["type"] == "http":
                send = self._refreshing(found, self.refresher, scope, send)
            await self.app(scope, receive, send)
        elif isinstance(outcome, _Reply):
            await outcome(scope, receive, send)
        elif outcome is not None:
            await self._send_verdict(outcome, scope, receive, send)

    # ------------------------------------------------------------------ decisions

    def _matching_rules(self, scope: Scope, forms: tuple[str, ...]) -> list[_Compiled]:
        """The first matching rule of each path form (distinct, in rule order)."""
        facts = RequestFacts.from_scope(scope) if self._needs_facts else None
        first = self._index.first
        if len(forms) == 1:
            index = first(forms[0], facts)
            return [] if index is None else [self._rules[index]]
        found = {index for form in forms if (index := first(form, facts)) is not None}
        return [self._rules[i] for i in sorted(found)]

    def _passes_unchecked(self, scope: Scope, forms: tuple[str, ...], matched: list[_Compiled]) -> bool:
        """Whether the path alone lets the request through (public rules, next-auth's public
        paths); depends on the path, raw path and root path only, so it is memoised with them.
        CORS preflights, which depend on the method and headers, are checked per request."""
        if matched[0].rule.public and all(c.rule.public for c in matched):
            return True
        root = scope.get("root_path")
        if len(forms) == 1 and not root:
            return self._skippable(forms[0], forms[0])
        return all(self._skippable(root + form if root else form, form) for form in forms)

    def _skippable(self, full: str, form: str) -> bool:
        """next-auth's public paths, on segment boundaries: the auth path (``full`` is
        ``root_path + form``), the sign-in and error pages, ``/_next``, ``/favicon.ico``."""
        if form in self._pages:
            return True
        if full.startswith(self.auth_path) and under(full, self.auth_path):
            return True
        return form.startswith(_PUBLIC_PREFIXES) and any(under(form, prefix) for prefix in _PUBLIC_PREFIXES)

    async def _decide(
        self, scope: Scope, receive: Receive, send: Send, matched: list[_Compiled]
    ) -> tuple[Any, FoundToken | None]:
        """_ALLOW or the ASGI app that answers a denied request, and the token as found (only
        when a refresh may need it: the hot path builds no FoundToken)."""
        token: dict[str, Any] | None = None
        found: FoundToken | None = None
        try:
            if self.refresher is None and self.reader.decode_hook is None:
                token = cached_token_sync(self.reader, self.cache, scope)
            elif self.reader.decode_hook is None:
                found = cached_read_sync(self.reader, self.cache, scope)
            else:
                found = await cached_read(self.reader, self.cache, scope)
            if found is not None:
                token = found.claims()
            conn: HTTPConnection | None = None
            for compiled in matched:
                if compiled.rule.public:
                    continue
                if compiled.rule.authorized is _has_token:  # the default needs no request object
                    verdict: Any = token is not None
                else:
                    if conn is None:
                        conn = Request(scope, receive) if scope["type"] == "http" else WebSocket(scope, receive, send)
                    verdict = await _call_authorized(compiled.rule, token, conn)
                if verdict is True:
                    continue
                if verdict is False or verdict is None:
                    return self._denial(scope, compiled.rule, token), None
                return verdict, None  # a response of the callback's own: sent as is, never an allow
        except Exception as exc:
            self._failures.log("authorized raised an exception; denying the request", exc)
            return self._denial(scope, matched[0].rule, token), None
        scope["nextauth"] = {"token": token}
        return _ALLOW, found

    def _refreshing(self, found: FoundToken, refresher: SessionRefresher, scope: Scope, send: Send) -> Send:
        """``send`` that adds the re-encoded session cookie to the response's headers
        (Auth.js v5's middleware does the same); the body is never buffered. The cookie holds
        the token as decoded, in the format and salt that decoded it: as in Auth.js, it is
        computed before the app runs, so the app's changes to its own copy never reach it."""
        cookie_name, version, salt = found.cookie_name, found.version, found.salt
        if cookie_name is None or version is None:  # a Bearer token, or one a decode hook read
            return send
        token = found.claims()
        if not refresher.due(token, time.time()):
            return send
        name = cookie_name.encode("latin-1")
        failures = self._failures

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"set-cookie" and v.startswith(name) for k, v in headers):
                    try:
                        cookies = refresher.write(
                            token, cookie_name=cookie_name, version=version, salt=salt, scope=scope
                        )
                    except Exception as exc:
                        failures.log("could not refresh the session cookie; the response goes out without it", exc)
                        cookies = []
                    headers += [(b"set-cookie", cookie.encode("latin-1")) for cookie in cookies]
                    message = {**message, "headers": headers}
            await send(message)

        return send_with_cookie

    # ------------------------------------------------------------------ responses

    async def _send_verdict(self, verdict: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Send a response that ``authorized`` or a rule's ``deny`` returned. If it fails before
        it started a response, the request gets a plain 403 instead of a 500."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await verdict(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            self._failures.log(
                "the response returned by authorized (or a rule's deny) failed before sending anything; "
                "denying with 403. Return a Starlette Response or another ASGI app",
                exc,
            )
            await self._plain(scope, receive, send, 403, "Forbidden")

    async def _refuse_path(self, scope: Scope, receive: Receive, send: Send, exc: MalformedPathError) -> None:
        """Answer a request whose path is not canonical: a 308 to the canonical form, or 400/414."""
        logger.debug("request path refused: %s", exc)
        if (
            isinstance(exc, NonCanonicalPathError)
            and scope["type"] == "http"
            and self.path_policy.non_canonical == "redirect"
        ):
            location = canonical_redirect(scope.get("root_path") or "", exc.location, _query(scope))
            await _Reply(308, [(b"location", location.encode("ascii"))])(scope, receive, send)
            return
        reason = "URI Too Long" if exc.status == 414 else "Bad Request"
        await self._plain(scope, receive, send, exc.status, f"{reason}: {exc}")

    def _denial(self, scope: Scope, rule: Rule, token: dict[str, Any] | None) -> ASGIApp:
        deny = rule.deny
        if scope["type"] == "websocket":
            return _WebSocketDenial(403)
        if deny == "redirect":
            return self._sign_in_redirect(scope, rule.sign_in_page or self.sign_in_page)
        if deny == "status":
            return _status_response(401 if token is None else 403)
        if deny == 401 or deny == 403:
            return _status_response(deny)
        return deny

    def _origin(self, scope: Scope) -> str:
        headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in reversed(scope.get("headers") or ())  # the first of repeats wins
            if k in _ORIGIN_HEADERS
        }
        return request_origin(scope, headers, public_url=self.public_url, trust_forwarded=self.trust_forwarded)

    def _sign_in_redirect(self, scope: Scope, page: str) -> ASGIApp:
        root = scope.get("root_path") or ""
        path = raw_route_path(scope)
        location = page_url(self._origin(scope), root, page, {"callbackUrl": callback_path(root, path, _query(scope))})
        return _redirect(location)

    async def _configuration_error(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._warned_unconfigured:
            self._warned_unconfigured = True
            logger.error(
                "no secret configured: redirecting to the error page with error=Configuration. "
                "Set NEXTAUTH_SECRET (or AUTH_SECRET), or pass secret=... to WithAuth."
            )
        if scope["type"] == "websocket":
            await _WebSocketDenial(403)(scope, receive, send)
            return
        location = page_url(
            self._origin(scope), scope.get("root_path") or "", self.error_page, {"error": "Configuration"}
        )
        await _redirect(location)(scope, receive, send)

    async def _plain(self, scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
        if scope["type"] == "websocket":
            await _WebSocketDenial(status)(scope, receive, send)
            return
        await _Reply(status, [(b"content-type", b"text/plain; charset=utf-8")], text.encode())(scope, receive, send)


class _FailureLog:
    """Logs a failure of app code (a callback, a response) with its traceback the first time
    each kind is seen, then as one short line: requests can repeat a failure at will (a token
    whose claims a callback does not expect), and must not flood the log with tracebacks."""

    _MAX_KINDS: Final = 64

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def log(self, message: str, exc: BaseException) -> None:
        kind = (message, type(exc).__qualname__)
        if kind in self._seen or len(self._seen) >= self._MAX_KINDS:
            logger.warning(
                "%s: %s: %r (the traceback was logged the first time)", message, type(exc).__name__, _short(exc)
            )
            return
        self._seen.add(kind)
        logger.error("%s", message, exc_info=exc)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


def _query(scope: Scope) -> str:
    """The query string as sent, its bytes decoded so that each is percent-encoded exactly once."""
    return (scope.get("query_string") or b"").decode("utf-8", "surrogateescape")


def _with_authorized(rule: Rule, authorized: AuthorizedCallback | None) -> Rule:
    return Rule(
        matcher=rule.matcher,
        authorized=authorized or _has_token,
        deny=rule.deny,
        sign_in_page=rule.sign_in_page,
        public=rule.public,
    )


async def _call_authorized(rule: Rule, token: dict[str, Any] | None, conn: HTTPConnection) -> Any:
    assert rule.authorized is not None
    verdict = rule.authorized(token, conn)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    if verdict is True or verdict is False or verdict is None or _is_asgi_app(verdict):
        return verdict
    logger.warning(
        "authorized returned %s; return True or False (or a response). Denying the request.", type(verdict).__name__
    )
    return False


def _is_asgi_app(value: Any) -> bool:
    """Whether ``value`` can be called as an ASGI app, ``app(scope, receive, send)``: a
    Starlette response, or a non-class callable taking those three arguments."""
    if isinstance(value, Response):
        return True
    if not callable(value) or inspect.isclass(value):
        return False
    try:
        inspect.signature(value).bind(None, None, None)
    except (TypeError, ValueError):
        return False
    return True


def _is_preflight(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "OPTIONS":
        return False
    return any(k == b"access-control-request-method" for k, _ in scope.get("headers") or ())


class _Reply:
    """A small complete HTTP response with ``Cache-Control: no-store``, sent as two ASGI
    messages (denials are built per request: no Response object needed)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.status = status
        self.headers = [*headers, (b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode())]
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def _redirect(location: str) -> _Reply:
    return _Reply(307, [(b"location", location.encode("latin-1"))])


_STATUS_BODIES: Final = {
    401: {"error": "unauthorized", "message": "Sign in first: this request carries no valid session."},
    403: {"error": "forbidden", "message": "This session is not allowed to access this resource."},
}
_JSON: Final = (b"content-type", b"application/json")


def _status_response(status: int) -> _Reply:
    headers = [_JSON, (b"www-authenticate", b"Bearer")] if status == 401 else [_JSON]
    return _Reply(status, headers, json.dumps(_STATUS_BODIES[status]).encode())


class _WebSocketDenial:
    """Refuse a websocket before accepting it: an HTTP response where the server offers
    ``websocket.http.response``, else a close with code 1008 (policy violation)."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "websocket.http.response" in (scope.get("extensions") or {}):
            body = json.dumps(_STATUS_BODIES.get(self.status, {"error": "refused"})).encode()
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": self.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})
