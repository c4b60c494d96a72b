"""Request paths: the canonical route, what is redirected to it, and what is refused."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgi_withauth import WithAuth, jwt
from asgi_withauth._request.paths import (
    MalformedPathError,
    NonCanonicalPathError,
    PathPolicy,
    PathTooLongError,
    canonical_route,
    route_path,
    under,
)
from asgi_withauth._request.urls import canonical_redirect
from tests.asgi import http_scope, run_following

STRICT = PathPolicy()


def scope(path: str, raw: bytes | None = None, root: str = "") -> dict[str, Any]:
    """A scope whose ``path`` is given apart from ``raw`` (default: ``path`` encoded)."""
    return http_scope(raw_path=path.encode() if raw is None else raw, path=path, root_path=root)


def from_raw(raw: str, root: str = "") -> dict[str, Any]:
    """A scope as a server builds it for the request target ``raw``: ``path`` is it percent-decoded."""
    return scope(unquote(raw), raw.encode(), root)


@pytest.mark.parametrize(
    "raw", ["/", "/admin", "/admin/", "/admin/x", "/a%20b", "/caf%C3%A9", "/%61dmin", "/a.b/c..d/.e", "/~x/@y:z"]
)
def test_canonical_paths_pass_as_they_are(raw: str) -> None:
    assert canonical_route(from_raw(raw), STRICT) == unquote(raw)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("//admin", "/admin"),
        ("///admin", "/admin"),
        ("/admin//x", "/admin/x"),
        ("/./admin", "/admin"),
        ("/x/../admin", "/admin"),
        ("/../admin", "/admin"),
        ("/admin/..", "/"),
        ("/admin/x/..", "/admin/"),
        ("/admin/.", "/admin/"),
        ("/%2e%2e/admin", "/admin"),
        ("/x/.%2E/admin", "/admin"),
        ("/x/%2E./admin", "/admin"),
        ("/%2e/admin", "/admin"),
        ("/%2fadmin", "/admin"),
        ("/x%2F..%2Fadmin", "/admin"),
        ("/admin%2fx", "/admin/x"),
        ("/%5cadmin", "/admin"),
        ("/x%5C..%5Cadmin", "/admin"),
        ("/admin//", "/admin/"),
        ("//api/../users", "/users"),
        ("/caf%C3%A9//x", "/caf%C3%A9/x"),
    ],
)
def test_fixable_paths_are_redirected_to_their_canonical_form(raw: str, canonical: str) -> None:
    with pytest.raises(NonCanonicalPathError) as caught:
        canonical_route(from_raw(raw), STRICT)
    assert caught.value.location == canonical
    assert canonical_route(from_raw(canonical), STRICT) == unquote(canonical)  # a redirect never loops
    with pytest.raises(MalformedPathError) as rejected:
        canonical_route(from_raw(raw), PathPolicy(non_canonical="reject"))
    assert not isinstance(rejected.value, NonCanonicalPathError)


def test_backslashes_sent_as_is_are_redirected() -> None:
    with pytest.raises(NonCanonicalPathError) as caught:
        canonical_route(scope("/x\\..\\admin", b"/x\\..\\admin"), STRICT)
    assert caught.value.location == "/admin"


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("http://x/admin", b"http://x/admin"),  # absolute-form target (hypercorn, uvicorn's h11)
        ("https://x/admin", b"https://x/admin"),
        ("admin", b"admin"),  # origin-form without the leading slash
        ("*", b"*"),
        ("", b""),
        ("/admin\x00", b"/admin%00"),
        ("/admin\n", b"/admin%0A"),
        ("/admin\r", b"/admin%0d"),
        ("/admin\u2028", b"/admin%E2%80%A8"),  # JavaScript's line separator
        ("/admin\x85", b"/admin%C2%85"),  # a C1 control (NEL)
        ("/\ufffd\ufffdadmin", b"/%C0%AFadmin"),  # overlong '/'
        ("/\ufffd", b"/%FF"),
        ("/x", b"/x%zz"),
        ("/a%0a", b"/a%250a"),  # a newline on the second decoding
        ("/%2e%2e/admin", b"/%252e%252e/admin"),  # double encoding
        ("/%61dmin", b"/%2561dmin"),
        ("/admin;x=1", b"/admin;x=1"),
        ("/admin;/x", b"/admin%3B/x"),
        ("/admin/x#x", b"/admin/x%23x"),  # Next's param pattern stops at '#' and '?'; routers do not
        ("/api/v1?/users", b"/api/v1%3F/users"),
        ("/admin", b"/other"),  # path and raw_path disagree
        ("/caf\u00e9", "/caf\u00e9".encode()),  # bytes no client sends unencoded
    ],
)
def test_malformed_paths_are_refused(path: str, raw: bytes) -> None:
    with pytest.raises(MalformedPathError) as caught:
        canonical_route(scope(path, raw), STRICT)
    assert not isinstance(caught.value, NonCanonicalPathError)
    assert caught.value.status == 400


def test_policies_for_encoded_slashes_and_semicolons() -> None:
    slashes = PathPolicy(allow_encoded_slash=True)
    assert canonical_route(from_raw("/repos/a%2Fb"), slashes) == "/repos/a/b"  # what frameworks route on
    for raw in ("/repos/a%2F..%2Fadmin", "/repos/a%2F%2Fb", "/x%2F.%2Fy"):
        with pytest.raises(MalformedPathError):
            canonical_route(from_raw(raw), slashes)  # decoded, it has dot or empty segments
    assert canonical_route(from_raw("/map;lat=1"), PathPolicy(allow_semicolon=True)) == "/map;lat=1"


def test_overlong_paths_are_414() -> None:
    policy = PathPolicy(max_length=64)
    assert canonical_route(from_raw("/" + "a" * 63), policy)
    with pytest.raises(PathTooLongError) as caught:
        canonical_route(from_raw("/" + "a" * 64), policy)
    assert caught.value.status == 414
    with pytest.raises(PathTooLongError):
        canonical_route(from_raw("/" + "%41" * 64), policy)


@pytest.mark.parametrize(
    ("path", "root", "route"),
    [
        ("/base/admin", "/base", "/admin"),  # uvicorn puts root_path in front of the path
        ("/base", "/base", "/"),
        ("/base/", "/base/", "/"),
        ("/admin", "/base", "/admin"),  # hypercorn does not
        ("/database", "/base", "/database"),
    ],
)
def test_root_path_is_taken_off_the_front(path: str, root: str, route: str) -> None:
    assert canonical_route(from_raw(path, root), STRICT) == route


@pytest.mark.parametrize(
    "path",
    [
        "/baseadmin",  # Quart and Django strip root_path as a text prefix
        "/x/base/admin",  # Litestar splits at its first occurrence anywhere
        "/pub/base/admin/secret",
        "/basehttp://x/admin",  # uvicorn: root_path + an absolute-form target
    ],
)
def test_paths_holding_root_path_elsewhere_are_refused(path: str) -> None:
    with pytest.raises(MalformedPathError):
        canonical_route(from_raw(path, "/base"), STRICT)


def test_canonical_redirect_keeps_root_path_and_query() -> None:
    query = b"a=1&b=%20&c=\xff".decode("utf-8", "surrogateescape")
    assert canonical_redirect("/base", "/admin", query) == "/base/admin?a=1&b=%20&c=%FF"


def test_route_path_strips_root_path_on_a_boundary() -> None:
    assert route_path(scope("/base/x", root="/base")) == "/x"
    assert route_path(scope("/base", root="/base")) == "/"
    assert route_path(scope("/baseball", root="/base")) == "/baseball"
    assert route_path(scope("/x", root="/base")) == "/x"


def test_under_is_segment_bounded() -> None:
    assert under("/api/auth", "/api/auth")
    assert under("/api/auth/session", "/api/auth")
    assert not under("/api/authx", "/api/auth")
    assert not under("/api/auth-admin/users", "/api/auth")
    assert not under("/_nextfoo", "/_next")
    assert not under("/favicon.ico.evil", "/favicon.ico")


@given(st.text(alphabet="/.%2e5cFfAa\\;x", max_size=40))
def test_every_path_is_canonical_redirected_or_refused(tail: str) -> None:
    raw = "/" + tail
    request = from_raw(raw) if _decodable(raw) else scope("/", raw.encode())
    location = None
    try:
        route = canonical_route(request, STRICT)
    except NonCanonicalPathError as exc:
        location = exc.location
    except MalformedPathError:
        return
    if location is not None:
        assert location.startswith("/")
        assert not location.startswith("//")
        route = canonical_route(from_raw(location), STRICT)  # the target is canonical
    segments = route.split("/")[1:]
    assert "\\" not in route
    assert "" not in segments[:-1]
    assert not {".", ".."} & set(segments)


def _decodable(raw: str) -> bool:
    try:
        unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


# ----------------------------------------------------------------------------- through WithAuth

SECRET = "paths-secret"
_SPELLINGS = st.sampled_from(["/", "//", "/./", "/x/../", "/%2e/", "/x/%2e%2e/", "/%2f", "\\", "/%5c", "/;/"])


@st.composite
def respellings(draw: st.DrawFn) -> str:
    """``/admin/<x>`` spelled as an attacker would: separators replaced by equivalent forms,
    letters percent-encoded, upper-cased."""
    parts = ["admin", draw(st.sampled_from(["panel", "x", "users"]))]
    out = ""
    for part in parts:
        out += draw(_SPELLINGS)
        out += "".join(
            draw(st.sampled_from([c, c.upper(), quote(c, safe=""), "%" + format(ord(c), "02x")])) for c in part
        )
    return out if out.startswith(("/", "\\")) else "/" + out


@pytest.mark.anyio
@settings(max_examples=150, deadline=None)
@given(respellings())
async def test_no_respelling_of_a_protected_path_reaches_the_app(raw: str) -> None:
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    seen: list[str] = []

    def authorized(token: Any, request: Any) -> bool:
        seen.append(request.url.path)
        return token is not None

    app = WithAuth(inner, secret=SECRET, matcher="/admin/:path*", authorized=authorized)
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return
    request = http_scope("http://app.test/", raw_path=raw.encode(), path=path)
    _, final = await run_following(app, request)
    assert final.status in (307, 400) or not reached[0].lower().startswith("/admin")
    signed_in = http_scope("http://app.test/", raw_path=raw.encode(), path=path, cookies=_session())
    await run_following(app, signed_in)
    for path in seen:  # the callback only ever sees canonical paths
        assert canonical_route({"path": path, "raw_path": quote(path).encode(), "root_path": ""}, STRICT) == path


def _session() -> dict[str, str]:
    return {"next-auth.session-token": jwt.encode({"sub": "1"}, SECRET)}
