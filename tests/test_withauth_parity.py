"""WithAuth against the real withAuth: tests/fixtures/withauth_cases.json.

The table was made by running next-auth 4.24.15's ``withAuth`` on real ``NextRequest``s
(``npm run fixtures:middleware --prefix interop``). For every case we must give the same
decision and the byte-identical Location, except where we are deliberately stricter (or
Next.js itself does something an ASGI app does not): those differences are listed below
with the behaviour we give instead, and each is documented in the README.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from asgi_withauth import WithAuth, jwt
from asgi_withauth._request.paths import under
from tests.asgi import cookie_header, http_scope, run, run_following

pytestmark = pytest.mark.anyio

TABLE = json.loads((Path(__file__).parent / "fixtures" / "withauth_cases.json").read_text())
CASES: list[dict[str, Any]] = TABLE["cases"]
LOOPBACK = ("127.0.0.1", "[::1]")
ENV_NAMES = ("NEXTAUTH_URL", "NEXTAUTH_SECRET", "AUTH_SECRET", "AUTH_URL", "VERCEL")


def _role_admin(token: Any, request: Any) -> bool:
    return bool(token) and token.get("role") == "admin"


def _throws(token: Any, request: Any) -> bool:
    raise RuntimeError("callback failed")


async def _async_true(token: Any, request: Any) -> bool:
    return True


async def _async_false(token: Any, request: Any) -> bool:
    return False


def _user_is_admin(token: Any, request: Any) -> Any:
    return ((token or {}).get("user") or {}).get("isAdmin")


CALLBACKS: dict[str, Any] = {
    "default": None,
    "always_true": lambda token, request: True,
    "always_false": lambda token, request: False,
    "role_admin": _role_admin,
    "returns_null": lambda token, request: None,
    "returns_undefined": lambda token, request: None,
    "returns_truthy_string": lambda token, request: "yes",
    "returns_zero": lambda token, request: 0,
    "throws": _throws,
    "async_true": _async_true,
    "async_false": _async_false,
    "user_is_admin": _user_is_admin,
}

# Where we differ from next-auth on purpose: case id -> what we do instead.
DIFFERENCES: dict[str, str] = {
    "path-next-data": "Next.js rewrites /_next/data/<id>/<page>.json to <page>; an ASGI app routes the path as sent, "
    "and /_next stays public",
    "path-double-slash": "callbackUrl is never protocol-relative: //protected becomes /protected",
    "bp-signin-absolute": "an absolute signIn page is used as is, never glued behind basePath",
    "pages-signin-login-query-itself": "the sign-in page is skipped by its path, query or not: no redirect loop",
    "cookie-secure-name-not-read": "on plain http the __Secure- cookie is read after the plain one (TLS proxy)",
    "path-next-encoded-underscore": "the decision is made on the decoded path the app routes on: /%5Fnext is /_next",
    "path-encoded-slash": "an encoded slash is not canonical: redirected (308) to /protected/a/b first",
    "path-semicolon": "';' path parameters are refused (400): some proxies and servers strip them",
    "cookie-stray-suffix-breaks-session": "only <name> and <name>.<n> are read: a stray <name>.evil changes nothing",
    "host-https-8443-valid-token": "an https request reads only __Secure- names unless NEXTAUTH_URL says http "
    "(or secure_cookie=False)",
}


def _request_scope(case: dict[str, Any]) -> dict[str, Any]:
    request = case["request"]
    raw_path = urlsplit(request["url"]).path or "/"
    base = request.get("basePath") or ""
    headers = [(name, value) for name, value in request["headers"].items() if value]
    cookies: list[tuple[str, str]] = []
    for name, label in request["cookies"]:
        value = TABLE["tokens"][label]
        cookies += [(n, v) for n, v in value] if name is None else [(name, value)]
    if cookies:
        headers.append(("cookie", cookie_header(cookies)))
    if request.get("authorization"):
        scheme, label = request["authorization"]
        headers.append(("authorization", f"{scheme} {TABLE['tokens'][label]}"))
    root = base if base and under(raw_path, base) else ""
    return http_scope(request["url"], method=request["method"], headers=headers, root_path=root)


async def _run(app: WithAuth, scope: dict[str, Any]) -> dict[str, Any]:
    """Our answer, after the redirect to the canonical path where there is one: Next.js
    resolves dot segments before withAuth runs, and so does a browser following our 308."""
    _, sent = await run_following(app, scope)
    return {"status": sent.status, "headers": sent.headers}


def _expected_location(case: dict[str, Any]) -> str | None:
    location = case["expect"]["location"]
    host = urlsplit(case["request"]["url"]).hostname or ""
    literal = f"[{host}]" if ":" in host else host
    if location and literal in LOOPBACK:  # NextURL renames loopback hosts to localhost; we keep the Host
        location = location.replace("//localhost", f"//{literal}", 1)
    return str(location) if location else None


def _ours_allows(case: dict[str, Any], token: dict[str, Any] | None) -> bool:
    """Our rule for a protected request: the callback must return exactly True."""
    name: str = case["options"]["authorized"]
    if name in ("async_true", "async_false"):
        return name == "async_true"
    callback = CALLBACKS[name]
    if callback is None:
        return token is not None
    try:
        return bool(callback(token, None) is True)
    except RuntimeError:
        return False


COMPARED = [c for c in CASES if c["id"] not in DIFFERENCES]


@pytest.mark.parametrize("case", COMPARED, ids=[c["id"] for c in COMPARED])
async def test_same_decision_and_location_as_withauth(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in case["request"]["env"].items():
        monkeypatch.setenv(name, value)
    options = case["options"]
    seen: dict[str, Any] = {}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen["checked"] = "nextauth" in scope
        seen["token"] = scope.get("nextauth", {}).get("token")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})

    app = WithAuth(
        inner,
        secret=options["secret"] if options["secret_present"] else None,
        pages=options["pages"],
        cookies={"sessionToken": {"name": options["cookie_name"]}} if options["cookie_name"] else None,
        callbacks={"authorized": CALLBACKS[options["authorized"]]} if CALLBACKS[options["authorized"]] else None,
    )
    result = await _run(app, _request_scope(case))
    expect = case["expect"]

    if (
        case.get("nextauth_looser")
        or expect["action"] == "error"
        or (expect["action"] == "next" and options["authorized"] in ("returns_truthy_string",))
    ):
        # next-auth lets this through (or crashes); we check it like any protected request.
        token = _decode_for_us(case)
        if _ours_allows(case, token):
            assert result["status"] == 200
        else:
            assert result["status"] == 307
            assert "callbackUrl=" in result["headers"]["location"]
            assert not seen
        return

    if expect["action"] == "next":
        assert result["status"] == 200, result
        if expect["inner_called"]:  # checked and allowed: the token reaches the app
            assert seen["checked"]
            assert seen["token"] == expect["token_seen"]
        elif options["middleware"] == "record":  # a skipped path: nothing checked, no token
            assert not seen["checked"]
    else:
        assert result["status"] == expect["status"] == 307
        assert result["headers"]["location"] == _expected_location(case)
        assert result["headers"]["cache-control"] == "no-store"
        assert not seen


def _decode_for_us(case: dict[str, Any]) -> dict[str, Any] | None:
    """The claims of the case's session cookie, decoded exactly (no prefix matching)."""
    options = case["options"]
    if not options["secret_present"]:
        return None
    name = options["cookie_name"] or "next-auth.session-token"
    for cookie_name, label in case["request"]["cookies"]:
        if cookie_name == name:
            try:
                return jwt.decode(TABLE["tokens"][label], options["secret"] or "x", version=4)
            except jwt.JWTError:
                return None
    return None


async def test_differences_from_next_auth_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    by_id = {c["id"]: c for c in CASES}
    assert set(DIFFERENCES) <= set(by_id)

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    data = await _run(WithAuth(inner, secret=TABLE["secret"]), _request_scope(by_id["path-next-data"]))
    assert data["status"] == 200  # /_next/... is public, as next-auth's own skip list says
    secure_name = by_id["cookie-secure-name-not-read"]
    assert (await _run(WithAuth(inner, secret=TABLE["secret"]), _request_scope(secure_name)))["status"] == 200
    stray = by_id["cookie-stray-suffix-breaks-session"]
    assert (await _run(WithAuth(inner, secret=TABLE["secret"]), _request_scope(stray)))["status"] == 200
    https_plain = _request_scope(by_id["host-https-8443-valid-token"])
    assert (await _run(WithAuth(inner, secret=TABLE["secret"]), https_plain))["status"] == 307
    allowed = await _run(WithAuth(inner, secret=TABLE["secret"], secure_cookie=False), https_plain)
    assert allowed["status"] == 200

    secret = TABLE["secret"]
    plain = await _run(WithAuth(inner, secret=secret), _request_scope(by_id["path-double-slash"]))
    assert plain["headers"]["location"].endswith("callbackUrl=%2Fprotected")
    absolute = await _run(
        WithAuth(inner, secret=secret, pages=by_id["bp-signin-absolute"]["options"]["pages"]),
        _request_scope(by_id["bp-signin-absolute"]),
    )
    assert absolute["headers"]["location"].startswith("https://auth.example.com/login?callbackUrl=")
    itself = by_id["pages-signin-login-query-itself"]
    assert (await _run(WithAuth(inner, secret=secret, pages=itself["options"]["pages"]), _request_scope(itself)))[
        "status"
    ] == 200
    underscore = await run(WithAuth(inner, secret=secret), _request_scope(by_id["path-next-encoded-underscore"]))
    assert underscore.status == 200  # /_next stays public, however it is spelled
    slash = await run(WithAuth(inner, secret=secret), _request_scope(by_id["path-encoded-slash"]))
    assert (slash.status, slash.headers["location"]) == (308, "/protected/a/b")
    semicolon = await run(WithAuth(inner, secret=secret), _request_scope(by_id["path-semicolon"]))
    assert semicolon.status == 400
