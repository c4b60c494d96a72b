"""Cross-site write protection: the Sec-Fetch-Site / Origin rule on writes that carry the
session cookie, trusted origins, next-auth's double-submit token, in WithAuth, in
``CrossSiteMiddleware``, in the FastAPI dependencies and in Starlette's backend."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_withauth import AuthOptions, CrossSiteMiddleware, CrossSiteProtection, Rule, WithAuth, jwt
from asgi_withauth._middleware.crosssite import cross_site_check
from asgi_withauth._request.urls import parse_origin
from asgi_withauth.crosssite import csrf_cookie_value
from asgi_withauth.fastapi import NextAuth
from asgi_withauth.options import Environment
from asgi_withauth.sessions import sessions_for
from tests.asgi import Sent, http_scope, run, websocket_scope

pytestmark = pytest.mark.anyio

SECRET = "cross-site-test-secret"
OPTIONS = AuthOptions(secret=SECRET, env=Environment())
TOKEN = jwt.encode({"sub": "1", "name": "Ada"}, SECRET)
SESSION = {"__Secure-next-auth.session-token": TOKEN}  # pages are on https
CSRF = "c" * 64
CSRF_COOKIE = {"__Host-next-auth.csrf-token": csrf_cookie_value(CSRF, SECRET)}
FRONT_END = "https://app.example.com"


class Inner:
    """The protected app: records what reached it, body included."""

    def __init__(self) -> None:
        self.reached: list[tuple[str, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            self.reached.append(("lifespan", b""))
            return
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            self.reached.append((scope["path"], b""))
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.reached.append((scope["path"], body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"reached"})


async def call(app: Any, scope: dict[str, Any], chunks: Sequence[bytes] = (b"",)) -> Sent:
    """Run ``app`` with a body sent in ``chunks``."""
    if scope["type"] == "websocket":
        return await run(app, scope)
    sent = Sent()
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.messages.append(dict(message))

    await app(scope, receive, send)
    return sent


def guarded(**kwargs: Any) -> tuple[WithAuth, Inner]:
    inner = Inner()
    kwargs.setdefault("options", OPTIONS)
    return WithAuth(inner, matcher=["/admin/:path*", "/api/:path*"], **kwargs), inner


def post(path: str = "/admin/save", *, cookies: Any = SESSION, **headers: str) -> dict[str, Any]:
    pairs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    return http_scope(f"https://api.example.com{path}", method="POST", headers=pairs, cookies=cookies)


# ---------------------------------------------------------------- the rule, through WithAuth

REFUSED = [
    ("cross-site", {"sec_fetch_site": "cross-site", "origin": "https://evil.example"}),
    ("sibling subdomain", {"sec_fetch_site": "same-site", "origin": "https://evil.example.com"}),
    ("cross-site, no Origin", {"sec_fetch_site": "cross-site"}),
    ("unknown Sec-Fetch-Site", {"sec_fetch_site": "cross-origin", "origin": "https://api.example.com"}),
    ("foreign Origin, no Sec-Fetch-Site", {"origin": "https://evil.example"}),
    ("Origin: null (sandboxed frame, data: URL)", {"origin": "null"}),
    ("Origin with a path", {"origin": "https://api.example.com/x"}),
    ("Origin on another port", {"origin": "https://api.example.com:8443"}),
    ("Origin with user info", {"origin": "https://api.example.com@evil.example"}),
    ("Origin of another scheme", {"origin": "file://api.example.com"}),
    ("Origin, suffix of our host", {"origin": "https://example.com"}),
    ("Origin, our host as a prefix", {"origin": "https://api.example.com.evil.example"}),
]
PASSES = [
    ("same-origin", {"sec_fetch_site": "same-origin", "origin": "https://api.example.com"}),
    ("typed by the user", {"sec_fetch_site": "none"}),
    ("not a browser", {}),
    ("same Origin, no Sec-Fetch-Site", {"origin": "https://api.example.com"}),
    ("same Origin, default port spelled", {"origin": "https://api.example.com:443"}),
    ("same host, other scheme (Go's rule)", {"origin": "http://api.example.com"}),
    ("empty Sec-Fetch-Site is no header", {"sec_fetch_site": "", "origin": "https://api.example.com"}),
]


@pytest.mark.parametrize(("why", "headers"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_a_cross_site_write_with_the_session_cookie_is_refused(why: str, headers: dict[str, str]) -> None:
    app, inner = guarded()
    sent = await call(app, post(**headers))
    assert sent.status == 403, why
    assert json.loads(sent.body)["error"] == "cross_site_request"
    assert inner.reached == []


@pytest.mark.parametrize(("why", "headers"), PASSES, ids=[c[0] for c in PASSES])
async def test_a_same_origin_write_passes(why: str, headers: dict[str, str]) -> None:
    app, inner = guarded()
    sent = await call(app, post(**headers), [b"a=1"])
    assert sent.status == 200, why
    assert inner.reached == [("/admin/save", b"a=1")]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "post"])
async def test_every_method_but_the_safe_ones_is_checked(method: str) -> None:
    app, inner = guarded()
    scope = {**post(sec_fetch_site="cross-site"), "method": method}
    assert (await call(app, scope)).status == 403
    assert inner.reached == []


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_safe_methods_are_not_checked(method: str) -> None:
    app, inner = guarded()
    scope = {**post(sec_fetch_site="cross-site", origin="https://evil.example"), "method": method}
    assert (await call(app, scope)).status == 200
    assert len(inner.reached) == 1


async def test_a_bearer_request_is_not_checked() -> None:
    """A cross-site page cannot set Authorization without a CORS preflight: nothing ambient."""
    app, inner = guarded()
    scope = post(cookies=None, sec_fetch_site="cross-site", authorization=f"Bearer {TOKEN}")
    assert (await call(app, scope)).status == 200
    assert len(inner.reached) == 1


async def test_without_the_session_cookie_the_usual_decision_applies() -> None:
    app, inner = guarded()
    other_cookie = {"theme": "dark"}
    public = await call(app, post("/public/form", cookies=other_cookie, sec_fetch_site="cross-site"))
    protected = await call(app, post("/admin/save", cookies=other_cookie, sec_fetch_site="cross-site"))
    assert public.status == 200
    assert protected.status == 307  # not signed in: the sign-in redirect, as without the check
    assert [path for path, _ in inner.reached] == ["/public/form"]


async def test_a_broken_session_cookie_counts_as_the_session_cookie() -> None:
    app, inner = guarded()
    sent = await call(app, post(cookies={"__Secure-next-auth.session-token": "garbage"}, sec_fetch_site="cross-site"))
    assert sent.status == 403
    assert inner.reached == []


async def test_chunked_and_secure_session_cookies_are_seen() -> None:
    app, inner = guarded()
    chunked = {"__Secure-next-auth.session-token.0": TOKEN[:100], "__Secure-next-auth.session-token.1": TOKEN[100:]}
    assert (await call(app, post(cookies=chunked, sec_fetch_site="cross-site"))).status == 403
    authjs = {"__Secure-authjs.session-token": "x"}
    assert (await call(app, post(cookies=authjs, origin="https://evil.example"))).status == 403
    assert inner.reached == []


async def test_paths_withauth_does_not_protect_are_checked_too() -> None:
    """The session cookie is ambient on every path: unmatched, public rules, the auth path."""
    app, inner = guarded(rules=[Rule(matcher="/open/:path*", public=True)])
    for path in ("/elsewhere", "/open/x", "/api/auth/session", "/_next/x"):
        assert (await call(app, post(path, sec_fetch_site="cross-site"))).status == 403, path
    assert inner.reached == []


async def test_conflicting_origin_headers_are_refused() -> None:
    app, inner = guarded()
    scope = post()
    scope["headers"] += [(b"origin", b"https://api.example.com"), (b"origin", b"https://evil.example")]
    assert (await call(app, scope)).status == 403
    scope = post()
    scope["headers"] += [(b"sec-fetch-site", b"same-origin"), (b"sec-fetch-site", b"cross-site")]
    assert (await call(app, scope)).status == 403
    assert inner.reached == []


async def test_a_cross_site_websocket_handshake_is_refused() -> None:
    app, inner = guarded()
    scope = websocket_scope(
        "wss://api.example.com/api/live", headers={"origin": "https://evil.example"}, cookies=SESSION
    )
    sent = await run(app, scope)
    assert sent.messages == [{"type": "websocket.close", "code": 1008}]
    same = websocket_scope(
        "wss://api.example.com/api/live", headers={"origin": "https://api.example.com"}, cookies=SESSION
    )
    await run(app, same)
    assert inner.reached == [("/api/live", b"")]


async def test_a_rule_with_its_own_denial_answers_with_it() -> None:
    async def teapot(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app, inner = guarded(rules=[Rule(matcher="/admin/:path*", deny=teapot)])
    assert (await call(app, post(sec_fetch_site="cross-site"))).status == 418
    redirecting, _ = guarded()
    assert (await call(redirecting, post(sec_fetch_site="cross-site"))).status == 403  # never the sign-in page
    assert inner.reached == []


async def test_it_can_be_turned_off() -> None:
    app, inner = guarded(cross_site=None)
    assert (await call(app, post(sec_fetch_site="cross-site"))).status == 200
    assert len(inner.reached) == 1


# ---------------------------------------------------------------- trusted origins


async def test_a_trusted_front_end_may_write() -> None:
    app, inner = guarded(cross_site=CrossSiteProtection(trusted_origins=[FRONT_END + "/"]))
    assert (await call(app, post(sec_fetch_site="same-site", origin=FRONT_END))).status == 200
    assert (await call(app, post(sec_fetch_site="cross-site", origin="https://APP.example.com:443"))).status == 200
    assert (await call(app, post(origin=FRONT_END))).status == 200
    assert (await call(app, post(sec_fetch_site="cross-site", origin="http://app.example.com"))).status == 403
    assert (await call(app, post(sec_fetch_site="cross-site", origin="https://app.example.com:8443"))).status == 403
    assert len(inner.reached) == 3


async def test_the_next_apps_origins_are_trusted_by_default() -> None:
    """An absolute sign-in page and NEXTAUTH_URL name the Next.js app: its writes pass."""
    options = AuthOptions(
        secret=SECRET,
        sign_in_page="https://app.example.com/login",
        env=Environment(nextauth_url="auth.example.com/api/auth"),
    )
    app, _ = guarded(options=options)
    assert (await call(app, post(sec_fetch_site="same-site", origin=FRONT_END))).status == 200
    assert (await call(app, post(sec_fetch_site="cross-site", origin="https://auth.example.com"))).status == 200
    assert (await call(app, post(sec_fetch_site="cross-site", origin="https://evil.example"))).status == 403
    strict, _ = guarded(options=options, cross_site=CrossSiteProtection(trust_auth_origins=False))
    assert (await call(strict, post(sec_fetch_site="same-site", origin=FRONT_END))).status == 403


async def test_the_public_url_is_this_sites_origin() -> None:
    """Behind a proxy the Host is internal: the public URL is the origin pages are served from."""
    app, _ = guarded(public_url="https://www.example.com")
    scope = http_scope("http://10.0.0.7:8000/admin/save", method="POST", cookies=SESSION)
    scope["headers"].append((b"origin", b"https://www.example.com"))
    assert (await call(app, scope)).status == 200
    forwarded, _ = guarded(trust_forwarded=True)
    scope = http_scope("http://10.0.0.7:8000/admin/save", method="POST", cookies=SESSION)
    scope["headers"] += [
        (b"x-forwarded-host", b"www.example.com"),
        (b"x-forwarded-proto", b"https"),
        (b"origin", b"https://www.example.com"),
    ]
    assert (await call(forwarded, scope)).status == 200
    untrusted, _ = guarded()
    assert (await call(untrusted, scope)).status == 403  # X-Forwarded-* means nothing without trust


@pytest.mark.parametrize(
    "origin",
    ["app.example.com", "https://app.example.com/path", "ftp://app.example.com", "https://a@b", "null", "*", ""],
)
def test_trusted_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ValueError, match="scheme://host"):
        CrossSiteProtection(trusted_origins=[origin])


@pytest.mark.parametrize("header", ["", "X CSRF", "X-Csrf-Tökén", "x:csrf"])
def test_the_csrf_header_must_be_a_header_name(header: str) -> None:
    with pytest.raises(ValueError, match="header name"):
        CrossSiteProtection(double_submit=True, csrf_header=header)


def test_trusted_origins_is_a_list_not_a_string() -> None:
    with pytest.raises(TypeError, match="list of origins"):
        CrossSiteProtection(trusted_origins=FRONT_END)


# ---------------------------------------------------------------- next-auth's double submit

DOUBLE = CrossSiteProtection(double_submit=True)


def same_origin_post(cookies: dict[str, str], content_type: str | None = None, **headers: str) -> dict[str, Any]:
    extra = {"sec_fetch_site": "same-origin", **headers}
    if content_type:
        extra["content_type"] = content_type
    return post(cookies=cookies, **extra)


async def test_double_submit_accepts_the_token_in_a_header() -> None:
    app, inner = guarded(cross_site=DOUBLE)
    ok = await call(app, same_origin_post({**SESSION, **CSRF_COOKIE}, x_csrf_token=CSRF))
    wrong = await call(app, same_origin_post({**SESSION, **CSRF_COOKIE}, x_csrf_token="d" * 64))
    missing = await call(app, same_origin_post({**SESSION, **CSRF_COOKIE}))
    no_cookie = await call(app, same_origin_post(SESSION, x_csrf_token=CSRF))
    assert [ok.status, wrong.status, missing.status, no_cookie.status] == [200, 403, 403, 403]
    assert len(inner.reached) == 1


async def test_double_submit_reads_a_form_field_and_the_app_still_gets_the_whole_body() -> None:
    app, inner = guarded(cross_site=DOUBLE)
    scope = same_origin_post({**SESSION, **CSRF_COOKIE}, "application/x-www-form-urlencoded; charset=utf-8")
    chunks = [b"title=hello&csrf", f"Token={CSRF}&".encode(), b"rest=" + b"x" * 1000]
    sent = await call(app, scope, chunks)
    assert sent.status == 200
    assert inner.reached == [("/admin/save", b"".join(chunks))]


async def test_double_submit_reads_a_json_field() -> None:
    app, inner = guarded(cross_site=DOUBLE)
    scope = same_origin_post({**SESSION, **CSRF_COOKIE}, "application/json")
    body = json.dumps({"csrfToken": CSRF, "data": {"name": "Ada"}}).encode()
    assert (await call(app, scope, [body])).status == 200
    assert (await call(app, scope, [b'{"csrfToken": 1}'])).status == 403
    assert (await call(app, scope, [b"[" * 100_000])).status == 403  # too deep, too large: refused, no 500
    assert inner.reached == [("/admin/save", body)]


async def test_double_submit_refuses_a_body_over_the_limit_and_a_cookie_it_did_not_sign() -> None:
    app, inner = guarded(cross_site=DOUBLE)
    form = "application/x-www-form-urlencoded"
    huge = await call(app, same_origin_post({**SESSION, **CSRF_COOKIE}, form), [f"csrfToken={CSRF}&".encode() * 5000])
    forged = {"__Host-next-auth.csrf-token": f"{CSRF}|{'0' * 64}"}
    unsigned = await call(app, same_origin_post({**SESSION, **forged}, x_csrf_token=CSRF))
    other_secret = {"__Host-next-auth.csrf-token": csrf_cookie_value(CSRF, "another secret")}
    foreign = await call(app, same_origin_post({**SESSION, **other_secret}, x_csrf_token=CSRF))
    assert [huge.status, unsigned.status, foreign.status] == [403, 403, 403]
    assert inner.reached == []


async def test_double_submit_uses_the_host_prefixed_cookie_on_https_and_the_authjs_name() -> None:
    options = AuthOptions(secret=SECRET, secure_cookie=True, env=Environment())
    app, _ = guarded(options=options, cross_site=DOUBLE)
    session = {"__Secure-authjs.session-token": "x"}
    prefixed = {"__Host-authjs.csrf-token": csrf_cookie_value(CSRF, SECRET)}
    bare = {"authjs.csrf-token": csrf_cookie_value(CSRF, SECRET)}  # a sibling subdomain could set this one
    assert (await call(app, same_origin_post({**session, **prefixed}, x_csrf_token=CSRF))).status != 403
    assert (await call(app, same_origin_post({**session, **bare}, x_csrf_token=CSRF))).status == 403


async def test_double_submit_with_a_secret_list_hashes_as_next_auth_prints_it() -> None:
    secrets = ["new-secret", "old-secret"]
    options = AuthOptions(secret=secrets, env=Environment())
    app, _ = guarded(options=options, cross_site=DOUBLE)
    cookie = {"__Host-next-auth.csrf-token": csrf_cookie_value(CSRF, "new-secret,old-secret")}
    token = jwt.encode({"sub": "1"}, "new-secret")
    scope = same_origin_post({"__Secure-next-auth.session-token": token, **cookie}, x_csrf_token=CSRF)
    assert (await call(app, scope)).status == 200


# ---------------------------------------------------------------- without WithAuth


async def test_cross_site_middleware_alone() -> None:
    inner = Inner()
    app = CrossSiteMiddleware(inner, options=OPTIONS, protection=CrossSiteProtection(trusted_origins=[FRONT_END]))
    assert (await call(app, post("/anything", sec_fetch_site="cross-site"))).status == 403
    assert (await call(app, post("/anything", sec_fetch_site="cross-site", origin=FRONT_END))).status == 200
    assert (await call(app, post("/anything", cookies=None, sec_fetch_site="cross-site"))).status == 200
    lifespan: list[Any] = []

    async def noop_receive() -> Any:
        return {"type": "lifespan.startup"}

    async def record(message: Any) -> None:
        lifespan.append(message)

    await app({"type": "lifespan"}, noop_receive, record)  # other scope types go straight through
    assert [path for path, _ in inner.reached] == ["/anything", "/anything", "lifespan"]


async def test_fastapi_dependencies_refuse_a_cross_site_write() -> None:
    auth = NextAuth(OPTIONS, cross_site=DOUBLE)
    api = FastAPI()

    require = Depends(auth.require())
    token_or_none = Depends(auth.token)

    @api.post("/notes")
    async def notes(request: Request, token: dict[str, Any] = require) -> dict[str, Any]:
        return {"body": (await request.body()).decode(), "sub": token["sub"]}

    @api.post("/open")
    async def open_(token: dict[str, Any] | None = token_or_none) -> dict[str, Any]:
        return {"signed_in": token is not None}

    form = "application/x-www-form-urlencoded"
    cookies = {**SESSION, **CSRF_COOKIE}
    ok = await call(
        api,
        post("/notes", cookies=cookies, sec_fetch_site="same-origin", content_type=form),
        [f"title=hi&csrfToken={CSRF}".encode()],
    )
    assert (ok.status, json.loads(ok.body)) == (200, {"body": f"title=hi&csrfToken={CSRF}", "sub": "1"})
    cross = await call(
        api,
        post("/notes", cookies=cookies, sec_fetch_site="cross-site", content_type=form),
        [f"title=hi&csrfToken={CSRF}".encode()],
    )
    assert cross.status == 403
    no_token = await call(api, post("/open", cookies=cookies, sec_fetch_site="same-origin"))
    assert no_token.status == 403
    bearer = await call(api, post("/open", cookies=None, sec_fetch_site="cross-site", authorization=f"Bearer {TOKEN}"))
    assert (bearer.status, json.loads(bearer.body)) == (200, {"signed_in": True})


async def test_starlettes_backend_treats_a_cross_site_write_as_signed_out() -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from asgi_withauth.starlette_auth import NextAuthBackend

    async def whoami(request: Request) -> JSONResponse:
        return JSONResponse({"user": request.user.display_name if request.user.is_authenticated else None})

    app = Starlette(
        routes=[Route("/whoami", whoami, methods=["GET", "POST"])],
        middleware=[Middleware(AuthenticationMiddleware, backend=NextAuthBackend(OPTIONS))],
    )
    same = await call(app, post("/whoami", sec_fetch_site="same-origin"))
    cross = await call(app, post("/whoami", sec_fetch_site="cross-site"))
    read = await call(app, {**post("/whoami", sec_fetch_site="cross-site"), "method": "GET"})
    assert [json.loads(s.body)["user"] for s in (same, cross, read)] == ["Ada", None, "Ada"]


# ---------------------------------------------------------------- any header, no 500, no pass

header_values = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([b"null", FRONT_END.encode(), b"https://evil.example", b"https://api.example.com", b"cross-site"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    origin=st.one_of(st.none(), header_values),
    site=st.one_of(st.none(), header_values, st.sampled_from([b"same-site", b"same-origin", b"none"])),
    host=header_values,
)
def test_any_origin_headers_give_a_clean_verdict(origin: bytes | None, site: bytes | None, host: bytes) -> None:
    """Arbitrary Origin, Sec-Fetch-Site and Host bytes: the check never raises, and a write
    passes only when the rule says so."""
    check = cross_site_check(CrossSiteProtection(trusted_origins=[FRONT_END]), sessions_for(OPTIONS))
    scope = http_scope("https://api.example.com/x", method="POST", cookies=SESSION)
    scope["headers"] = [(b"host", host), *scope["headers"][1:]]
    if origin is not None:
        scope["headers"].append((b"origin", origin))
    if site is not None:
        scope["headers"].append((b"sec-fetch-site", site))
    reason = check.origin_refusal(scope)
    site_text = None if site is None else site.decode("latin-1")
    origin_text = None if origin is None else origin.decode("latin-1")
    parsed = None if origin_text is None else parse_origin(origin_text)
    if site_text in ("same-origin", "none") or (not site_text and origin_text is None):
        assert reason is None
    elif parsed is None:
        assert reason is not None  # null, garbage, a path: never a pass
    elif parsed == FRONT_END:
        assert reason is None
    elif site_text:
        assert reason is not None  # same-site, cross-site or anything else, from an untrusted origin
