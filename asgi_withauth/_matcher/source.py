"""One matcher source as Next.js builds it, and how each path is matched in linear time.

``build/analysis/get-page-static-info.js`` ``getMiddlewareMatchers``: each source becomes
``basePath + "/:nextData(_next/data/[^/]{1,})?" + source + suffix``, where the suffix is
``{(\\.json|\\.rsc|\\.segments/.+\\.segment\\.rsc)}?``, or for the root ``/``
``(/?index|/?index\\.json|/?index(?:\\.rsc|\\.segments/.+\\.segment\\.rsc))?``. The source
must start with ``/``. The source, and the built source too, must be at most 4096
characters (``build/segment-config/middleware/middleware-config.js``). Both are compiled with
path-to-regexp (:mod:`.pattern`). Only ``.source`` is kept, so the ``i`` flag is lost.

Next's own suffix ``.segments/.+\\.segment\\.rsc`` would make ``re`` quadratic on
``/:path*``: a path that does not end in ``.segment.rsc`` is matched without that branch (it
cannot match there), and one with a line break is left to the automaton (see :func:`path_mode`).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from .jsregex import JsRegex, translate, utf16
from .pattern import escape, route

__all__ = [
    "AUTOMATON",
    "CUT",
    "FULL",
    "LINE_BREAK",
    "SEGMENT_ENDINGS",
    "BuiltSource",
    "build",
    "check_base_path",
    "compile_source",
    "js_source",
    "next_regexp",
    "path_mode",
    "shared_prefix",
]

_MAX_SOURCE: Final = 4096
_TRANSPORT: Final = r"\.rsc|\.segments/.+\.segment\.rsc"
_NEXT_DATA_PREFIX: Final = "/:nextData(_next/data/[^/]{1,})?"
_NEXT_DATA_REGEX: Final = r"(?:\/(_next\/data\/[^/]{1,}))?"  # what path-to-regexp makes of the prefix
_ROOT_SUFFIX: Final = rf"(/?index|/?index\.json|/?index(?:{_TRANSPORT}))?"
_DATA_SUFFIX: Final = rf"{{(\.json|{_TRANSPORT})}}?"
_DATA_SUFFIX_CUT: Final = r"{(\.json|\.rsc)}?"  # without the .segments branch

SEGMENT_ENDINGS: Final = (".segment.rsc", ".segment.rsc/", ".segment.rsc#", ".segment.rsc?")
"""How a path the ``.segments`` branch can match ends."""
LINE_BREAK: Final = re.compile("[\n\r\u2028\u2029]")
"""What JavaScript's ``.`` does not match."""
CUT, FULL, AUTOMATON = range(3)
"""How a path is matched: see :func:`path_mode`."""


def _path_regexp(src: str) -> tuple[str, str]:
    """Next's ``tryToParsePath(src)`` regex (before ``.source``) and its Python translation."""
    js = route(src)
    return js, translate(js)


def _built_source(source: str, base_path: str, *, segments: bool = True, exact: bool = False) -> str:
    """The source ``getMiddlewareMatchers`` builds (and validates) for one matcher source;
    ``segments=False``: the same without the ``.segments`` branch of the suffix; ``exact``:
    the base path and the source alone, without Next's prefix and suffix."""
    if not source.startswith("/"):
        raise ValueError("source must start with /")
    if len(source) > _MAX_SOURCE:
        raise ValueError(f"exceeds max built length of {_MAX_SOURCE} for route")
    _path_regexp(source)
    # Next pastes basePath in as pattern syntax; we escape it so that it stays literal.
    built = re.sub(r"([:*+?(){}\\])", r"\\\1", base_path)
    if exact:
        return built + source
    built += _NEXT_DATA_PREFIX + source
    if len(built + _DATA_SUFFIX) > _MAX_SOURCE:
        raise ValueError(f"exceeds max built length of {_MAX_SOURCE} for route (with Next's prefix and suffix)")
    return built + (_ROOT_SUFFIX if source == "/" else _DATA_SUFFIX if segments else _DATA_SUFFIX_CUT)


class BuiltSource(NamedTuple):
    """One matcher source as Next builds it (``full``), and without the ``.segments`` branch
    of Next's suffix (``cut``): the same answer for a path that does not end in ``.segment.rsc``."""

    full: JsRegex
    cut: JsRegex

    @property
    def linear(self) -> bool:
        """Whether ``re`` decides every path in linear time (with :func:`path_mode`'s choice)."""
        return self.cut.linear

    def match(self, path: str, mode: int) -> bool:
        """Whether ``path`` (UTF-16 code units) matches; ``mode`` from :func:`path_mode`."""
        if mode == CUT:
            return self.cut.matches(path)
        if self.full.linear or (mode == FULL and self.cut.linear):
            return self.full.matches(path, by="re")
        return self.full.matches(path, by="automaton")


def build(source: str, base_path: str, *, exact: bool = False) -> BuiltSource:
    """Both regexes of one source (UTF-16 code units). The analysis runs on ``cut`` only:
    :meth:`BuiltSource.match` decides for ``full`` per path. ``exact``: the source as written,
    without Next's ``/_next/data`` prefix and ``.json``/``.rsc``/``/index`` forms (one regex)."""
    if exact:
        only = JsRegex(route(_built_source(source, base_path, exact=True)))
        return BuiltSource(only, only)
    if source == "/":  # the root's suffix has no such branch to cut
        full = JsRegex(route(_built_source(source, base_path)))
        return BuiltSource(full, full)
    cut = JsRegex(route(_built_source(source, base_path, segments=False)))
    return BuiltSource(JsRegex(route(_built_source(source, base_path)), analyse=False), cut)


def path_mode(path: str) -> int:
    """How ``path`` (UTF-16 code units) is matched in linear time.

    ``CUT``: without the ``.segments/.+\\.segment\\.rsc`` branch, which cannot match (the path
    does not end in ``.segment.rsc`` and at most one ``/``, ``#`` or ``?``). ``FULL``: with it;
    its ``.+`` then runs to the end and succeeds, so ``re`` tries it at most a few times. With a
    line break in the path, ``.+`` stops there, and each try could cost the rest of the path:
    ``AUTOMATON``.
    """
    if not path.endswith(SEGMENT_ENDINGS):
        return CUT
    return AUTOMATON if LINE_BREAK.search(path) else FULL


def shared_prefix(base_path: str) -> str:
    """The Python regex every source built for ``base_path`` starts with: the base path and
    Next's ``/_next/data/...`` prefix."""
    return translate("^" + escape(utf16(base_path)) + _NEXT_DATA_REGEX)


def check_base_path(base_path: str) -> None:
    """ValueError unless ``base_path`` is ``""`` or like ``/base`` (an ASGI ``root_path``)."""
    if base_path and (base_path == "/" or not base_path.startswith("/") or base_path.endswith("/")):
        raise ValueError(f"base_path must be '' or start with '/' and not end with '/', got {base_path!r}")


_LINE_TERMINATORS: Final = "\n\r\u2028\u2029"
_SOURCE_ESCAPES: Final = {"/": "\\/", "\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def js_source(js: str) -> str:
    """What V8's ``RegExp.prototype.source`` gives for ``new RegExp(js)``."""
    out: list[str] = []
    in_class, i = False, 0
    while i < len(js):
        c = js[i]
        if c == "\\" and i + 1 < len(js):
            if js[i + 1] not in _LINE_TERMINATORS:  # else: drop it, the terminator is escaped next
                out.append(js[i : i + 2])
                i += 1
        elif c in _LINE_TERMINATORS or (c == "/" and not in_class):
            out.append(_SOURCE_ESCAPES[c])
        else:
            in_class = (in_class or c == "[") and c != "]"
            out.append(c)
        i += 1
    return "".join(out)


def next_regexp(source: str, *, base_path: str = "") -> str:
    """The ``regexp`` string Next.js stores for one middleware matcher source (for debugging)."""
    check_base_path(base_path)
    try:
        js = js_source(_path_regexp(_built_source(utf16(source), utf16(base_path)))[0])
        return js.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    except ValueError as exc:
        raise ValueError(f"invalid matcher source {source!r}: {exc}") from None


def compile_source(source: str) -> re.Pattern[str]:
    """One path-to-regexp source, compiled as Next compiles it (case-sensitive, optional trailing
    ``/``, ``#`` or ``?``), without the middleware prefix and suffix. Anchored at both ends.

    Strings with characters above U+FFFF must be given as surrogate pairs, as JavaScript sees
    them (``Matcher.match`` does that conversion itself). This is a plain ``re`` pattern: on
    hostile input, some sources (``/:a*/:b*``, ``/(.*)/(.*)``) take super-linear time with it;
    :class:`~.matcher.Matcher` never does.
    """
    try:
        return re.compile(_path_regexp(utf16(source))[1])
    except ValueError as exc:
        raise ValueError(f"invalid path pattern {source!r}: {exc}") from None
