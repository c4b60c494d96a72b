"""WithAuth: decisions, rules, denial modes, websockets, cache, and every way around it."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from asgi_withauth import AuthOptions, PathPolicy, Rule, WithAuth, jwt
from asgi_withauth._matcher import MatcherSet
from asgi_withauth.sessions import TokenReader
from tests.asgi import http_scope, lifespan_scope, run, run_following

pytestmark = pytest.mark.anyio

SECRET = "middleware-secret"
ADMIN = {"sub": "1", "role": "admin", "name": "Ada"}
USER = {"sub": "2", "role": "user"}


class Inner:
    """The protected app: records what reached it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls.append(scope)
        if scope["type"] == "lifespan":
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1000})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"inner"})

    @property
    def token(self) -> Any:
        return self.calls[-1]["nextauth"]["token"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)


def cookie(claims: dict[str, Any] | None = None, **encode: Any) -> dict[str, str]:
    return {"cookie": f"next-auth.session-token={jwt.encode(claims or ADMIN, SECRET, **encode)}"}


def callback_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["callbackUrl"][0]


# --------------------------------------------------------------------------- basics


async def test_allowed_request_gets_the_token_in_scope() -> None:
    inner = Inner()
    sent = await run(WithAuth(inner, secret=SECRET), http_scope("http://app.test/dashboard", headers=cookie()))
    assert sent.status == 200
    assert inner.token["role"] == "admin"
    assert inner.token["exp"] > inner.token["iat"]


async def test_denied_request_is_redirected_like_with_auth() -> None:
    inner = Inner()
    sent = await run(WithAuth(inner, secret=SECRET), http_scope("http://app.test/dash?x=1 2", root_path=""))
    assert sent.status == 307
    assert sent.headers["location"] == "http://app.test/api/auth/signin?callbackUrl=%2Fdash%3Fx%3D1%25202"
    assert sent.headers["cache-control"] == "no-store"
    assert sent.body == b""
    assert inner.calls == []


async def test_root_path_plays_base_path() -> None:
    scope = http_scope("http://127.0.0.1/custom-base-path/protected/pathA", root_path="/custom-base-path")
    sent = await run(WithAuth(Inner(), secret=SECRET), scope)
    assert sent.headers["location"] == (
        "http://127.0.0.1/custom-base-path/api/auth/signin?callbackUrl=%2Fcustom-base-path%2Fprotected%2FpathA"
    )


async def test_unmatched_paths_pass_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing may be decoded for an unmatched path")

    monkeypatch.setattr(TokenReader, "find", never)
    inner = Inner()
    app = WithAuth(inner, secret=SECRET, matcher="/admin/:path*")
    sent = await run(app, http_scope("http://app.test/public", headers=cookie()))
    assert sent.status == 200
    assert "nextauth" not in inner.calls[0]


async def test_invalid_tokens_are_no_tokens() -> None:
    app = WithAuth(Inner(), secret=SECRET)
    token = jwt.encode(ADMIN, SECRET)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for header in (
        cookie(max_age=-60),
        {"cookie": f"next-auth.session-token={tampered}"},
        {"cookie": f"next-auth.session-token={jwt.encode(ADMIN, 'other-secret')}"},
        {"cookie": "next-auth.session-token=\x00junk"},
        {"authorization": "Bearer %E0%A4%A"},
    ):
        assert (await run(app, http_scope("http://app.test/x", headers=header))).status == 307


async def test_lifespan_and_other_scopes_pass_untouched() -> None:
    inner = Inner()
    scope = lifespan_scope()
    await WithAuth(inner, secret=SECRET)(scope, None, None)  # type: ignore[arg-type]
    assert inner.calls == [scope]


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize("path", ["/_nextfoo", "/favicon.ico.evil", "/api/authx", "/api/auth-admin/users"])
async def test_public_prefixes_are_segments_not_string_prefixes(path: str) -> None:
    assert (await run(WithAuth(Inner(), secret=SECRET), http_scope(f"http://app.test{path}"))).status == 307


@pytest.mark.parametrize(
    "path", ["/api/auth", "/api/auth/session", "/_next/static/x.js", "/favicon.ico", "/api/auth/signin"]
)
async def test_next_auth_public_paths_pass(path: str) -> None:
    inner = Inner()
    assert (await run(WithAuth(inner, secret=SECRET), http_scope(f"http://app.test{path}"))).status == 200
    assert "nextauth" not in inner.calls[0]


async def test_nextauth_url_path_is_matched_on_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTAUTH_URL", "https://example.com/a")
    app = WithAuth(Inner(), secret=SECRET)
    assert (await run(app, http_scope("http://app.test/admin"))).status == 307
    assert (await run(app, http_scope("http://app.test/a/session"))).status == 200


# Every spelling of a protected path: (path, raw_path, the canonical path it is redirected to,
# or None when it is canonical already, or "400" when it is refused).
BYPASSES: list[tuple[str, bytes | None, str | None]] = [
    ("/admin", None, None),
    ("//admin", None, "/admin"),
    ("/./admin", None, "/admin"),
    ("/x/../admin", None, "/admin"),
    ("/%61dmin", None, None),
    ("/admin%2F..", None, "/"),
    ("/admin/", None, None),
    ("/ADMIN", None, None),
    ("/admin;x", None, "400"),
    ("/adm%69n/panel", None, None),
    ("/x/..%2Fadmin", None, "/admin"),
    ("/admin%2fpanel", None, "/admin/panel"),
    ("/x\\..\\admin", b"/x\\..\\admin", "/admin"),
    ("/x%5c..%5cadmin", None, "/admin"),
    ("/admin%252F..", None, "400"),
    ("/%2e%2e/admin", None, "/admin"),
    ("/x/.%2E/admin/", None, "/admin/"),
    ("/admin/x/..", None, "/admin/"),
]


@pytest.mark.parametrize(("path", "raw", "canonical"), BYPASSES, ids=[p for p, _, _ in BYPASSES])
async def test_no_encoding_of_a_protected_path_gets_through(
    path: str, raw: bytes | None, canonical: str | None
) -> None:
    inner = Inner()
    app = WithAuth(inner, secret=SECRET, matcher=["/admin", "/admin/:path*"])
    first, final = await run_following(app, http_scope(f"http://app.test{path}", raw_path=raw))
    signed_in, signed_in_final = await run_following(
        app, http_scope(f"http://app.test{path}", raw_path=raw, headers=cookie())
    )
    if canonical is None:
        assert (first.status, signed_in.status) == (307, 200)
    elif canonical == "400":
        assert (first.status, signed_in.status) == (400, 400)
    else:
        assert (first.status, signed_in.status) == (308, 308)
        assert first.headers["location"] == canonical
        assert final.status == 307 if canonical.startswith("/admin") else 200
        assert signed_in_final.status == 200
    anonymous = [c["path"] for c in inner.calls if c.get("nextauth", {}).get("token") is None]
    assert not [p for p in anonymous if p.lower().startswith("/admin")]  # never an anonymous admin request


@pytest.mark.parametrize("raw", [b"/admin%00", b"/admin%0A", b"/admin%0d", b"/%C0%AFadmin", b"/admin%FF", b"/a%zz"])
async def test_malformed_paths_are_400(raw: bytes) -> None:
    inner = Inner()
    sent = await run(WithAuth(inner, secret=SECRET), http_scope("http://app.test/", raw_path=raw))
    assert sent.status == 400
    assert inner.calls == []


async def test_case_sensitive_policy_is_opt_in() -> None:
    app = WithAuth(Inner(), secret=SECRET, matcher="/admin/:path*", case_sensitive=True)
    assert (await run(app, http_scope("http://app.test/ADMIN"))).status == 200
    assert (await run(app, http_scope("http://app.test/admin"))).status == 307


@pytest.mark.parametrize(
    "header",
    [
        ("x-middleware-subrequest", "middleware:middleware:middleware:middleware:middleware"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-prefix", "/api/auth"),
        ("x-original-url", "/api/auth/session"),
        ("x-rewrite-url", "/_next/static/x"),
        ("x-nextauth-skip", "1"),
    ],
)
async def test_no_header_turns_protection_off(header: tuple[str, str]) -> None:
    sent = await run(WithAuth(Inner(), secret=SECRET), http_scope("http://app.test/admin", headers=[header]))
    assert sent.status == 307
    assert sent.headers["location"].startswith("http://app.test/")


async def test_forwarded_headers_only_when_trusted() -> None:
    headers = {"x-forwarded-proto": "https", "x-forwarded-host": "app.example.com"}
    scope = http_scope("http://internal:8000/admin", headers=headers)
    assert (await run(WithAuth(Inner(), secret=SECRET), scope)).headers["location"].startswith("http://internal:8000/")
    trusted = WithAuth(Inner(), secret=SECRET, trust_forwarded=True)
    assert (await run(trusted, scope)).headers["location"].startswith("https://app.example.com/")
    public = WithAuth(Inner(), secret=SECRET, public_url="https://www.example.com")
    assert (await run(public, scope)).headers["location"].startswith("https://www.example.com/")


async def test_malformed_host_never_reaches_the_location() -> None:
    scope = http_scope("http://app.test/admin", headers={"host": "evil.example/@x"})
    scope["headers"] = [h for h in scope["headers"] if h[0] != b"host" or h[1] == b"evil.example/@x"]
    location = (await run(WithAuth(Inner(), secret=SECRET), scope)).headers["location"]
    assert urlsplit(location).hostname == "app.test"


@pytest.mark.parametrize(
    "raw",
    [b"//evil.example", b"///evil.example", b"/\\evil.example", b"/%2F%2Fevil.example", b"/%5C%5Cevil.example"],
)
async def test_callback_url_is_always_a_same_origin_path(raw: bytes) -> None:
    first, sent = await run_following(WithAuth(Inner(), secret=SECRET), http_scope("http://app.test/", raw_path=raw))
    assert first.status == 308
    assert first.headers["location"] == "/evil.example"  # the canonical path: never //host
    callback = callback_of(sent.headers["location"])
    assert callback.startswith("/")
    assert not callback.startswith("//")
    assert "\\" not in callback
    assert urlsplit(callback).netloc == ""


async def test_redirects_carry_no_token_material() -> None:
    token = jwt.encode(USER, SECRET)
    app = WithAuth(Inner(), secret=SECRET, authorized=lambda token, request: False)
    sent = await run(app, http_scope("http://app.test/x", headers={"cookie": f"next-auth.session-token={token}"}))
    assert sent.status == 307
    for part in token.split("."):
        if part:
            assert part not in sent.headers["location"]
            assert part.encode() not in sent.body
    assert "set-cookie" not in sent.headers


# --------------------------------------------------------------------------- authorized


async def test_authorized_none_denies_even_with_a_token() -> None:
    app = WithAuth(Inner(), secret=SECRET, callbacks={"authorized": lambda token, request: None})
    assert (await run(app, http_scope("http://app.test/x", headers=cookie()))).status == 307


@pytest.mark.parametrize("value", ["yes", 1, {"ok": True}, [1]])
async def test_other_non_bool_values_deny_with_a_warning(value: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = WithAuth(Inner(), secret=SECRET, authorized=lambda token, request: value)
    with caplog.at_level(logging.WARNING, logger="asgi_withauth"):
        assert (await run(app, http_scope("http://app.test/x", headers=cookie()))).status == 307
    assert "return True or False" in caplog.text


async def test_async_authorized_sees_token_and_request() -> None:
    seen: list[Any] = []

    async def authorized(token: Any, request: Any) -> bool:
        seen.append((token["role"], request.url.path, request.headers["x-test"]))
        return True

    app = WithAuth(Inner(), secret=SECRET, authorized=authorized)
    scope = http_scope("http://app.test/x", headers={**cookie(), "x-test": "1"})
    assert (await run(app, scope)).status == 200
    assert seen == [("admin", "/x", "1")]


async def test_exceptions_deny_never_500(caplog: pytest.LogCaptureFixture) -> None:
    def boom(token: Any, request: Any) -> bool:
        raise RuntimeError("callback bug")

    def bad_hook(**_: Any) -> None:
        raise ValueError("hook bug")

    with caplog.at_level(logging.DEBUG, logger="asgi_withauth"):
        sent = await run(WithAuth(Inner(), secret=SECRET, authorized=boom), http_scope("http://app.test/x"))
        assert sent.status == 307
        assert "Traceback" in caplog.text
        assert "callback bug" in caplog.text
        hooked = WithAuth(Inner(), jwt={"decode": bad_hook})
        assert (await run(hooked, http_scope("http://app.test/x", headers=cookie()))).status == 307


async def test_a_failing_matcher_denies(monkeypatch: pytest.MonkeyPatch) -> None:
    app = WithAuth(Inner(), secret=SECRET, matcher="/admin/:path*")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("matcher bug")

    monkeypatch.setattr(MatcherSet, "first", broken)
    sent = await run(app, http_scope("http://app.test/admin"))
    assert sent.status == 403
    assert b"matcher bug" not in sent.body


async def test_authorized_may_return_a_response() -> None:
    def authorized(token: Any, request: Any) -> Any:
        return PlainTextResponse("teapot", status_code=418)

    sent = await run(WithAuth(Inner(), secret=SECRET, authorized=authorized), http_scope("http://app.test/x"))
    assert (sent.status, sent.body) == (418, b"teapot")


async def test_a_redirect_verdict_is_sent_even_to_the_current_path() -> None:
    inner = Inner()

    def authorized(token: Any, request: Any) -> Any:
        if request.url.scheme == "http":
            return RedirectResponse(str(request.url.replace(scheme="https")), status_code=307)
        return token is not None

    app = WithAuth(inner, secret=SECRET, authorized=authorized)
    upgrade = await run(app, http_scope("http://app.test/x"))
    assert (upgrade.status, upgrade.headers["location"]) == (307, "https://app.test/x")
    assert (await run(app, http_scope("http://app.test/login"))).status == 307  # not the sign-in page: no skip
    assert inner.calls == []  # a redirect verdict never becomes an allow


@pytest.mark.parametrize("verdict", [dict, list, print, lambda: None, lambda scope: None, object()])
async def test_a_verdict_that_is_not_an_asgi_app_denies(verdict: Any) -> None:
    inner = Inner()
    app = WithAuth(inner, secret=SECRET, authorized=lambda token, request: verdict, deny=403)
    sent = await run(app, http_scope("http://app.test/x", headers=cookie()))
    assert sent.status == 403
    assert inner.calls == []


@pytest.mark.parametrize("raw", [b"/x/../admin", b"/x/%2e%2e/admin", b"//admin", b"/x%2f..%2fadmin", b"/x\\..\\admin"])
async def test_the_ported_path_callback_sees_the_canonical_path(raw: bytes) -> None:
    """next-auth's documented callback, ported: Next.js hands it the normalised pathname."""
    inner = Inner()
    seen: list[str] = []

    def authorized(token: Any, request: Any) -> bool:
        seen.append(request.url.path)
        if request.url.path.startswith("/admin"):
            return token is not None and token.get("role") == "admin"
        return token is not None

    app = WithAuth(inner, secret=SECRET, authorized=authorized)
    first, final = await run_following(app, http_scope("http://app.test/", raw_path=raw, headers=cookie(USER)))
    assert first.status == 308
    assert final.status == 307  # the non-admin is sent to sign in, never let into /admin
    assert seen == ["/admin"]
    assert inner.calls == []


async def test_a_failing_callback_logs_one_traceback_then_one_line_per_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def authorized(token: Any, request: Any) -> bool:
        return bool(token["roles"].lower())  # a token whose claims the callback does not expect

    app = WithAuth(Inner(), secret=SECRET, authorized=authorized, deny=403)
    with caplog.at_level(logging.WARNING, logger="asgi_withauth"):
        for _ in range(5):
            assert (await run(app, http_scope("http://app.test/x", headers=cookie(USER)))).status == 403
    assert len(caplog.records) == 5
    assert sum(r.exc_info is not None for r in caplog.records) == 1
    assert all("\n" not in r.getMessage() for r in caplog.records[1:])
    assert "KeyError" in caplog.records[1].getMessage()


async def test_paths_too_long_to_match_are_414_whatever_the_policy() -> None:
    inner = Inner()
    app = WithAuth(inner, secret=SECRET, matcher="/admin/:path*", path_policy=PathPolicy(max_length=100_000))
    long_path = "/admin/" + "a" * 5000  # over the matchers' limit: no rule can be said not to apply
    assert (await run(app, http_scope("http://app.test/", raw_path=long_path.encode()))).status == 414
    astral = "/admin/" + "\U0001f600" * 3000  # under the limit in characters, twice that in UTF-16 units
    assert (await run(app, http_scope("http://app.test/", raw_path=quote(astral).encode()))).status == 307
    default = WithAuth(inner, secret=SECRET)
    assert (await run(default, http_scope("http://app.test/", raw_path=b"/" + b"a" * 5000))).status == 414
    assert inner.calls == []


def _returning(verdict: Any) -> Any:
    return lambda token, request: verdict


async def test_a_verdict_app_that_fails_before_answering_denies() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("no response")

    def sync_app(scope: Any, receive: Any, send: Any) -> None:
        return None  # not awaitable: calling it "works", awaiting it fails

    for verdict in (broken, sync_app):
        inner = Inner()
        app = WithAuth(inner, secret=SECRET, authorized=_returning(verdict))
        sent = await run(app, http_scope("http://app.test/x", headers=cookie()))
        assert sent.status == 403
        assert inner.calls == []


# --------------------------------------------------------------------------- rules and denials


def admin_only(token: Any, request: Any) -> bool:
    return bool(token) and token.get("role") == "admin"


def area_app(**options: Any) -> WithAuth:
    return WithAuth(
        Inner(),
        secret=SECRET,
        rules=[
            Rule("/api/public/:path*", public=True),
            Rule("/api/admin/:path*", authorized=admin_only, deny="status"),
            Rule("/api/:path*", deny=401),
            Rule("/admin/:path*", authorized=admin_only, sign_in_page="/admin-login"),
            Rule("/teapot", deny=PlainTextResponse("no", status_code=418)),
        ],
        **options,
    )


async def test_rules_first_match_wins_with_their_own_denials() -> None:
    app = area_app()
    assert (await run(app, http_scope("http://app.test/api/public/x"))).status == 200
    anonymous = await run(app, http_scope("http://app.test/api/admin/x"))
    assert anonymous.status == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert b'"unauthorized"' in anonymous.body
    assert (await run(app, http_scope("http://app.test/api/admin/x", headers=cookie(USER)))).status == 403
    assert (await run(app, http_scope("http://app.test/api/admin/x", headers=cookie(ADMIN)))).status == 200
    assert (await run(app, http_scope("http://app.test/api/other"))).status == 401
    admin = await run(app, http_scope("http://app.test/admin/x", headers=cookie(USER)))
    assert admin.headers["location"].startswith("http://app.test/admin-login?callbackUrl=")
    assert (await run(app, http_scope("http://app.test/teapot"))).status == 418
    assert (await run(app, http_scope("http://app.test/elsewhere"))).status == 307  # the default: every path
    only_rules = area_app(matcher=[])
    assert (await run(only_rules, http_scope("http://app.test/elsewhere"))).status == 200
    assert (await run(only_rules, http_scope("http://app.test/api/other"))).status == 401


async def test_forms_that_match_different_rules_must_pass_all_of_them() -> None:
    app = area_app()
    first, sneaky = await run_following(
        app, http_scope("http://app.test/api/public/../admin/users", headers=cookie(USER))
    )
    assert (first.status, first.headers["location"]) == (308, "/api/admin/users")
    assert sneaky.status == 403


async def test_one_decode_per_request_whatever_the_rules(decodes: list[str]) -> None:
    calls = decodes
    rules = [Rule(f"/area{i}/:path*") for i in range(50)] + [Rule("/x/:path*"), Rule("/y/:path*")]
    app = WithAuth(Inner(), secret=SECRET, rules=rules, cache_size=0)
    first, final = await run_following(app, http_scope("http://app.test/x/../y/z", headers=cookie()))
    assert (first.status, final.status) == (308, 200)
    assert len(calls) == 1


async def test_has_and_missing_conditions() -> None:
    app = WithAuth(
        Inner(),
        secret=SECRET,
        matcher=[{"source": "/beta/:path*", "has": [{"type": "header", "key": "x-beta", "value": "on"}]}],
    )
    assert (await run(app, http_scope("http://app.test/beta/x"))).status == 200
    assert (await run(app, http_scope("http://app.test/beta/x", headers={"x-beta": "on"}))).status == 307


async def test_cors_preflight_is_checked_by_default_and_can_be_let_through() -> None:
    preflight = http_scope(
        "http://app.test/api/data",
        method="OPTIONS",
        headers={"origin": "https://front.example", "access-control-request-method": "POST"},
    )
    assert (await run(WithAuth(Inner(), secret=SECRET), preflight)).status == 307  # as next-auth does
    assert (await run(WithAuth(Inner(), secret=SECRET, allow_preflight=True), preflight)).status == 200
    plain_options = http_scope("http://app.test/api/data", method="OPTIONS")
    assert (await run(WithAuth(Inner(), secret=SECRET), plain_options)).status == 307


async def test_cors_middleware_outside_withauth_answers_preflights_and_decorates_denials() -> None:
    """The README's CORS recipe: CORSMiddleware first (outermost), WithAuth inside it."""
    inner = Inner()
    app = Starlette(
        routes=[Route("/api/data", inner, methods=["GET", "OPTIONS"])],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["https://front.example"],
                allow_credentials=True,
                allow_methods=["*"],
                allow_headers=["*"],
            ),
            Middleware(WithAuth, secret=SECRET, matcher=["/api/:path*"], deny="status"),
        ],
    )
    origin = {"origin": "https://front.example"}
    preflight = await run(
        app,
        http_scope(
            "http://app.test/api/data", method="OPTIONS", headers={**origin, "access-control-request-method": "GET"}
        ),
    )
    assert preflight.status == 200
    assert preflight.headers["access-control-allow-origin"] == "https://front.example"
    denied = await run(app, http_scope("http://app.test/api/data", headers=origin))
    assert denied.status == 401
    assert denied.headers["access-control-allow-origin"] == "https://front.example"  # the browser can read it
    allowed = await run(app, http_scope("http://app.test/api/data", headers={**origin, **cookie()}))
    assert allowed.status == 200
    assert [c["method"] for c in inner.calls] == ["GET"]  # the preflight never reached the handler


# --------------------------------------------------------------------------- configuration


async def test_no_secret_redirects_to_the_error_page(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="asgi_withauth"):
        app = WithAuth(Inner(), pages={"error": "/oops"})
        sent = await run(app, http_scope("http://app.test/x?y=1"))
        await run(app, http_scope("http://app.test/x"))
    assert sent.headers["location"] == "http://app.test/oops?error=Configuration"
    assert caplog.text.count("NEXTAUTH_SECRET") == 2  # at start-up, then once on the first request
    assert (await run(app, http_scope("http://app.test/api/auth/session"))).status == 200


async def test_conflicting_spellings_are_refused() -> None:
    with pytest.raises(TypeError, match="given twice"):
        WithAuth(Inner(), secret=SECRET, sign_in_page="/a", pages={"signIn": "/b"})
    with pytest.raises(ValueError, match="matcher"):
        WithAuth(Inner(), secret=SECRET, matcher="no-leading-slash")


async def test_next_auth_spellings_are_accepted() -> None:
    seen: list[str] = []

    def decode(*, token: str, secret: Any, salt: str) -> dict[str, Any]:
        seen.append(token)
        return {"sub": token}

    app = WithAuth(
        Inner(),
        secret=SECRET,
        pages={"signIn": "/login", "error": "/oops"},
        cookies={"sessionToken": {"name": "sid"}},
        jwt={"decode": decode},
        callbacks={"authorized": lambda token, request: token is not None and token["sub"] == "t"},
    )
    assert (await run(app, http_scope("http://app.test/x", headers={"cookie": "sid=t"}))).status == 200
    assert seen == ["t"]
    denied = await run(app, http_scope("http://app.test/x", headers={"cookie": "sid=u"}))
    assert denied.headers["location"] == "http://app.test/login?callbackUrl=%2Fx"


# --------------------------------------------------------------------------- cache


async def test_warm_cache_skips_decryption_but_still_honours_exp(
    decodes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = decodes
    now = 1_800_000_000
    monkeypatch.setattr(time, "time", lambda: now)
    app = WithAuth(Inner(), secret=SECRET)
    headers = cookie(max_age=60, now=now)
    for _ in range(5):
        assert (await run(app, http_scope("http://app.test/x", headers=headers))).status == 200
    assert len(calls) == 1
    now += 60 + 15
    assert (await run(app, http_scope("http://app.test/x", headers=headers))).status == 307


async def test_cache_off_decodes_every_time(decodes: list[str]) -> None:
    calls = decodes
    app = WithAuth(Inner(), secret=SECRET, cache_size=0)
    for _ in range(3):
        await run(app, http_scope("http://app.test/x", headers=cookie()))
    assert len(calls) == 3


async def test_cached_tokens_are_not_shared_between_requests() -> None:
    def mutate(token: Any, request: Any) -> bool:
        token["role"] = "hacked"
        return True

    inner = Inner()
    options = AuthOptions(secret=SECRET)  # one options object: one reader, one cache
    app = WithAuth(inner, options=options, rules=[Rule(matcher="/:path*", authorized=mutate)])
    headers = cookie()
    await run(app, http_scope("http://app.test/x", headers=headers))
    checker = WithAuth(inner, options=options)
    assert checker.sessions is app.sessions
    await run(checker, http_scope("http://app.test/x", headers=headers))
    assert inner.token["role"] == "admin"


# --------------------------------------------------------------------------- websockets


async def test_websocket_allowed_gets_the_token() -> None:
    inner = Inner()
    scope = http_scope("ws://app.test/ws", kind="websocket", headers=cookie())
    sent = await run(WithAuth(inner, secret=SECRET), scope)
    assert sent.messages[0]["type"] == "websocket.accept"
    assert inner.token["sub"] == "1"


async def test_websocket_denied_before_accept_with_http_response() -> None:
    inner = Inner()
    scope = http_scope("ws://app.test/ws", kind="websocket", extensions={"websocket.http.response": {}})
    sent = await run(WithAuth(inner, secret=SECRET), scope)
    assert sent.messages[0]["type"] == "websocket.http.response.start"
    assert sent.messages[0]["status"] == 403
    assert inner.calls == []


async def test_websocket_denied_with_close_1008_without_the_extension() -> None:
    inner = Inner()
    sent = await run(WithAuth(inner, secret=SECRET), http_scope("ws://app.test/ws", kind="websocket"))
    assert sent.messages == [{"type": "websocket.close", "code": 1008}]
    assert inner.calls == []


async def test_typos_in_next_auth_option_dicts_are_refused() -> None:
    with pytest.raises(TypeError, match="signIn"):
        WithAuth(Inner(), secret=SECRET, pages={"signin": "/login"})
    with pytest.raises(TypeError, match="authorized"):
        WithAuth(Inner(), secret=SECRET, callbacks={"authorised": lambda token, request: True})
    # a whole authOptions-style config pastes fine: keys WithAuth does not use are accepted
    WithAuth(Inner(), secret=SECRET, pages={"signIn": "/a", "newUser": "/b"}, callbacks={"jwt": lambda token: token})


@pytest.mark.parametrize(
    ("rules", "matcher", "opened", "closed"),
    [
        (
            [Rule("/admin/public/:path*", public=True)],
            "/admin/:path*",
            ["/admin/public", "/admin/public/", "/admin/public/x/y"],
            ["/admin/public.json", "/admin/public.rsc", "/admin/public.segments/a.segment.rsc", "/admin/publicx"],
        ),
        (
            [Rule("/login", public=True), Rule("/", public=True)],
            None,
            ["/login", "/login/", "/"],
            ["/login.json", "/login.rsc", "/index", "/index.json", "/index.rsc"],
        ),
    ],
    ids=["carve-out", "everything-but"],
)
async def test_a_public_rule_opens_its_paths_as_written_and_nothing_next_to_them(
    rules: list[Rule], matcher: Any, opened: list[str], closed: list[str]
) -> None:
    """Next adds ``/_next/data/<id>``, ``.json``, ``.rsc`` and ``/index`` forms to each matcher
    source: more protection for a protecting rule, but a public rule widened that way opened
    paths a framework routes to protected handlers (``/admin/{section}`` gets ``public.json``)."""
    inner = Inner()
    app = WithAuth(inner, secret=SECRET, rules=rules, **({} if matcher is None else {"matcher": matcher}))
    for path in opened:
        assert (await run(app, http_scope("http://app.test" + path))).status == 200, path
    for path in closed:
        assert (await run(app, http_scope("http://app.test" + path))).status == 307, path
    assert [c["path"] for c in inner.calls] == opened


async def test_an_absolute_callback_url_names_this_apps_origin_for_a_sign_in_page_elsewhere() -> None:
    """next-auth's callbackUrl is a path (the sign-in page is on the same app); a sign-in page
    on another origin can only send the user back with this app's origin in front of it."""
    front = "https://front.example/login"
    same = WithAuth(Inner(), secret=SECRET, sign_in_page=front)
    sent = await run(same, http_scope("http://app.test/admin/x?q=a b"))
    assert sent.headers["location"] == "https://front.example/login?callbackUrl=%2Fadmin%2Fx%3Fq%3Da%2520b"
    absolute = WithAuth(Inner(), secret=SECRET, sign_in_page=front, absolute_callback_url=True)
    sent = await run(absolute, http_scope("http://app.test/admin/x?q=a b", root_path=""))
    assert sent.headers["location"] == (
        "https://front.example/login?callbackUrl=http%3A%2F%2Fapp.test%2Fadmin%2Fx%3Fq%3Da%2520b"
    )
    public = WithAuth(
        Inner(), secret=SECRET, sign_in_page=front, absolute_callback_url=True, public_url="https://api.example"
    )
    scope = http_scope("http://10.0.0.1:8000/admin")
    scope["headers"][0] = (b"host", b"evil.example")  # never the origin while public_url is set
    sent = await run(public, scope)
    assert sent.headers["location"] == "https://front.example/login?callbackUrl=https%3A%2F%2Fapi.example%2Fadmin"
