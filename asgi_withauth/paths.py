"""Request paths: the one the app routes on, and every other spelling of it.

ASGI servers do not normalise paths the way Next.js does before ``withAuth`` runs, and
frameworks and proxies differ in what they decode. So a decision is made on several
*forms* of the path: the path the app will route on (``scope["path"]``), the path as
Next.js would see it (the raw path, percent-encoded as the URL parser leaves it, dot
segments resolved), the path percent-decoded again (as a decoding proxy would pass it
on), and the fully normalised path (decoded, backslashes as slashes, ``//`` collapsed,
dot segments resolved, ``;params`` dropped, no trailing slash), plus their lowercase
forms unless paths are case-sensitive. A path is
protected if any form is, and public only if every form is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, unquote, unquote_to_bytes

__all__ = [
    "MalformedPathError",
    "decode_path",
    "normalize_path",
    "path_forms",
    "raw_route_path",
    "route_path",
    "under",
    "url_path",
]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_BAD_PERCENT: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_PLAIN: Final = re.compile(r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~!$&'()*+,=:@-]+)*/?")
# Paths with a single form: no encoding, no dot segments, no trailing slash (and no capitals
# unless paths are case-sensitive).
_PLAIN_CASED: Final = re.compile(r"/|(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9._~!$&'()*+,=:@-]+)+")
_PLAIN_LOWER: Final = re.compile(r"/|(?:/(?!\.\.?(?:/|\Z))[a-z0-9._~!$&'()*+,=:@-]+)+")
# What the WHATWG URL parser leaves unencoded in a path (its path percent-encode set's complement).
_PATH_SAFE: Final = "!$&'()*+,;=:@/%-._~[]|^"
_URL_PLAIN: Final = re.compile(r"(?:/(?:[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@-]*)?)*")
_SINGLE_DOT: Final = frozenset({".", "%2e"})
_DOUBLE_DOT: Final = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


class MalformedPathError(ValueError):
    """The request path cannot be a real URL path: control characters, or bytes that are not UTF-8."""


def route_path(scope: Mapping[str, Any]) -> str:
    """``scope["path"]`` without the ``root_path`` it is mounted under (as Starlette routes it)."""
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


def raw_route_path(scope: Mapping[str, Any]) -> str:
    """The route path as the client sent it (still percent-encoded), without ``root_path``.

    Bytes are decoded as UTF-8 with ``surrogateescape``, so re-encoding is exact.
    """
    raw = scope.get("raw_path")
    if raw is None:
        return quote(route_path(scope), safe=_PATH_SAFE)
    text: str = raw.decode("utf-8", "surrogateescape")
    root: str = scope.get("root_path") or ""
    if root and under(text, root):
        text = text[len(root.rstrip("/")) :] or "/"
    return text


def url_path(path: str) -> str:
    """The path as the WHATWG URL parser (and so Next.js) spells it: backslashes as
    ``/``, ``.``/``..`` segments (also ``%2e``) resolved, other characters percent-encoded
    where the parser would encode them."""
    if _URL_PLAIN.fullmatch(path):
        return path  # nothing to encode, no dot segments
    out: list[str] = []
    segments = quote(path.replace("\\", "/"), safe=_PATH_SAFE, errors="surrogateescape").split("/")[1:]
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


def _check_raw(raw: bytes) -> None:
    if _BAD_PERCENT.search(raw):
        raise MalformedPathError("malformed percent-encoding in the request path")
    try:
        decoded = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPathError("the request path is not UTF-8 (overlong or invalid bytes)") from None
    if _CONTROL.search(decoded):
        raise MalformedPathError("control characters in the request path")


def decode_path(path: str) -> str:
    """Percent-decode up to three rounds (what a chain of decoding proxies could do)."""
    for _ in range(3):
        if "%" not in path:
            break
        decoded = unquote(path, errors="strict")
        if decoded == path:
            break
        path = decoded
    if _CONTROL.search(path):
        raise MalformedPathError("control characters in the request path")
    return path


def normalize_path(path: str) -> str:
    """Decode (:func:`decode_path`), turn ``\\`` into ``/``, drop ``;params`` and empty
    segments, resolve ``.`` and ``..``; the result has no trailing slash."""
    out: list[str] = []
    for segment in decode_path(path).replace("\\", "/").split("/"):
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return "/" + "/".join(out)


def path_forms(scope: Mapping[str, Any], *, case_sensitive: bool = False) -> tuple[str, ...]:
    """Every form of the request path worth matching, the routed path first.

    Raises :class:`MalformedPathError` for paths no client should send.
    """
    path = route_path(scope)
    raw = scope.get("raw_path")
    simple = _PLAIN_CASED if case_sensitive else _PLAIN_LOWER
    if simple.fullmatch(path) and (raw is None or raw == path.encode("ascii")):
        return (path,)  # the common case: nothing encoded, nothing to normalise
    if raw is not None:
        _check_raw(raw)
    if _CONTROL.search(path):
        raise MalformedPathError("control characters in the request path")
    raw_text = raw_route_path(scope) if raw is not None else path
    plain = raw_text == path and _PLAIN.fullmatch(path) and (len(path) == 1 or not path.endswith("/"))
    if plain and (case_sensitive or path.lower() == path):
        return (path,)
    try:
        forms = [path, url_path(raw_text), decode_path(path), normalize_path(path)]
    except UnicodeDecodeError:
        raise MalformedPathError("the request path is not UTF-8 once percent-decoded") from None
    if not case_sensitive:
        forms += [form.lower() for form in forms]
    return tuple(dict.fromkeys(forms))


def under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it, on a segment boundary."""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")
