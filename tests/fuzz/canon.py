"""An independent canonicaliser: which paths an app could route a request to.

The fuzzing oracle and the re-encoding properties must not trust WithAuth's own path
handling (``asgi_withauth._request.paths``) to decide whether a request reached a protected
area. This module answers from the scope alone, written from RFC 3986 and not from the code
under test: percent-decode once, resolve dot segments, collapse nothing else. To be
conservative (say "protected" whenever some app could think so), :func:`route_candidates`
returns every path a server or framework might route on: ``path`` (as is, and decoded once more) and ``raw_path``, with
``root_path`` taken off the front (or out of the middle, as some frameworks do), and each also
read with backslashes as slashes, with ``//`` collapsed, and with ``;params`` dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["decode_once", "remove_dot_segments", "route_candidates", "under"]

_HEX = "0123456789abcdefABCDEF"


def decode_once(raw: bytes) -> str:
    """``raw`` with each ``%XX`` replaced by its byte, once; the bytes read as UTF-8 (bytes
    that are not UTF-8 kept as lone surrogates, so nothing is lost)."""
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == 0x25 and i + 2 < len(raw) and chr(raw[i + 1]) in _HEX and chr(raw[i + 2]) in _HEX:
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(byte)
        i += 1
    return out.decode("utf-8", "surrogateescape")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 on a path: ``.`` and ``..`` segments resolved (never above the
    root), nothing else touched (``//`` stays)."""
    if not path.startswith("/"):
        path = "/" + path
    segments = path.split("/")[1:]
    out: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
            continue
        if last:
            out.append("")  # /a/. and /a/.. end in a slash
    return "/" + "/".join(out)


def _collapse(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return path


def _drop_params(path: str) -> str:
    return "/".join(segment.partition(";")[0] for segment in path.split("/"))


def _without_root(path: str, root: str) -> Iterable[str]:
    """The path without ``root_path``: taken off the front on a segment boundary (as ASGI
    frameworks do), else the path as is, and also with ``root_path`` cut out of the middle."""
    if root and (path == root or path.startswith(root + "/")):
        yield path[len(root) :] or "/"
        return
    yield path
    if root and root in path:
        cut = path.index(root)
        yield path[:cut] + path[cut + len(root) :] or "/"


def route_candidates(scope: Mapping[str, Any], *, semicolons: bool = True) -> set[str]:
    """Every path an app behind this scope could route on (see the module docstring), each
    with dot segments resolved. ``semicolons=False``: ``;`` is part of a segment (the app was
    told to allow matrix parameters), never a delimiter."""
    root = str(scope.get("root_path") or "").rstrip("/")
    bases: list[str] = []
    path = scope.get("path")
    if isinstance(path, str):
        bases += [path, decode_once(path.encode("utf-8", "surrogateescape"))]  # an app decoding again
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        bases.append(decode_once(raw))
    found: set[str] = set()
    for base in bases:
        for text in _without_root(base, root):
            readings = {text, text.replace("\\", "/")}
            readings |= {_collapse(r) for r in readings}
            if semicolons:
                readings |= {_drop_params(r) for r in readings}
            found |= {remove_dot_segments(r) for r in readings}
    return found


def under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it, on a segment boundary."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")
