"""Properties of WithAuth's path handling under every re-encoding of a protected path.

For protected patterns (``/admin/:path*``, ``/api/:v/users``, ``/dash(.*)`` and generated ones
of those shapes), a path that matches, and re-encodings of it: ``%XX`` of any character (``/``
as ``%2F``/``%2f`` too, upper or lower hex), ``.``/``..`` segments in every spelling (``%2e``,
overlong ``%c0%ae``), ``//``, backslashes, ``;params``, a trailing slash, case changes (WithAuth
is case-insensitive by default), overlong UTF-8 slashes, NUL, and ``raw_path`` disagreeing with
``path`` (or missing).

- Without a session, the inner app never runs for a request that routes to the protected
  area, as :mod:`tests.fuzz.canon` (not WithAuth's code) reads the scope the app got.
- With a session, the path ``authorized`` sees (``request.url.path``) and the path the inner
  app gets are canonical (no ``%2e``, no ``//``, no dot segments, no backslash), and so is the
  path of a 308 to the canonical form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.requests import HTTPConnection

from asgi_withauth import WithAuth, jwt
from tests.asgi import http_scope, run
from tests.fuzz.canon import route_candidates, under

pytestmark = pytest.mark.anyio

SECRET = "reencoding-secret"
SESSION = jwt.encode({"sub": "u1"}, SECRET)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Pattern:
    """A protected matcher source and, independently of WithAuth, which paths it protects."""

    source: str
    protects: Callable[[str], bool]


def _prefix(word: str) -> Pattern:
    return Pattern(f"/{word}/:path*", lambda path: under(path, f"/{word}"))


def _param(first: str, last: str) -> Pattern:
    shape = re.compile(f"/{first}/[^/]+/{last}/?")
    return Pattern(f"/{first}/:v/{last}", lambda path: shape.fullmatch(path) is not None)


def _wild(word: str) -> Pattern:
    return Pattern(f"/{word}(.*)", lambda path: path.startswith(f"/{word}"))


_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)
_SEGMENT_CHARS = "abcXYZ019-._~!$&'()*+,=:@é"
_segments = st.text(alphabet=_SEGMENT_CHARS, min_size=1, max_size=6).filter(
    lambda s: s not in (".", "..") and s.lower() != "auth"  # /api/auth/...: next-auth's own, let through by design
)
patterns = st.sampled_from([_prefix("admin"), _param("api", "users"), _wild("dash")]) | st.one_of(
    _words.map(_prefix), st.tuples(_words, _words).map(lambda w: _param(*w)), _words.map(_wild)
)

_APPS: dict[tuple[str, bool], WithAuth] = {}


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    scope["state"]["inner"] = dict(scope)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"inner"})


def _record(token: dict[str, Any] | None, request: HTTPConnection) -> bool:
    request.scope["state"]["authorized"] = request.url.path
    return token is not None


def _app(pattern: Pattern, *, recording: bool) -> WithAuth:
    """One WithAuth per pattern (matchers compile once); ``recording``: with an ``authorized``
    callback that notes the path it sees."""
    key = (pattern.source, recording)
    if key not in _APPS:
        _APPS[key] = WithAuth(_inner, secret=SECRET, matcher=pattern.source, authorized=_record if recording else None)
    return _APPS[key]


@st.composite
def matching_paths(draw: st.DrawFn, pattern: Pattern) -> str:
    """A canonical path ``pattern`` protects."""
    source = pattern.source
    head = "/" + source[1:].split("/")[0].split("(")[0]
    if source.endswith(":path*"):
        path = head + "".join("/" + s for s in draw(st.lists(_segments, max_size=3)))
    elif "/:v/" in source:
        path = source.replace(":v", draw(_segments))
    else:
        rest = draw(st.lists(_segments, max_size=3))
        path = head + draw(st.text(alphabet="abz09-", max_size=3)) + "".join("/" + s for s in rest)
    assert pattern.protects(path), (pattern.source, path)
    return path


_DOTS = (".", "%2e", "%2E")
_DOTDOTS = ("..", ".%2e", "%2e.", "%2E%2e")
_OVERLONG = ("%c0%ae", "%c0%ae%c0%ae")
_SLASHES = ("//", "\\", "%5c", "%5C", "%2f", "%2F", "%c0%af")
_rarely = st.integers(0, 3).map(lambda i: i == 0)


@st.composite
def reencoded(draw: st.DrawFn, path: str) -> tuple[bytes | None, str]:
    """``path`` spelled another way: ``(raw_path, path)`` of a scope (``raw_path`` None: absent)."""
    segments = path.split("/")[1:]
    if draw(st.booleans()):
        segments = [s.upper() if draw(st.booleans()) else s.swapcase() for s in segments]
    for _ in range(draw(st.integers(0, 2))):  # dot segments that resolve back to the same path
        at = draw(st.integers(0, len(segments)))
        single = draw(st.booleans())
        spelling = _OVERLONG[not single] if draw(_rarely) else draw(st.sampled_from(_DOTS if single else _DOTDOTS))
        dots = [spelling] if single else ["junk", spelling]
        segments[at:at] = dots
    if draw(_rarely):
        at = draw(st.integers(0, len(segments) - 1))
        segments[at] += ";x=1"
    if draw(st.booleans()):
        segments.append("")
    pieces: list[str] = []
    for segment in segments:
        pieces.append(draw(st.sampled_from(_SLASHES)) if draw(_rarely) else "/")
        pieces += [_encode(draw, c) for c in segment] if "%" not in segment else [segment]
    if draw(_rarely):
        pieces.insert(draw(st.integers(1, len(pieces))), "%00")
    raw = "".join(pieces)
    decoded = unquote(raw, errors="surrogateescape")
    how = "agree" if not draw(_rarely) else draw(st.sampled_from(["no raw_path", "path canonical", "path elsewhere"]))
    if how == "no raw_path":
        return None, decoded
    if how == "path canonical":
        return raw.encode("ascii"), path
    if how == "path elsewhere":
        return raw.encode("ascii"), "/public"
    return raw.encode("ascii"), decoded


def _encode(draw: st.DrawFn, char: str) -> str:
    """``char`` as is, or percent-encoded with upper or lower hex (non-ASCII: always encoded)."""
    how = draw(st.integers(0, 4)) if char.isascii() else draw(st.integers(1, 2))
    if how not in (1, 2):
        return char
    hexes = [f"%{b:02X}" for b in char.encode("utf-8")]
    return "".join(hexes) if how == 1 else "".join(hexes).lower()


@st.composite
def cases(draw: st.DrawFn) -> tuple[Pattern, str, bytes | None, str]:
    pattern = draw(patterns)
    path = draw(matching_paths(pattern))
    raw, decoded = draw(reencoded(path))
    return pattern, path, raw, decoded


def _scope(path: str, raw: bytes | None, *, session: bool) -> dict[str, Any]:
    scope = http_scope(
        "http://app.test/", cookies={"next-auth.session-token": SESSION} if session else None, path=path, raw_path=raw
    )
    if raw is None:
        del scope["raw_path"]
    scope["state"] = {}
    return scope


def _canonical(path: str) -> bool:
    segments = path.split("/")[1:]
    return (
        path.startswith("/")
        and "//" not in path
        and "\\" not in path
        and "%2e" not in path.lower()
        and not any(s in (".", "..") for s in segments)
        and not any(ord(c) < 0x20 for c in path)
    )


def _canonical_plain(path: str) -> bytes:
    return "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in path).encode("ascii")


@PROPERTY
@given(case=cases())
async def test_no_reencoding_of_a_protected_path_reaches_the_app_without_a_session(
    case: tuple[Pattern, str, bytes | None, str],
) -> None:
    pattern, path, raw, decoded = case
    app = _app(pattern, recording=False)
    plain = _scope(path, _canonical_plain(path), session=False)
    assert (await run(app, plain)).status == 307, path  # the path as generated is protected
    scope = _scope(decoded, raw, session=False)
    sent = await run(app, scope)
    event(f"status {sent.status}")
    seen = scope["state"].get("inner")
    if seen is None:
        assert sent.status in (307, 308, 400), (raw, decoded, sent.status)
        return
    reached = {p for p in route_candidates(seen) if pattern.protects(p) or pattern.protects(p.lower())}
    assert not reached, f"{pattern.source}: {raw!r} (path {decoded!r}) reached the app as {sorted(reached)}"


@PROPERTY
@given(case=cases())
async def test_with_a_session_the_callback_and_the_app_see_canonical_paths(
    case: tuple[Pattern, str, bytes | None, str],
) -> None:
    pattern, path, raw, decoded = case
    app = _app(pattern, recording=True)
    plain = _scope(path, _canonical_plain(path), session=True)
    assert (await run(app, plain)).status == 200, path
    assert plain["state"]["authorized"] == path
    scope = _scope(decoded, raw, session=True)
    sent = await run(app, scope)
    event(f"status {sent.status}")
    state = scope["state"]
    if "authorized" in state:
        assert _canonical(state["authorized"]), state["authorized"]
    if "inner" in state:
        assert "authorized" in state or not pattern.protects(state["inner"]["path"].lower())
        assert _canonical(state["inner"]["path"]), state["inner"]["path"]
    elif sent.status == 308:
        location = unquote(urlsplit(sent.headers["location"]).path)
        assert _canonical(location), sent.headers["location"]
    else:
        assert sent.status == 400, (raw, decoded, sent.status)
