"""``WithAuth``: next-auth's ``withAuth`` as a pure ASGI middleware.

Per request, in next-auth's order: match the path (``matcher``/``rules``; unmatched
requests pass straight through, nothing decoded); skip the auth path, the sign-in and
error pages, ``/_next`` and ``/favicon.ico`` (on segment boundaries); with no secret,
redirect to the error page with ``error=Configuration``; read the session (once, cached);
call ``authorized(token, request)``; run the app with ``scope["nextauth"]["token"]``, or
deny: a 307 to the sign-in page with a same-origin ``callbackUrl``, a 401/403 JSON
response, or a response of your own. Anything that goes wrong on the way denies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from .._cache import BoundedCache
from .._logging import FailureLog
from .._matcher import MatcherSet, MatcherSpec, RequestFacts
from .._request.paths import PathPolicy, canonical_route, raw_route_path, under
from .._request.urls import callback_path, canonical_redirect, page_url, scope_origin
from ..crosssite import DEFAULT_PROTECTION, SAFE_METHODS, CrossSiteProtection
from ..errors import MalformedPathError, NonCanonicalPathError
from ..errors import PathTooLongError as MatchTooLongError
from ..options import AuthOptions
from ..sessions import PENDING, FoundToken, SessionStrategy, sessions_for
from .crosssite import cross_site_check, double_submit_refusal
from .replies import Reply, WebSocketDenial, cross_site_denial, plain, redirect, status_response
from .rules import EVERY_PATH, CompiledRule, Deny, Route, Rule, call_authorized, compile_rule, has_token

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..options import AuthKwargs

__all__ = ["WithAuth"]

logger = logging.getLogger("asgi_withauth")

AnyASGIApp: TypeAlias = Callable[[Any, Any, Any], Awaitable[None]]
"""Any ASGI 3 application: Starlette, FastAPI, Litestar, Quart, Django, or a bare callable."""

_PUBLIC_PREFIXES: Final = ("/_next", "/favicon.ico")
_ALLOW: Final = object()
_ROUTE_MEMO_SIZE: Final = 1024
_ROUTE_PATH_MAX: Final = 1024


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
        options: AuthOptions | None = None,
        matcher: MatcherSpec | None = None,
        rules: Sequence[Rule] = (),
        deny: Deny = "redirect",
        public_url: str | None = None,
        trust_forwarded: bool = False,
        allow_preflight: bool = False,
        case_sensitive: bool = False,
        path_policy: PathPolicy | None = None,
        refresh: bool = False,
        absolute_callback_url: bool = False,
        cross_site: CrossSiteProtection | None = DEFAULT_PROTECTION,
        **kwargs: Unpack[AuthKwargs],
    ) -> None:
        self.app = app
        self.options = options = AuthOptions.build(options, **kwargs)
        self.sessions: SessionStrategy = sessions_for(options)
        self.sign_in_page = options.sign_in_page
        self.error_page = options.error_page
        self.auth_path = options.resolved_auth_path
        self.public_url = public_url
        self.trust_forwarded = trust_forwarded
        self.allow_preflight = allow_preflight
        self.case_sensitive = case_sensitive
        self.path_policy = path_policy if path_policy is not None else PathPolicy()
        self.refresh = refresh
        self.absolute_callback_url = absolute_callback_url
        self.cross_site = (
            None
            if cross_site is None
            else cross_site_check(cross_site, self.sessions, public_url=public_url, trust_forwarded=trust_forwarded)
        )
        # The rules refine; the top-level matcher (default: every path) is the last rule.
        all_rules = [*rules, Rule(matcher=matcher if matcher is not None else EVERY_PATH, deny=deny)]
        authorized = options.callback("authorized")
        self._rules = [compile_rule(i, rule, authorized) for i, rule in enumerate(all_rules)]
        self._index = MatcherSet([c.matcher for c in self._rules])
        self._needs_facts = any(c.matcher is not None and c.matcher.needs_facts for c in self._rules)
        # (path, raw_path, root_path) -> (matched rules, passes unchecked): both depend on
        # nothing else unless a matcher has has/missing conditions.
        self._route_memo = not self._needs_facts
        self._routes: BoundedCache[tuple[Any, Any, Any], Route] = BoundedCache(_ROUTE_MEMO_SIZE)
        # The hot path reads claims without a coroutine where it can (see __call__).
        self._claims_now = None if refresh else self.sessions.claims_now
        self._pages = frozenset(path for path in (_local_path(self.sign_in_page), _local_path(self.error_page)) if path)
        self._warned_unconfigured = False
        self._failures = FailureLog()
        if not self.sessions.configured:
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
            route = await self._route(scope, receive, send, key)
            if route is None:  # refused: answered already
                return
        check = self.cross_site
        if check is not None and (scope["type"] == "websocket" or scope.get("method") not in SAFE_METHODS):
            refused = check.refusal_now(scope)
            if refused is None and check.double_submit:
                refused, receive = await double_submit_refusal(check, scope, receive)
            if refused is not None:
                await self._refuse_cross_site(scope, receive, send, route.matched)
                return
        if route.unchecked or (self.allow_preflight and scope.get("method") == "OPTIONS" and _is_preflight(scope)):
            await self.app(scope, receive, send)
            return
        if not self.sessions.configured:
            await self._configuration_error(scope, receive, send)
            return
        claims_now = self._claims_now
        if claims_now is not None and route.plain_rule is not None:
            # The hot path: the default check (a token or not) on claims read without awaiting.
            # PENDING: the strategy must await, or the read raised; _decide then reads again
            # (and logs and denies if it raises again).
            try:
                token = claims_now(scope)
            except Exception:
                token = PENDING
            if token is not PENDING:
                if token is not None:
                    scope["nextauth"] = {"token": token}
                    await self.app(scope, receive, send)
                else:
                    await self._answer(self._denial(scope, route.plain_rule, None), scope, receive, send)
                return
        outcome, found = await self._decide(scope, receive, send, route.matched)
        if outcome is _ALLOW:
            if self.refresh and found is not None and scope["type"] == "http":
                send = self._refreshing(found, scope, send)
            await self.app(scope, receive, send)
        else:
            await self._answer(outcome, scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send, key: tuple[Any, Any, Any]) -> Route | None:
        """The route of a path not in the memo (memoised when it may be); None when the path
        was refused (400, 414, a 308 to its canonical form, or 403 if matching failed)."""
        try:
            path = canonical_route(scope, self.path_policy)
        except MalformedPathError as exc:
            await self._refuse_path(scope, receive, send, exc)
            return None
        lowered = path.lower()
        forms = (path,) if self.case_sensitive or lowered == path else (path, lowered)
        try:
            matched = self._matching_rules(scope, forms)
        except MatchTooLongError:  # over the matchers' limit: a PathPolicy.max_length raised above it
            await plain(scope, receive, send, 414, "URI Too Long: the request path is too long")
            return None
        except Exception as exc:
            self._failures.log("matching the request path failed; denying the request", exc)
            await plain(scope, receive, send, 403, "Forbidden")
            return None
        route = Route(matched, not matched or self._passes_unchecked(scope, forms, matched))
        if self._route_memo and len(key[0] or "") <= _ROUTE_PATH_MAX:
            self._routes.put(key, route)
        return route

    async def _answer(self, outcome: Any, scope: Scope, receive: Receive, send: Send) -> None:
        """Send a denial (a reply of ours) or a response of the callback's own."""
        if isinstance(outcome, Reply):
            await outcome(scope, receive, send)
        elif outcome is not None:
            await self._send_verdict(outcome, scope, receive, send)

    # ------------------------------------------------------------------ decisions

    def _matching_rules(self, scope: Scope, forms: tuple[str, ...]) -> list[CompiledRule]:
        """The first matching rule of each path form (distinct, in rule order)."""
        facts = RequestFacts.from_scope(scope) if self._needs_facts else None
        first = self._index.first
        if len(forms) == 1:
            index = first(forms[0], facts)
            return [] if index is None else [self._rules[index]]
        found = {index for form in forms if (index := first(form, facts)) is not None}
        return [self._rules[i] for i in sorted(found)]

    def _passes_unchecked(self, scope: Scope, forms: tuple[str, ...], matched: list[CompiledRule]) -> bool:
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
        self, scope: Scope, receive: Receive, send: Send, matched: list[CompiledRule]
    ) -> tuple[Any, FoundToken | None]:
        """_ALLOW or the ASGI app that answers a denied request, and the token as found (only
        when a refresh may need it: the hot path builds no FoundToken)."""
        token: dict[str, Any] | None = None
        found: FoundToken | None = None
        try:
            sessions = self.sessions
            if not self.refresh and sessions.claims_now is not None:
                token = sessions.claims_now(scope)  # the hot path: no FoundToken, no coroutine
            if self.refresh or sessions.claims_now is None or token is PENDING:
                found = sessions.read_now(scope) if sessions.read_now is not None else await sessions.read(scope)
                token = None if found is None else found.claims()
            conn: HTTPConnection | None = None
            for compiled in matched:
                if compiled.rule.public:
                    continue
                if compiled.rule.authorized is has_token:  # the default needs no request object
                    verdict: Any = token is not None
                else:
                    if conn is None:
                        conn = Request(scope, receive) if scope["type"] == "http" else WebSocket(scope, receive, send)
                    verdict = await call_authorized(compiled.rule, token, conn)
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

    def _refreshing(self, found: FoundToken, scope: Scope, send: Send) -> Send:
        """``send`` that adds the refreshed session cookie to the response's headers (Auth.js
        v5's middleware does the same); the body is never buffered. The cookie holds the
        session as read, in the format and salt that decoded it: as in Auth.js, the app's
        changes to its own copy of the token never reach it."""
        cookie_name = found.cookie_name
        if cookie_name is None:  # a Bearer token: nothing to refresh
            return send
        name = cookie_name.encode("latin-1")
        sessions, failures = self.sessions, self._failures

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"set-cookie" and v.startswith(name) for k, v in headers):
                    try:
                        cookies = await sessions.refresh(found, scope)
                    except Exception as exc:
                        failures.log("could not refresh the session cookie; the response goes out without it", exc)
                        cookies = []
                    if cookies:
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
            await plain(scope, receive, send, 403, "Forbidden")

    async def _refuse_path(self, scope: Scope, receive: Receive, send: Send, exc: MalformedPathError) -> None:
        """Answer a request whose path is not canonical: a 308 to the canonical form, or 400/414."""
        logger.debug("request path refused: %s", exc)
        if (
            isinstance(exc, NonCanonicalPathError)
            and scope["type"] == "http"
            and self.path_policy.non_canonical == "redirect"
        ):
            location = canonical_redirect(scope.get("root_path") or "", exc.location, _query(scope))
            await redirect(location, 308)(scope, receive, send)
            return
        reason = "URI Too Long" if exc.status == 414 else "Bad Request"
        await plain(scope, receive, send, exc.status, f"{reason}: {exc}")

    async def _refuse_cross_site(self, scope: Scope, receive: Receive, send: Send, matched: list[CompiledRule]) -> None:
        """A refused cross-site write gets the protecting rule's own response (a ``deny`` app),
        else a 403: never the sign-in redirect, since the session may well be valid."""
        deny = next((c.rule.deny for c in matched if not c.rule.public), None)
        if scope["type"] == "http" and deny is not None and not isinstance(deny, str | int):
            await self._send_verdict(deny, scope, receive, send)
            return
        await cross_site_denial(scope)(scope, receive, send)

    def _denial(self, scope: Scope, rule: Rule, token: dict[str, Any] | None) -> ASGIApp:
        deny = rule.deny
        if scope["type"] == "websocket":
            return WebSocketDenial(403)
        if deny == "redirect":
            return self._sign_in_redirect(scope, rule.sign_in_page or self.sign_in_page)
        if deny == "status":
            return status_response(401 if token is None else 403)
        if deny == 401 or deny == 403:
            return status_response(deny)
        return deny

    def _origin(self, scope: Scope) -> str:
        return scope_origin(scope, public_url=self.public_url, trust_forwarded=self.trust_forwarded)

    def _sign_in_redirect(self, scope: Scope, page: str) -> ASGIApp:
        """307 to the sign-in page with ``callbackUrl``: the request's path and query, as
        next-auth sends it, or with ``absolute_callback_url`` this app's origin before them
        (for a sign-in page on another origin, which cannot resolve a bare path to this app)."""
        root = scope.get("root_path") or ""
        path = raw_route_path(scope)
        origin = self._origin(scope)
        callback = callback_path(root, path, _query(scope))
        if self.absolute_callback_url:
            callback = origin + callback
        return redirect(page_url(origin, root, page, {"callbackUrl": callback}))

    async def _configuration_error(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._warned_unconfigured:
            self._warned_unconfigured = True
            logger.error(
                "no secret configured: redirecting to the error page with error=Configuration. "
                "Set NEXTAUTH_SECRET (or AUTH_SECRET), or pass secret=... to WithAuth."
            )
        if scope["type"] == "websocket":
            await WebSocketDenial(403)(scope, receive, send)
            return
        location = page_url(
            self._origin(scope), scope.get("root_path") or "", self.error_page, {"error": "Configuration"}
        )
        await redirect(location)(scope, receive, send)


def _local_path(page: str) -> str | None:
    """The path of a page on this origin; None for a page on another origin."""
    parts = urlsplit(page)
    return None if parts.netloc else parts.path


def _query(scope: Scope) -> str:
    """The query string as sent, its bytes decoded so that each is percent-encoded exactly once."""
    return (scope.get("query_string") or b"").decode("utf-8", "surrogateescape")


def _is_preflight(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "OPTIONS":
        return False
    return any(k == b"access-control-request-method" for k, _ in scope.get("headers") or ())
