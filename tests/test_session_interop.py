"""load_server_session against the real session logic of next-auth 4.24.15 and 5.0.0-beta.32.

The bridge op ``serverSession`` (``interop/ops_session.mjs``) runs, on one Cookie header:

- ``v4``: next-auth 4.24.15's ``getServerSession(req, res, authOptions)`` (pages-router form);
- ``v5-route``: @auth/core 0.41.3's ``Auth()`` on ``GET /api/auth/session`` (what
  next-auth 5.0.0-beta.32's route handler runs);
- ``v5-auth``: next-auth 5.0.0-beta.32's ``auth(req, res)`` (its API-route form; it wraps the
  session callback).

Each with canned callbacks that this module implements again in Python under the same names.
We compare the session JSON, the session Set-Cookie headers (names, order, attributes) and the
refreshed token (decoded by both sides). next-auth also sets its csrf-token and callback-url
cookies; those belong to its own routes and are left out of the comparison (DESIGN.md 3).

Where asgi_withauth differs, the tests say so: open differences are strict xfails (``KNOWN``,
and a few single tests; when fixed, the marker must go); deliberate ones (callbacks returning
nothing, stray cookies, the __Secure- cookie over http, no secret) are asserted as they are on
both sides.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from asgi_withauth import MissingSecretError, ServerSession, jwt, load_server_session
from asgi_withauth.jwt import Version
from tests.asgi import cookie_header, http_scope
from tests.nodebridge import NodeBridge, NodeBridgeError

pytestmark = pytest.mark.anyio

SECRET = "session-interop-secret"
CLAIMS: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "picture": "https://example.com/a.png",
    "sub": "u1",
}
DEFAULT_MAX_AGE = 30 * 24 * 60 * 60
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SLACK = 2.0  # seconds between their call and ours

# The real implementations the op can run: id -> (version, impl).
IMPLS: dict[str, tuple[Version, str]] = {
    "v4": (4, "getServerSession"),
    "v5-route": (5, "route"),
    "v5-auth": (5, "auth"),
}
TARGETS = [pytest.param(version, impl, id=target) for target, (version, impl) in IMPLS.items()]


# ----------------------------------------------------------------- canned callbacks
# Same names and behaviour as CALLBACKS in interop/ops_session.mjs. In-place mutation on
# purpose, as there.

Callbacks = dict[str, Callable[..., Any]]


def _add_id(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    session["user"]["id"] = token.get("sub")
    return session


def _jwt_role(token: dict[str, Any]) -> dict[str, Any]:
    token["role"] = "admin"
    return token


def _session_mutates_token(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    token["touched"] = True
    return session


def _jwt_throws(token: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("jwt callback failed")


def _session_throws(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("session callback failed")


def _returns_none(**_: Any) -> None:
    return None


def _returns_empty(session: dict[str, Any]) -> dict[str, Any]:
    return {}


def _big(token: dict[str, Any]) -> dict[str, Any]:
    token["big"] = "b" * 9000
    return token


def _grow3(token: dict[str, Any]) -> dict[str, Any]:
    token["big"] = "g" * 7000
    return token


def _shrink2(token: dict[str, Any]) -> dict[str, Any]:
    token["big"] = str(token.get("big") or "")[:4000]
    return token


def _drop_big(token: dict[str, Any]) -> dict[str, Any]:
    token.pop("big", None)
    return token


def _jwt_renames(token: dict[str, Any]) -> dict[str, Any]:
    token["name"] = "Renamed"
    return token


def _jwt_renames_copy(token: dict[str, Any]) -> dict[str, Any]:
    return {**token, "name": "Renamed"}


CALLBACKS: dict[str, Callbacks] = {
    "none": {},
    "add_id": {"session": _add_id},
    "jwt_role": {"jwt": _jwt_role},
    "session_mutates_token": {"session": _session_mutates_token},
    "jwt_throws": {"jwt": _jwt_throws},
    "session_throws": {"session": _session_throws},
    "jwt_returns_null": {"jwt": _returns_none},
    "session_returns_null": {"session": _returns_none},
    "session_returns_empty": {"session": _returns_empty},
    "big": {"jwt": _big},
    "grow3": {"jwt": _grow3},
    "shrink2": {"jwt": _shrink2},
    "drop_big": {"jwt": _drop_big},
    "jwt_renames": {"jwt": _jwt_renames},
    "jwt_renames_copy": {"jwt": _jwt_renames_copy},
}

# Open differences from the real packages (strict xfail: when fixed, the marker must go),
# by (callbacks, target).
KNOWN: dict[tuple[str, str], str] = {}

# Callbacks that return nothing: asgi_withauth follows issue 4 ("no session, never a session
# built from a half-run callback") where next-auth does various things. Compared exactly in
# test_callbacks_returning_nothing, not in test_callbacks_agree. Values: (their session,
# whether they keep (refresh) the cookie); "default" is the default session, "token" is
# {"user": <the whole decoded token>} and no expires (auth() puts the token under `user`).
NOTHING: dict[str, dict[str, tuple[Any, bool]]] = {
    "jwt_returns_null": {"v4": ("default", False)},
    "session_returns_null": {"v4": (None, True), "v5-route": (None, True), "v5-auth": ("default", True)},
    "session_returns_empty": {"v4": (None, True), "v5-route": ({}, True), "v5-auth": ("token", True)},
}
OURS_FOR_NOTHING: dict[str, dict[str, tuple[Any, bool]]] = {
    "jwt_returns_null": {"v4": (None, False), "v5": (None, False)},
    "session_returns_null": {"v4": (None, True), "v5": (None, True)},  # no session, the token stays
    "session_returns_empty": {"v4": (None, True), "v5": ({}, True)},  # v4 turns {} into null
}
AGREEING = [
    pytest.param(version, impl, callbacks, id=f"{target}-{callbacks}")
    for target, (version, impl) in IMPLS.items()
    for callbacks in CALLBACKS
    if target not in NOTHING.get(callbacks, {})
]


# ----------------------------------------------------------------- helpers


def session_cookie_name(version: Version, *, secure: bool = False) -> str:
    return ("__Secure-" if secure else "") + ("next-auth.session-token" if version == 4 else "authjs.session-token")


def salt_for(version: Version, cookie_name: str) -> str:
    return "" if version == 4 else cookie_name


def mint(bridge: NodeBridge, version: Version, claims: Mapping[str, Any], cookie_name: str, **encode: Any) -> str:
    """A token from the real encode."""
    token = bridge.call(
        "encode", version=version, token=dict(claims), secret=SECRET, salt=salt_for(version, cookie_name), **encode
    )
    assert isinstance(token, str)
    return token


def chunked(bridge: NodeBridge, version: Version, cookie_name: str, token: str) -> list[tuple[str, str]]:
    """The cookies next-auth's SessionStore writes for ``token`` (one, or ``.0 .1 ...``)."""
    return [(c["name"], c["value"]) for c in bridge.call("chunk", version=version, name=cookie_name, value=token)]


def scope_for(cookie: str, *, secure: bool = False) -> dict[str, Any]:
    """A request to the Next.js app's origin carrying the Cookie header ``cookie`` (if any)."""
    url = f"{'https' if secure else 'http'}://localhost:3000/api/me"
    return http_scope(url, headers={"cookie": cookie} if cookie else None)


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attrs: dict[str, str | None]  # lower-cased attribute name -> value (None for a flag)
    order: tuple[str, ...]  # attribute names as written

    @property
    def cleared(self) -> bool:
        return self.attrs.get("max-age") == "0"

    @property
    def expires(self) -> float | None:
        raw = self.attrs.get("expires")
        return None if raw is None else parsedate_to_datetime(raw).timestamp()


def parse_set_cookie(header: str) -> SetCookie:
    first, *rest = header.split("; ")
    name, _, value = first.partition("=")
    attrs: dict[str, str | None] = {}
    order = []
    for part in rest:
        key, sep, val = part.partition("=")
        attrs[key.lower()] = val if sep else None
        order.append(key)
    return SetCookie(name, value, attrs, tuple(order))


def session_cookies(headers: list[str], cookie_name: str) -> list[SetCookie]:
    """The Set-Cookies of the session cookie ``cookie_name`` (plain or chunk), in order."""
    chunk = re.compile(re.escape(cookie_name) + r"(\.\d+)?")
    return [c for c in map(parse_set_cookie, headers) if chunk.fullmatch(c.name)]


def joined_token(cookies: list[SetCookie], cookie_name: str) -> str | None:
    live = {c.name: c.value for c in cookies if not c.cleared and c.value}
    if not live:
        return None
    if cookie_name in live:
        assert len(live) == 1, live
        return live[cookie_name]
    return "".join(live[f"{cookie_name}.{i}"] for i in range(len(live)))


def iso_seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def without(claims: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in names}


@dataclass
class Outcome:
    """Both sides' results for one request."""

    theirs: dict[str, Any]
    ours: ServerSession
    their_cookies: list[SetCookie]
    our_cookies: list[SetCookie]
    their_claims: dict[str, Any] | None
    our_claims: dict[str, Any] | None


async def run_both(
    bridge: NodeBridge,
    version: Version,
    impl: str,
    cookie: str,
    *,
    callbacks: str = "none",
    secure: bool = False,
    max_age: int | None = None,
    cookies: dict[str, Any] | None = None,
) -> Outcome:
    """Runs the real session logic and ours on ``cookie`` and checks everything that must agree."""
    name = (cookies or {}).get("sessionToken", {}).get("name") or session_cookie_name(version, secure=secure)
    salt = salt_for(version, name)
    expected_max_age = max_age if max_age is not None else DEFAULT_MAX_AGE
    started = time.time()
    params: dict[str, Any] = {"cookie": cookie, "secret": SECRET, "callbacks": callbacks, "secure": secure}
    if max_age is not None:
        params["maxAge"] = max_age
    if cookies is not None:
        params["cookies"] = cookies
    theirs = bridge.call("serverSession", version=version, impl=impl, **params)
    assert theirs["status"] == 200, theirs
    ours = await load_server_session(
        scope_for(cookie, secure=secure),
        secret=SECRET,
        callbacks=CALLBACKS[callbacks],
        session={"maxAge": max_age} if max_age is not None else None,
        cookies=cookies,
    )

    # The session JSON: equal apart from `expires`, which is close and in the same format.
    their_session, our_session = theirs["session"], json.loads(json.dumps(ours.session))
    assert (their_session is None) == (our_session is None), (their_session, our_session)
    if their_session is not None:
        assert without(our_session, "expires") == without(their_session, "expires")
        assert ISO_MS.fullmatch(their_session["expires"]), their_session["expires"]
        assert ISO_MS.fullmatch(our_session["expires"]), our_session["expires"]
        assert abs(iso_seconds(our_session["expires"]) - iso_seconds(their_session["expires"])) <= SLACK
        assert abs(iso_seconds(their_session["expires"]) - (started + expected_max_age)) <= SLACK

    # The session cookies: same names in the same order, same attributes, Expires close.
    their_cookies = session_cookies(theirs["setCookie"], name)
    our_cookies = session_cookies(ours.set_cookie, name)
    assert len(our_cookies) == len(ours.set_cookie), ours.set_cookie  # nothing but session cookies
    assert [(c.name, c.cleared) for c in our_cookies] == [(c.name, c.cleared) for c in their_cookies]
    for mine, real in zip(our_cookies, their_cookies, strict=True):
        assert without(mine.attrs, "expires") == without(real.attrs, "expires"), (mine, real)
        assert mine.order == real.order, (mine.order, real.order)
        assert (mine.expires is None) == (real.expires is None)
        if real.cleared:
            assert mine.value == real.value == ""
        else:
            assert real.expires is not None
            assert mine.expires is not None
            assert abs(mine.expires - real.expires) <= SLACK
            assert abs(real.expires - (started + expected_max_age)) <= SLACK

    # The refreshed tokens: each side's decodes in the other's, to the same claims apart from
    # iat/exp/jti; exp is now + maxAge in both.
    their_token, our_token = joined_token(their_cookies, name), joined_token(our_cookies, name)
    assert (their_token is None) == (our_token is None)
    their_claims = our_claims = None
    if their_token is not None and our_token is not None:
        their_claims = bridge.call("decode", version=version, token=their_token, secret=SECRET, salt=salt)
        assert jwt.decode(their_token, SECRET, salt=salt, version=version) == their_claims  # theirs in ours
        our_claims = bridge.call("decode", version=version, token=our_token, secret=SECRET, salt=salt)
        assert our_claims == jwt.decode(our_token, SECRET, salt=salt, version=version)
        assert without(our_claims, "iat", "exp", "jti") == without(their_claims, "iat", "exp", "jti")
        for claims in (their_claims, our_claims):
            assert abs(claims["exp"] - (started + expected_max_age)) <= SLACK + 1
            assert claims["jti"]
            assert claims["iat"] <= claims["exp"]
        assert our_claims["jti"] != their_claims["jti"]
    return Outcome(theirs, ours, their_cookies, our_cookies, their_claims, our_claims)


def target_id(version: Version, impl: str) -> str:
    return next(t for t, v in IMPLS.items() if v == (version, impl))


def xfail_if_known(request: pytest.FixtureRequest, callbacks: str, version: Version, impl: str) -> None:
    reason = KNOWN.get((callbacks, target_id(version, impl)))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason))


# ----------------------------------------------------------------- every canned callback


@pytest.mark.parametrize(("version", "impl", "callbacks"), AGREEING)
async def test_callbacks_agree(
    nextauth_bridge: NodeBridge, request: pytest.FixtureRequest, version: Version, impl: str, callbacks: str
) -> None:
    xfail_if_known(request, callbacks, version, impl)
    name = session_cookie_name(version)
    token = mint(nextauth_bridge, version, CLAIMS, name)
    out = await run_both(nextauth_bridge, version, impl, f"{name}={token}", callbacks=callbacks)
    failing = callbacks in ("jwt_throws", "session_throws", "jwt_returns_null")
    if failing:
        assert out.ours.session is None
        assert [(c.name, c.cleared) for c in out.our_cookies] == [(name, True)]
    else:
        assert out.ours.session is not None
        assert out.our_claims is not None
        assert out.their_claims is not None
    expected_extra: dict[str, dict[str, Any]] = {
        "add_id": {},
        "jwt_role": {"role": "admin"},
        "session_mutates_token": {"touched": True},
    }
    if out.our_claims is not None and callbacks in expected_extra:
        assert without(out.our_claims, "iat", "exp", "jti") == {**CLAIMS, **expected_extra[callbacks]}
    if callbacks == "add_id":
        assert out.ours.session is not None
        assert out.ours.session["user"]["id"] == "u1"
    if callbacks == "big":
        # One cookie grows to chunks: the plain name is cleared first, then .0 .. .3 written.
        assert [(c.name, c.cleared) for c in out.our_cookies] == [
            (name, True),
            *((f"{name}.{i}", False) for i in range(4)),
        ]


NOTHING_CASES = [
    pytest.param(callbacks, target, id=f"{target}-{callbacks}") for callbacks in NOTHING for target in IMPLS
]


@pytest.mark.parametrize(("callbacks", "target"), NOTHING_CASES)
async def test_callbacks_returning_nothing(nextauth_bridge: NodeBridge, callbacks: str, target: str) -> None:
    version, impl = IMPLS[target]
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    theirs = nextauth_bridge.call(
        "serverSession", version=version, impl=impl, cookie=cookie, secret=SECRET, callbacks=callbacks
    )
    ours = await load_server_session(scope_for(cookie), secret=SECRET, callbacks=CALLBACKS[callbacks])
    default_user = {"name": CLAIMS["name"], "email": CLAIMS["email"], "image": CLAIMS["picture"]}

    def described(session: Any) -> Any:
        if not isinstance(session, dict):
            return session
        if set(session) == {"user", "expires"} and session["user"] == default_user:
            return "default"
        if set(session) == {"user"} and without(session["user"], "iat", "exp", "jti") == CLAIMS:
            return "token"
        return session

    def kept(headers: list[str]) -> bool:
        cookies = session_cookies(headers, name)
        assert [c.name for c in cookies] == [name]
        return not cookies[0].cleared

    ours_expected = OURS_FOR_NOTHING[callbacks][f"v{version}"]
    expected_theirs = NOTHING[callbacks].get(target, ours_expected)
    assert (described(theirs["session"]), kept(theirs["setCookie"])) == expected_theirs
    assert (described(ours.session), kept(ours.set_cookie)) == ours_expected


# ----------------------------------------------------------------- bad and absent tokens


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_tampered_token_clears_and_gives_none(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = session_cookie_name(version)
    parts = mint(nextauth_bridge, version, CLAIMS, name).split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    out = await run_both(nextauth_bridge, version, impl, f"{name}={'.'.join(parts)}")
    assert out.ours.session is None
    assert [(c.name, c.cleared) for c in out.our_cookies] == [(name, True)]
    assert out.our_cookies[0].attrs == {"max-age": "0", "path": "/", "httponly": None, "samesite": "Lax"}


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_expired_token_clears_and_gives_none(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = session_cookie_name(version)
    token = mint(nextauth_bridge, version, CLAIMS, name, maxAge=-60)
    out = await run_both(nextauth_bridge, version, impl, f"{name}={token}")
    assert out.ours.session is None
    assert [(c.name, c.cleared) for c in out.our_cookies] == [(name, True)]


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_token_expired_within_the_clock_tolerance_still_works(
    nextauth_bridge: NodeBridge, version: Version, impl: str
) -> None:
    name = session_cookie_name(version)
    token = mint(nextauth_bridge, version, CLAIMS, name, maxAge=-5)  # both allow 15 s of skew
    out = await run_both(nextauth_bridge, version, impl, f"{name}={token}")
    assert out.ours.session is not None


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_missing_chunk_clears_the_cookies(
    nextauth_bridge: NodeBridge, request: pytest.FixtureRequest, version: Version, impl: str
) -> None:
    name = session_cookie_name(version)
    pairs = chunked(nextauth_bridge, version, name, mint(nextauth_bridge, version, {**CLAIMS, "big": "q" * 7000}, name))
    out = await run_both(nextauth_bridge, version, impl, cookie_header([pairs[0], pairs[2]]))
    assert [(c.name, c.cleared) for c in out.their_cookies] == [(f"{name}.0", True), (f"{name}.2", True)]


STRAYS = [
    pytest.param("{n}.0=junk", [("", False), (".0", True)], [("", True), (".0", True)], id="plain-and-chunk"),
    pytest.param("{n}x=1", [("", False)], [("", True)], id="longer-name"),
]


@pytest.mark.parametrize(("stray", "ours_written", "theirs_written"), STRAYS)
@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_stray_cookies_beside_the_session_deliberate(
    nextauth_bridge: NodeBridge,
    version: Version,
    impl: str,
    stray: str,
    ours_written: list[tuple[str, bool]],
    theirs_written: list[tuple[str, bool]],
) -> None:
    """Deliberate (cookies.py): next-auth's SessionStore joins every cookie whose name starts
    with the session cookie's name, so a stray one breaks the session (null, all cleared); we
    read exactly ``<name>`` (else a contiguous ``<name>.0 ..``) and keep the session."""
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}; {stray.format(n=name)}"
    theirs = nextauth_bridge.call("serverSession", version=version, impl=impl, cookie=cookie, secret=SECRET)
    ours = await load_server_session(scope_for(cookie), secret=SECRET)
    assert theirs["session"] is None
    assert [(c.name, c.cleared) for c in session_cookies(theirs["setCookie"], name)] == [
        (name + suffix, cleared) for suffix, cleared in theirs_written
    ]
    assert ours.session is not None
    written = session_cookies(ours.set_cookie, name)
    assert [(c.name, c.cleared) for c in written] == [(name + suffix, cleared) for suffix, cleared in ours_written]


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_no_cookie_no_session_no_session_cookie(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    out = await run_both(nextauth_bridge, version, impl, "other=1")
    assert out.ours == ServerSession(None)
    assert out.their_cookies == []
    # next-auth still sets its csrf-token and callback-url cookies (not ours to copy).
    assert {parse_set_cookie(h).name.split(".")[-1] for h in out.theirs["setCookie"]} == {"csrf-token", "callback-url"}


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_no_secret_is_an_error(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = session_cookie_name(version)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    with pytest.raises(MissingSecretError):
        await load_server_session(scope_for(cookie))
    if impl == "getServerSession":
        # v4 only refuses in production; in development it warns NO_SECRET and derives a
        # secret from a hash of its options, which then fails to decode the cookie.
        with pytest.raises(NodeBridgeError, match="problem with the server configuration"):
            nextauth_bridge.call(
                "serverSession", version=version, impl=impl, cookie=cookie, env={"NODE_ENV": "production"}
            )
        theirs = nextauth_bridge.call("serverSession", version=version, impl=impl, cookie=cookie)
        assert any("JWT_SESSION_ERROR" in line for line in theirs["logged"])  # (NO_SECRET: warned once)
        assert theirs["session"] is None
        assert [(c.name, c.cleared) for c in session_cookies(theirs["setCookie"], name)] == [(name, True)]
        return
    theirs = nextauth_bridge.call("serverSession", version=version, impl=impl, cookie=cookie)
    assert any("MissingSecret" in line for line in theirs["logged"]), theirs["logged"]
    if impl == "route":  # a 500 with a message
        assert theirs["status"] == 500
        assert "problem with the server configuration" in theirs["session"]["message"]
    else:  # auth() fails closed: no session, no exception
        assert theirs["session"] is None


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_minimal_token_without_name_email_picture(
    nextauth_bridge: NodeBridge, request: pytest.FixtureRequest, version: Version, impl: str
) -> None:
    name = session_cookie_name(version)
    token = mint(nextauth_bridge, version, {"sub": "u1"}, name)
    out = await run_both(nextauth_bridge, version, impl, f"{name}={token}")
    assert out.theirs["session"]["user"] == {}


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_explicit_null_claims_stay_null(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = session_cookie_name(version)
    claims = {"sub": "u1", "name": None, "email": None, "picture": None}
    out = await run_both(nextauth_bridge, version, impl, f"{name}={mint(nextauth_bridge, version, claims, name)}")
    assert out.theirs["session"]["user"] == {"name": None, "email": None, "image": None}


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_nbf_and_custom_claims_survive_the_refresh(
    nextauth_bridge: NodeBridge, version: Version, impl: str
) -> None:
    name = session_cookie_name(version)
    claims = {**CLAIMS, "nbf": int(time.time()) - 100, "roles": ["a", "b"], "n": 1.5, "deep": {"x": [None, True]}}
    out = await run_both(nextauth_bridge, version, impl, f"{name}={mint(nextauth_bridge, version, claims, name)}")
    assert out.our_claims is not None
    assert without(out.our_claims, "iat", "exp", "jti") == claims


# ----------------------------------------------------------------- cookies: secure, chunks, options


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_secure_cookie_over_https(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = session_cookie_name(version, secure=True)
    out = await run_both(
        nextauth_bridge, version, impl, f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}", secure=True
    )
    assert [c.name for c in out.our_cookies] == [name]
    assert "secure" in out.our_cookies[0].attrs


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_secure_tampered_cookie_is_cleared_with_secure(
    nextauth_bridge: NodeBridge, version: Version, impl: str
) -> None:
    name = session_cookie_name(version, secure=True)
    out = await run_both(nextauth_bridge, version, impl, f"{name}=garbage", secure=True)
    assert out.ours.session is None
    assert out.our_cookies[0].attrs == {
        "max-age": "0",
        "path": "/",
        "httponly": None,
        "secure": None,
        "samesite": "Lax",
    }


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_secure_cookie_over_plain_http_is_read_by_us_only(
    nextauth_bridge: NodeBridge, version: Version, impl: str
) -> None:
    """Deliberate (token.py): over http we also read the __Secure- cookie (behind a TLS proxy);
    next-auth, with an http URL, only looks for the plain name."""
    name = session_cookie_name(version, secure=True)
    cookie = f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}"
    theirs = nextauth_bridge.call("serverSession", version=version, impl=impl, cookie=cookie, secret=SECRET)
    assert theirs["session"] is None
    assert session_cookies(theirs["setCookie"], name) == []
    ours = await load_server_session(scope_for(cookie), secret=SECRET)
    assert ours.session is not None
    assert [c.name for c in session_cookies(ours.set_cookie, name)] == [name]


RESIZES = [
    # (claims' "big" length, callbacks, chunks before, what we expect to be written: (name suffix, cleared))
    pytest.param(7000, "drop_big", 3, [(".0", True), (".1", True), (".2", True), ("", False)], id="3-to-1"),
    pytest.param(7000, "shrink2", 3, [(".0", False), (".1", False), (".2", True)], id="3-to-2"),
    pytest.param(7000, "none", 3, [(".0", False), (".1", False), (".2", False)], id="3-to-3"),
    pytest.param(7000, "big", 3, [(".0", False), (".1", False), (".2", False), (".3", False)], id="3-to-4"),
    pytest.param(0, "grow3", 1, [("", True), (".0", False), (".1", False), (".2", False)], id="1-to-3"),
]


@pytest.mark.parametrize(("big", "callbacks", "before", "expected"), RESIZES)
@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_chunked_cookies_resize(
    nextauth_bridge: NodeBridge,
    version: Version,
    impl: str,
    big: int,
    callbacks: str,
    before: int,
    expected: list[tuple[str, bool]],
) -> None:
    name = session_cookie_name(version)
    claims = {**CLAIMS, "big": "q" * big} if big else CLAIMS
    pairs = chunked(nextauth_bridge, version, name, mint(nextauth_bridge, version, claims, name))
    assert len(pairs) == before
    out = await run_both(nextauth_bridge, version, impl, cookie_header([*pairs, ("other", "1")]), callbacks=callbacks)
    assert [(c.name, c.cleared) for c in out.our_cookies] == [(name + suffix, cleared) for suffix, cleared in expected]


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_chunks_in_reverse_order_on_the_request(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = session_cookie_name(version)
    claims = {**CLAIMS, "big": "q" * 7000}
    pairs = chunked(nextauth_bridge, version, name, mint(nextauth_bridge, version, claims, name))
    out = await run_both(nextauth_bridge, version, impl, cookie_header(pairs[::-1]), callbacks="drop_big")
    # The clearings follow the request's order; the new cookie comes last.
    assert [(c.name, c.cleared) for c in out.our_cookies] == [
        (f"{name}.2", True),
        (f"{name}.1", True),
        (f"{name}.0", True),
        (name, False),
    ]


@pytest.mark.parametrize("max_age", [3600, 60])
@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_custom_max_age(nextauth_bridge: NodeBridge, version: Version, impl: str, max_age: int) -> None:
    name = session_cookie_name(version)
    out = await run_both(
        nextauth_bridge, version, impl, f"{name}={mint(nextauth_bridge, version, CLAIMS, name)}", max_age=max_age
    )
    assert out.our_claims is not None
    assert out.our_claims["exp"] - out.our_claims["iat"] == max_age


@pytest.mark.parametrize(("version", "impl"), TARGETS)
async def test_custom_session_cookie_options(nextauth_bridge: NodeBridge, version: Version, impl: str) -> None:
    name = "my.session"
    options = {
        "httpOnly": True,
        "sameSite": "strict",
        "path": "/app",
        "secure": True,
        "domain": "example.com",
        "maxAge": 1234,
    }
    cookies = {"sessionToken": {"name": name, "options": options}}
    token = mint(nextauth_bridge, version, CLAIMS, name)
    out = await run_both(nextauth_bridge, version, impl, f"{name}={token}", cookies=cookies)
    assert [c.name for c in out.our_cookies] == [name]
    assert without(out.our_cookies[0].attrs, "expires") == {
        "max-age": "1234",
        "domain": "example.com",
        "path": "/app",
        "httponly": None,
        "secure": None,
        "samesite": "Strict",
    }
    bad = await run_both(nextauth_bridge, version, impl, f"{name}=garbage", cookies=cookies)
    assert [(c.name, c.cleared) for c in bad.our_cookies] == [(name, True)]
