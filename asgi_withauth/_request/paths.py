"""Request paths: one canonical path, the one the app routes on, or a refusal.

ASGI servers pass the request target on almost as sent, and every framework turns it into
a route in its own way: some collapse ``//``, some route ``..`` as a segment value, some
strip ``root_path`` as a text prefix or at its first occurrence anywhere, some take the path
out of an absolute-form target. A decision made on one spelling of the path and a route
chosen from another is a bypass. So WithAuth first checks that the path is already in one
canonical form, where every framework routes on the same path:

- it starts with ``/`` (no absolute-form ``http://host/x``, no ``x``, no ``*``);
- it has no dot segments (``.``, ``..``, in any spelling: ``%2e``, ``.%2E``) and no empty
  segments (``//``) except a trailing slash;
- it has no backslash (``\\``, ``%5C``), no encoded slash (``%2F``; see
  :attr:`PathPolicy.allow_encoded_slash`), no ``;`` (path parameters, which some proxies and
  servers strip), no encoded ``?`` or ``#`` (delimiters to URL parsers), no percent-escape
  left once decoded (``%252e``: a second decoding layer would see another path), no control
  characters, only UTF-8, and ``scope["path"]`` is ``raw_path`` percent-decoded;
- it is ``root_path`` followed by ``/...``, or does not contain ``root_path`` at all (servers
  differ in whether they put ``root_path`` in front of the path).

A path that breaks one of the fixable rules (dot segments, ``//``, backslashes, encoded
slashes) is redirected to its canonical form, like Go's ``ServeMux`` and Envoy's
``UNESCAPE_AND_REDIRECT``, or refused; the others are refused (400, 414). Nothing of the app
runs for such a request, and the path WithAuth decides on, and that ``authorized`` sees, is
the canonical one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal
from urllib.parse import quote, unquote

from ..errors import MalformedPathError, NonCanonicalPathError, PathTooLongError

__all__ = [
    "DEFAULT_MAX_PATH_LENGTH",
    "PATH_SAFE",
    "MalformedPathError",
    "NonCanonicalPathError",
    "PathPolicy",
    "PathTooLongError",
    "canonical_route",
    "raw_route_path",
    "route_path",
    "under",
    "url_path",
]

DEFAULT_MAX_PATH_LENGTH: Final = 4096
"""Longer paths are refused (414): no real page needs more, and it bounds matching time."""

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, line and paragraph separators
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPE: Final = re.compile(r"%[0-9A-Fa-f]{2}")
_ENCODED_BACKSLASH: Final = re.compile(r"%5[Cc]")
_ENCODED_SLASH: Final = re.compile(r"%2[Ff]")
# The common case, checked with one linear regex: plain characters only (nothing encoded,
# no backslash, no ';'), no empty segments but a trailing slash, no dot segments.
_PLAIN: Final = re.compile(r"/|(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9._~!$&'()*+,=:@-]+)+/?")
# What the WHATWG URL parser leaves unencoded in a path (its path percent-encode set's complement).
PATH_SAFE: Final = "!$&'()*+,;=:@/%-._~[]|^"
_RAW_SAFE: Final = PATH_SAFE.replace("%", "")
_URL_PLAIN: Final = re.compile(r"(?:/(?:[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@-]*)?)*")
_SINGLE_DOT: Final = frozenset({".", "%2e"})
_DOUBLE_DOT: Final = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


@dataclass(frozen=True)
class PathPolicy:
    """What WithAuth does with request paths that are not in canonical form.

    ``non_canonical``: ``"redirect"`` (default) answers a fixable path (dot segments, ``//``,
    backslashes, encoded slashes) with a 308 to its canonical form, ``"reject"`` answers it
    400. Websockets are always refused (400): a handshake cannot follow a redirect.
    ``allow_encoded_slash``: let ``%2F`` through inside a segment, for apps whose
    identifiers hold slashes (``/repos/a%2Fb``); the decision is then made on the decoded path,
    the path ASGI frameworks route on. ``allow_semicolon``: let ``;`` through (matrix
    parameters). ``max_length``: longer paths are answered 414.
    """

    non_canonical: Literal["redirect", "reject"] = "redirect"
    allow_encoded_slash: bool = False
    allow_semicolon: bool = False
    max_length: int = DEFAULT_MAX_PATH_LENGTH

    def __post_init__(self) -> None:
        if self.non_canonical not in ("redirect", "reject"):
            raise ValueError("PathPolicy.non_canonical: expected 'redirect' or 'reject'")
        if self.max_length < 1:
            raise ValueError("PathPolicy.max_length must be positive")


def route_path(scope: Mapping[str, Any]) -> str:
    """``scope["path"]`` without the ``root_path`` it is mounted under (as Starlette routes it)."""
    path: str = scope.get("path") or "/"
    root: str = (scope.get("root_path") or "").rstrip("/")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


def raw_route_path(scope: Mapping[str, Any]) -> str:
    """The route path as the client sent it (still percent-encoded), without ``root_path``.

    Bytes are decoded as UTF-8 with ``surrogateescape``, so re-encoding is exact.
    """
    raw = scope.get("raw_path")
    if raw is None:
        return quote(route_path(scope), safe=PATH_SAFE)
    text: str = raw.decode("utf-8", "surrogateescape")
    root: str = scope.get("root_path") or ""
    if root and under(text, root):
        text = text[len(root.rstrip("/")) :] or "/"
    return text


def canonical_route(scope: Mapping[str, Any], policy: PathPolicy) -> str:
    """The path the app routes on (``scope["path"]`` without ``root_path``) if the request's
    path is canonical; raises :class:`MalformedPathError` (or its subclasses
    :class:`NonCanonicalPathError`, with the canonical location, and :class:`PathTooLongError`)
    otherwise."""
    path = scope.get("path")
    raw = scope.get("raw_path")
    root: str = (scope.get("root_path") or "").rstrip("/")
    if not isinstance(path, str) or (raw is not None and not isinstance(raw, bytes)):
        raise MalformedPathError("the request path is missing")
    if len(path) > policy.max_length or (raw is not None and len(raw) > 3 * policy.max_length):
        raise PathTooLongError(f"the request path is longer than {policy.max_length} characters")
    if not root and _PLAIN.fullmatch(path) and (raw is None or raw == path.encode("ascii")):
        return path  # the common case: nothing encoded, nothing to resolve
    route, raw_route = _split_root(path, raw, root)
    _check_route(route, raw_route, policy)
    return route


def _split_root(path: str, raw: bytes | None, root: str) -> tuple[str, str]:
    """The decoded and raw route paths: ``root_path`` taken off the front, where it is."""
    if not path.startswith("/"):
        if "://" in path:
            raise MalformedPathError("absolute-form request target: send the path only ('/...')")
        raise MalformedPathError("the request target does not start with '/'")
    # Without raw_path, the path re-encoded: encoded slashes cannot be told apart then.
    raw_text = quote(path, safe=_RAW_SAFE, errors="surrogateescape") if raw is None else raw.decode("latin-1")
    if not root:
        return path, raw_text
    if path == root or path.startswith(root + "/"):
        route = path[len(root) :] or "/"
        if raw_text == root or raw_text.startswith(root + "/"):
            raw_text = raw_text[len(root) :] or "/"
        return route, raw_text
    if root in path:  # frameworks disagree on where such a path starts: refuse it
        raise MalformedPathError(f"the path holds root_path {root!r} outside its start")
    return path, raw_text


def _check_route(route: str, raw_route: str, policy: PathPolicy) -> None:
    """Refuse or redirect anything but a canonical route; see the module's docstring."""
    if not raw_route.startswith("/"):
        raise MalformedPathError("the request target does not start with '/'")
    if _BAD_PERCENT.search(raw_route):
        raise MalformedPathError("malformed percent-encoding in the request path")
    try:
        decoded = unquote(raw_route, errors="strict")
    except UnicodeDecodeError:
        raise MalformedPathError("the request path is not UTF-8 (overlong or invalid bytes)") from None
    if not raw_route.isascii():
        raise MalformedPathError("unencoded non-ASCII bytes in the request path")
    if _CONTROL.search(decoded) or _CONTROL.search(route):
        raise MalformedPathError("control characters in the request path")
    if _ESCAPE.search(decoded):
        raise MalformedPathError("the request path is percent-encoded twice")
    if "?" in decoded or "#" in decoded:  # request.url and matchers read them as delimiters
        raise MalformedPathError("an encoded '?' or '#' in the request path")
    if not policy.allow_semicolon and ";" in decoded:
        raise MalformedPathError("';' (path parameters) in the request path")
    if decoded != route:
        raise MalformedPathError("the request's path and raw_path disagree")
    fixable = (
        "\\" in decoded
        or (not policy.allow_encoded_slash and _ENCODED_SLASH.search(raw_route) is not None)
        or _has_empty_or_dot_segment(decoded)
        or _has_empty_or_dot_segment(raw_route)
    )
    if not fixable:
        return
    location = _canonical_form(raw_route, keep_encoded_slash=policy.allow_encoded_slash)
    if policy.non_canonical == "reject" or _not_canonical(location, policy):
        raise MalformedPathError("the request path is not in canonical form")
    raise NonCanonicalPathError("the request path is not in canonical form", location=location)


def _has_empty_or_dot_segment(path: str) -> bool:
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        if segment == "" and i < len(segments) - 1:
            return True
        lowered = segment.lower()
        if lowered in _SINGLE_DOT or lowered in _DOUBLE_DOT:
            return True
    return False


def _canonical_form(raw_route: str, *, keep_encoded_slash: bool) -> str:
    """``raw_route`` with backslashes (and, unless kept, encoded slashes) as ``/``, empty
    segments dropped (a trailing slash kept) and dot segments resolved."""
    text = _ENCODED_BACKSLASH.sub("/", raw_route.replace("\\", "/"))
    if not keep_encoded_slash:
        text = _ENCODED_SLASH.sub("/", text)
    out: list[str] = []
    segments = text.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if out:
                out.pop()
        elif segment and lowered not in _SINGLE_DOT:
            out.append(segment)
            continue
        if last:
            out.append("")  # /a/.. and /a/ end in a slash
    return "/" + "/".join(out) if out != [""] else "/"


def _not_canonical(location: str, policy: PathPolicy) -> bool:
    """Whether a computed canonical form would itself be refused (then refuse, never loop)."""
    try:
        _check_route(unquote(location, errors="strict"), location, replace(policy, non_canonical="reject"))
    except (MalformedPathError, UnicodeDecodeError):
        return True
    return len(location) > policy.max_length


def url_path(path: str) -> str:
    """The path as the WHATWG URL parser (and so Next.js) spells it: backslashes as
    ``/``, ``.``/``..`` segments (also ``%2e``) resolved, other characters percent-encoded
    where the parser would encode them."""
    if _URL_PLAIN.fullmatch(path):
        return path  # nothing to encode, no dot segments
    out: list[str] = []
    segments = quote(path.replace("\\", "/"), safe=PATH_SAFE, errors="surrogateescape").split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        lowered = segment.lower()
        if lowered in _SINGLE_DOT or lowered in _DOUBLE_DOT:
            if lowered in _DOUBLE_DOT and out:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(segment)
    return "/" + "/".join(out)


def under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it, on a segment boundary."""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")
