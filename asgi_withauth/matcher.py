"""Next.js middleware ``config.matcher``, compiled once into Python regular expressions.

What Next.js 15.5 does (read in ``next/dist``), and what this module reproduces:

* ``build/analysis/get-page-static-info.js`` ``getMiddlewareMatchers``: each source becomes
  ``basePath + "/:nextData(_next/data/[^/]{1,})?" + source + suffix``, where the suffix is
  ``{(\\.json|\\.rsc|\\.segments/.+\\.segment\\.rsc)}?``, or for the root ``/``
  ``(/?index|/?index\\.json|/?index(?:\\.rsc|\\.segments/.+\\.segment\\.rsc))?``. The source
  must start with ``/``. The source, and the built source too, must be at most 4096
  characters (``build/segment-config/middleware/middleware-config.js``). Both are compiled by
  ``lib/try-to-parse-path.js`` with path-to-regexp 6.3.0 (``parse`` + ``tokensToRegexp``). A
  repeated parameter with no prefix or suffix gets a ``/`` prefix instead of an error. Only
  ``.source`` is kept, so the ``i`` flag is lost.
* ``shared/lib/router/utils/middleware-route-matcher.js`` runs ``new RegExp(regexp)`` on the
  pathname. There are no flags, so matching is case-sensitive and ``.`` stops at line
  terminators. A hit counts only if ``shared/lib/router/utils/prepare-destination.js``
  ``matchHas`` accepts its ``has``/``missing`` conditions.

Paths: ``match()`` takes the path the way Next tests it, *with* the base path: Next puts
basePath into the regexp and tests ``parsedUrl.pathname``. In ASGI terms:
``Matcher(m, base_path=root_path).match(scope["path"])``. The same thing:
``Matcher(m).match(<path without root_path>)``. Next runs middleware if the raw
(percent-encoded) pathname matches or if its ``decodeURIComponent`` does. The caller decides
which forms of the path to test.

JavaScript regexes (custom ``(...)`` groups, ``has`` values) are translated, not reused as
they are. ``.``, ``\\s``, ``\\d``, ``\\w``, ``\\b``, ``^``/``$``, classes and ``{`` keep their
JavaScript meaning. Strings are matched as UTF-16 code units, as JavaScript does. Syntax
that cannot be translated faithfully raises ValueError at construction: backreferences,
``\\p{..}``, quantified assertions, Python-only syntax, and a few more.

Matching time is linear in the path (and in the ``has``/``missing`` values) for every matcher:
sources and values on which Python's ``re`` could backtrack for long (``/:a*/:b*``,
``/(.*)/(.*)``, ``.*bot.*``) are matched by :class:`~asgi_withauth.jsregex.JsRegex`'s
automaton, the others by ``re`` (see :mod:`asgi_withauth.jsregex`). Next's own suffix
``.segments/.+\\.segment\\.rsc`` would make ``re`` quadratic on ``/:path*``: a path that does
not end in ``.segment.rsc`` is matched without that branch (it cannot match there), and one
with a line break is left to the automaton. Paths longer than :data:`MAX_PATH_LENGTH` are
never matched against a regex: :meth:`Matcher.match` says they match, and
:meth:`MatcherSet.first` raises :class:`PathTooLongError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeAlias
from urllib.parse import parse_qsl

from .cookies import decode_uri_component
from .errors import PathTooLongError
from .jsregex import JS_WHITESPACE, JsRegex, translate, utf16

__all__ = [
    "MAX_PATH_LENGTH",
    "Matcher",
    "MatcherSet",
    "MatcherSpec",
    "PathTooLongError",
    "RequestFacts",
    "compile_source",
    "next_regexp",
]

MatcherSpec: TypeAlias = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
"""A ``config.matcher``: a source, a ``{"source", "has", "missing", "locale"}`` dict, or a list."""

MAX_PATH_LENGTH: Final = 4096
"""The longest path (in characters, as ``len`` counts them) a matcher tests; longer ones are
never matched against a regex (see :meth:`Matcher.match` and :meth:`MatcherSet.first`). A
character above U+FFFF is matched as two UTF-16 units, so the work stays within twice this."""

_MAX_SOURCE: Final = 4096
_TRANSPORT: Final = r"\.rsc|\.segments/.+\.segment\.rsc"
_NEXT_DATA_PREFIX: Final = "/:nextData(_next/data/[^/]{1,})?"
_ROOT_SUFFIX: Final = rf"(/?index|/?index\.json|/?index(?:{_TRANSPORT}))?"
_DATA_SUFFIX: Final = rf"{{(\.json|{_TRANSPORT})}}?"
_DATA_SUFFIX_CUT: Final = r"{(\.json|\.rsc)}?"  # without the .segments branch
_SEGMENT_ENDINGS: Final = (".segment.rsc", ".segment.rsc/", ".segment.rsc#", ".segment.rsc?")
_LINE_BREAK: Final = re.compile("[\n\r\u2028\u2029]")
_CUT, _FULL, _AUTOMATON = range(3)


_NEXT_DATA_REGEX: Final = r"(?:\/(_next\/data\/[^/]{1,}))?"  # what path-to-regexp makes of the prefix
_ANY_SEGMENT: Final = r"[^\/#\?]+?"


# --- path-to-regexp 6.3.0, as Next.js calls it ------------------------------------------------


class _Tok(NamedTuple):
    name: str
    prefix: str
    suffix: str
    pattern: str
    modifier: str


def _escape(text: str) -> str:
    return re.sub(r"([.+*?=^!:${}()\[\]|/\\])", r"\\\1", text)


def _lex(src: str) -> list[tuple[str, int, str | None]]:
    tokens: list[tuple[str, int, str | None]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in "*+?":
            tokens.append(("MODIFIER", i, c))
        elif c == "\\":  # a trailing backslash becomes a token without a value (then ignored)
            tokens.append(("ESCAPED_CHAR", i, src[i + 1] if i + 1 < n else None))
            i += 1
        elif c in "{}":
            tokens.append(("OPEN" if c == "{" else "CLOSE", i, c))
        elif c == ":":
            j = i + 1
            while j < n and src[j].isascii() and (src[j].isalnum() or src[j] == "_"):
                j += 1
            if j == i + 1:
                raise ValueError(f"Missing parameter name at {i}")
            tokens.append(("NAME", i, src[i + 1 : j]))
            i = j - 1
        elif c == "(":
            count, j = 1, i + 1
            if src[j : j + 1] == "?":
                raise ValueError(f'Pattern cannot start with "?" at {j}')
            while j < n:
                if src[j] == "\\":
                    j += 2
                    continue
                if src[j] == ")":
                    count -= 1
                    if count == 0:
                        break
                elif src[j] == "(":
                    count += 1
                    if src[j + 1 : j + 2] != "?":
                        raise ValueError(f"Capturing groups are not allowed at {j}")
                j += 1
            if count:
                raise ValueError(f"Unbalanced pattern at {i}")
            if j == i + 1:
                raise ValueError(f"Missing pattern at {i}")
            tokens.append(("PATTERN", i, src[i + 1 : j]))
            i = j
        else:
            tokens.append(("CHAR", i, c))
        i += 1
    tokens.append(("END", i, ""))
    return tokens


def _parse(src: str) -> list[str | _Tok]:
    """path-to-regexp's ``parse`` with its defaults (prefixes ``./``, delimiter ``/#?``)."""
    tokens = _lex(src)
    result: list[str | _Tok] = []
    pos = key = 0
    path = ""

    def take(kind: str) -> str | None:
        nonlocal pos
        if pos < len(tokens) and tokens[pos][0] == kind:
            pos += 1
            return tokens[pos - 1][2]
        return None

    def expect(kind: str) -> None:
        if take(kind) is None:
            got, index, _ = tokens[pos]
            raise ValueError(f"Unexpected {got} at {index}, expected {kind}")

    def text() -> str:
        out = ""
        while value := take("CHAR") or take("ESCAPED_CHAR"):
            out += value
        return out

    def safe_pattern(prefix: str) -> str:
        prev = result[-1] if result else None
        prev_text = prefix or (prev if isinstance(prev, str) else "")
        if isinstance(prev, _Tok) and not prev_text:
            raise ValueError(f'Must have text between two parameters, missing text after "{prev.name}"')
        if not prev_text or any(d in prev_text for d in "/#?"):
            return _ANY_SEGMENT
        return rf"(?:(?!{_escape(prev_text)})[^\/#\?])+?"

    def anonymous() -> str:
        nonlocal key
        key += 1
        return str(key - 1)

    while pos < len(tokens):
        char, name, pattern = take("CHAR"), take("NAME"), take("PATTERN")
        if name or pattern:
            prefix = char or ""
            if prefix not in "./":
                path, prefix = path + prefix, ""
            if path:
                result.append(path)
                path = ""
            name = name or anonymous()
            result.append(_Tok(name, prefix, "", pattern or safe_pattern(prefix), take("MODIFIER") or ""))
            continue
        if value := char or take("ESCAPED_CHAR"):
            path += value
            continue
        if path:
            result.append(path)
            path = ""
        if take("OPEN"):
            prefix = text()
            name, pattern = take("NAME") or "", take("PATTERN") or ""
            suffix = text()
            expect("CLOSE")
            name = name or (anonymous() if pattern else "")
            pattern = safe_pattern(prefix) if name and not pattern else pattern
            result.append(_Tok(name, prefix, suffix, pattern, take("MODIFIER") or ""))
            continue
        expect("END")
    return result


def _tokens_to_regexp(tokens: Iterable[str | _Tok], *, normalize: bool) -> str:
    """path-to-regexp's ``tokensToRegexp`` (not strict, anchored at both ends): a JavaScript regex."""
    route = "^"
    for tok in tokens:
        if isinstance(tok, str):
            route += _escape(tok)
            continue
        repeat = tok.modifier in ("*", "+")
        prefix = "/" if normalize and repeat and not tok.prefix and not tok.suffix else tok.prefix
        prefix, suffix = _escape(prefix), _escape(tok.suffix)
        if not tok.pattern:
            route += f"(?:{prefix}{suffix}){tok.modifier}"
        elif prefix or suffix:
            if repeat:
                optional = "?" if tok.modifier == "*" else ""
                route += f"(?:{prefix}((?:{tok.pattern})(?:{suffix}{prefix}(?:{tok.pattern}))*){suffix}){optional}"
            else:
                route += f"(?:{prefix}({tok.pattern}){suffix}){tok.modifier}"
        elif repeat:
            raise ValueError(f'Can not repeat "{tok.name}" without a prefix and suffix')
        else:
            route += f"({tok.pattern}){tok.modifier}"
    return route + r"[\/#\?]?$"


def _route(src: str) -> str:
    """Next's ``tryToParsePath(src)`` regex (before ``.source``): JavaScript."""
    tokens = _parse(src)
    try:
        return _tokens_to_regexp(tokens, normalize=False)
    except ValueError:  # Next's safeTokensToRegexp: retry with a "/" prefix on repeats
        return _tokens_to_regexp(tokens, normalize=True)


def _path_regexp(src: str) -> tuple[str, str]:
    """Next's ``tryToParsePath(src)`` regex (before ``.source``) and its Python translation."""
    route = _route(src)
    return route, translate(route)


def _build_source(source: str, base_path: str, *, segments: bool = True) -> str:
    """The source ``getMiddlewareMatchers`` builds (and validates) for one matcher source;
    ``segments=False``: the same without the ``.segments`` branch of the suffix."""
    if not source.startswith("/"):
        raise ValueError("source must start with /")
    if len(source) > _MAX_SOURCE:
        raise ValueError(f"exceeds max built length of {_MAX_SOURCE} for route")
    _path_regexp(source)
    # Next pastes basePath in as pattern syntax; we escape it so that it stays literal.
    built = re.sub(r"([:*+?(){}\\])", r"\\\1", base_path)
    built += _NEXT_DATA_PREFIX + source
    if len(built + _DATA_SUFFIX) > _MAX_SOURCE:
        raise ValueError(f"exceeds max built length of {_MAX_SOURCE} for route (with Next's prefix and suffix)")
    return built + (_ROOT_SUFFIX if source == "/" else _DATA_SUFFIX if segments else _DATA_SUFFIX_CUT)


class _Source(NamedTuple):
    """One matcher source as Next builds it (``full``), and without the ``.segments`` branch
    of Next's suffix (``cut``): the same answer for a path that does not end in ``.segment.rsc``."""

    full: JsRegex
    cut: JsRegex

    @property
    def linear(self) -> bool:
        """Whether ``re`` decides every path in linear time (with :func:`_mode`'s choice)."""
        return self.cut.linear

    def match(self, path: str, mode: int) -> bool:
        """Whether ``path`` (UTF-16 code units) matches; ``mode`` from :func:`_mode`."""
        if mode == _CUT:
            return self.cut.matches(path)
        if self.full.linear or (mode == _FULL and self.cut.linear):
            return self.full.matches(path, by="re")
        return self.full.matches(path, by="automaton")


def _compile(source: str, base_path: str) -> _Source:
    """Both regexes of one source (UTF-16 code units). The analysis runs on ``cut`` only:
    ``_Source.match`` decides for ``full`` per path."""
    if source == "/":  # the root's suffix has no such branch to cut
        full = JsRegex(_route(_build_source(source, base_path)))
        return _Source(full, full)
    cut = JsRegex(_route(_build_source(source, base_path, segments=False)))
    return _Source(JsRegex(_route(_build_source(source, base_path)), analyse=False), cut)


def _mode(path: str) -> int:
    """How ``path`` (UTF-16 code units) is matched in linear time.

    ``_CUT``: without the ``.segments/.+\\.segment\\.rsc`` branch, which cannot match (the path
    does not end in ``.segment.rsc`` and at most one ``/``, ``#`` or ``?``). ``_FULL``: with it;
    its ``.+`` then runs to the end and succeeds, so ``re`` tries it at most a few times. With a
    line break in the path, ``.+`` stops there, and each try could cost the rest of the path:
    ``_AUTOMATON``.
    """
    if not path.endswith(_SEGMENT_ENDINGS):
        return _CUT
    return _AUTOMATON if _LINE_BREAK.search(path) else _FULL


_LINE_TERMINATORS: Final = "\n\r\u2028\u2029"
_SOURCE_ESCAPES: Final = {"/": "\\/", "\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _js_source(route: str) -> str:
    """What V8's ``RegExp.prototype.source`` gives for ``new RegExp(route)``."""
    out: list[str] = []
    in_class, i = False, 0
    while i < len(route):
        c = route[i]
        if c == "\\" and i + 1 < len(route):
            if route[i + 1] not in _LINE_TERMINATORS:  # else: drop it, the terminator is escaped next
                out.append(route[i : i + 2])
                i += 1
        elif c in _LINE_TERMINATORS or (c == "/" and not in_class):
            out.append(_SOURCE_ESCAPES[c])
        else:
            in_class = (in_class or c == "[") and c != "]"
            out.append(c)
        i += 1
    return "".join(out)


def _check_base_path(base_path: str) -> None:
    if base_path and (base_path == "/" or not base_path.startswith("/") or base_path.endswith("/")):
        raise ValueError(f"base_path must be '' or start with '/' and not end with '/', got {base_path!r}")


def next_regexp(source: str, *, base_path: str = "") -> str:
    """The ``regexp`` string Next.js stores for one middleware matcher source (for debugging)."""
    _check_base_path(base_path)
    try:
        js = _js_source(_path_regexp(_build_source(utf16(source), utf16(base_path)))[0])
        return js.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    except ValueError as exc:
        raise ValueError(f"invalid matcher source {source!r}: {exc}") from None


def compile_source(source: str) -> re.Pattern[str]:
    """One path-to-regexp source, compiled as Next compiles it (case-sensitive, optional trailing
    ``/``, ``#`` or ``?``), without the middleware prefix and suffix. Anchored at both ends.

    Strings with characters above U+FFFF must be given as surrogate pairs, as JavaScript sees
    them (``Matcher.match`` does that conversion itself). This is a plain ``re`` pattern: on
    hostile input, some sources (``/:a*/:b*``, ``/(.*)/(.*)``) take super-linear time with it;
    :class:`Matcher` never does.
    """
    try:
        return re.compile(_path_regexp(utf16(source))[1])
    except ValueError as exc:
        raise ValueError(f"invalid path pattern {source!r}: {exc}") from None


# --- has / missing ---------------------------------------------------------------------------

# Node keeps the first of these when a request repeats them; other headers are joined.
_NODE_SINGLE_HEADERS: Final = frozenset({
    "content-type", "content-length", "user-agent", "referer", "host", "authorization", "proxy-authorization",
    "if-modified-since", "if-unmodified-since", "from", "location", "max-forwards", "retry-after", "etag",
    "last-modified", "server", "age", "expires",
})  # fmt: skip
_JS_TRIM: Final = "".join(chr(c) for a, b in JS_WHITESPACE for c in range(a, b + 1))


@dataclass(frozen=True)
class RequestFacts:
    """What ``has``/``missing`` conditions look at, as Next.js sees them.

    ``headers``: lowercase names; repeats joined as Node does. ``cookies``: first one wins.
    ``query``: every value of each parameter, in order. ``host``: the Host header before the
    first ``:``, lowercased. :meth:`from_scope` builds all four the way Next does.
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    host: str = ""

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> RequestFacts:
        """Facts from an ASGI scope, built the way Next's router server sees them.

        Headers are joined the way Node's ``IncomingMessage`` joins them (``, ``, or ``; `` for
        Cookie; some headers keep only the first; the last Set-Cookie). Cookies are parsed like
        the ``cookie`` package Next uses. The query is parsed like Node's ``querystring`` (without
        its 1000-key cap). ``host`` is cut at the first ``:`` as Next does, so ``[::1]:3000``
        gives ``[``.
        """
        values: dict[str, list[str]] = {}
        for raw_name, raw_value in scope.get("headers") or ():
            name, value = bytes(raw_name).decode("latin-1").lower(), bytes(raw_value).decode("latin-1")
            if name not in values or name == "set-cookie":
                values[name] = [value]
            elif name not in _NODE_SINGLE_HEADERS:
                values[name].append(value)  # joined once below: linear in the number of repeats
        headers = {name: ("; " if name == "cookie" else ", ").join(parts) for name, parts in values.items()}
        cookies: dict[str, str] = {}
        for part in re.split("; *", headers.get("cookie", "")):
            name, eq, value = part.partition("=")
            name, value = name.strip(_JS_TRIM), value.strip(_JS_TRIM)
            if eq and name not in cookies:
                value = value[1:-1] if value.startswith('"') else value
                decoded = decode_uri_component(value) if "%" in value else None
                cookies[name] = value if decoded is None else decoded
        query: dict[str, list[str]] = {}
        raw_query = bytes(scope.get("query_string") or b"").decode("latin-1")
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        host = headers.get("host", "").split(":", 1)[0].lower()
        return cls(headers=headers, cookies=cookies, query=query, host=host)


class _Condition(NamedTuple):
    kind: str
    key: str
    search: Callable[[str], bool] | None  # None: presence only


_CONDITION_KEYS: Final = {
    "header": {"type", "key", "value"},
    "cookie": {"type", "key", "value"},
    "query": {"type", "key", "value"},
    "host": {"type", "value"},
}


def _condition(item: object) -> _Condition:
    if not isinstance(item, Mapping):
        raise ValueError("each item must be a dict such as {'type': 'header', 'key': 'x-flag', 'value': 'on'}")
    kind = item.get("type")
    if kind not in _CONDITION_KEYS:
        raise ValueError(f"type must be 'header', 'cookie', 'query' or 'host', got {kind!r}")
    if extra := set(item) - _CONDITION_KEYS[kind]:
        hint = " (a host condition has only a value: a regex for the hostname)" if kind == "host" else ""
        raise ValueError(f"unknown keys {sorted(map(str, extra))} in a {kind} condition{hint}")
    key, value = item.get("key", ""), item.get("value", "")
    if kind == "host" and not item.get("value"):  # Next throws on "" (getSafeParamName(undefined))
        raise ValueError("host must have a value (a regex for the hostname; Next.js fails on an empty one)")
    if not isinstance(key, str) or (kind != "host" and "key" not in item):
        raise ValueError("key is required when type is header, query or cookie, and must be a string")
    if not isinstance(value, str):
        raise ValueError(f"value must be a string, got {value!r}")
    try:  # Next: new RegExp("^" + value + "$"), tested with String.prototype.match
        search = JsRegex(utf16(f"^{value}$"), search=True).matches if value else None
    except ValueError as exc:
        raise ValueError(f"value {value!r}: {exc}") from None
    return _Condition(kind, key.lower() if kind == "header" else key, search)


def _conditions(items: object, what: str) -> tuple[_Condition, ...]:
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{what} must be a list of conditions")
    try:
        return tuple(_condition(item) for item in items)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _holds(cond: _Condition, facts: RequestFacts) -> bool:
    """``matchHas`` for one condition: absent or empty values never hold."""
    value: str | Sequence[str] | None
    if cond.kind == "header":
        value = facts.headers.get(cond.key)
    elif cond.kind == "cookie":
        value = facts.cookies.get(cond.key)
    elif cond.kind == "query":
        value = facts.query.get(cond.key)
        if value is not None and not isinstance(value, str):  # one value: a string; more: an array
            value = value[0] if len(value) == 1 else value or None
    else:
        value = facts.host
    if not value:
        return False
    if cond.search is None:
        return True
    return cond.search(utf16(value if isinstance(value, str) else value[-1]))


# --- the matcher -----------------------------------------------------------------------------


def _entries(matcher: object) -> list[tuple[str, tuple[_Condition, ...], tuple[_Condition, ...]]]:
    if isinstance(matcher, (str, Mapping)):
        items: Sequence[object] = [matcher]
    elif isinstance(matcher, (list, tuple)):
        items = matcher
    else:
        raise ValueError(f"matcher must be a string, a dict or a list of them, got {type(matcher).__name__}")
    entries: list[tuple[str, tuple[_Condition, ...], tuple[_Condition, ...]]] = []
    for item in items:
        if isinstance(item, str):
            entries.append((item, (), ()))
            continue
        if not isinstance(item, Mapping):
            raise ValueError(f"matcher items must be strings or dicts, got {type(item).__name__}")
        if extra := set(item) - {"source", "has", "missing", "locale"}:
            raise ValueError(f"unknown matcher keys {sorted(map(str, extra))}: use source, has, missing, locale")
        source = item.get("source")
        if not isinstance(source, str):
            raise ValueError("source is required and must be a string")
        if item.get("locale", False) is not False:
            raise ValueError("locale can only be False (without i18n it changes nothing)")
        has, missing = _conditions(item.get("has", []), "has"), _conditions(item.get("missing", []), "missing")
        entries.append((source, has, missing))
    return entries


def _alternation(patterns: Sequence[str], base_path: str) -> str:
    """One regex for several: ``P(?:A|B)`` when all start with Next's prefix ``P``, else ``(?:PA)|(?:PB)``."""
    shared = translate("^" + _escape(utf16(base_path)) + _NEXT_DATA_REGEX)
    if all(p.startswith(shared) for p in patterns):
        return shared + "(?:" + "|".join(f"(?:{p[len(shared) :]})" for p in patterns) + ")"
    return "|".join(f"(?:{p})" for p in patterns)


_Fullmatch: TypeAlias = "Callable[[str], re.Match[str] | None]"


class Matcher:
    """A Next.js ``config.matcher``, compiled once; ``match()`` answers per request.

    ``match(path, facts)`` is True when some source matches ``path`` (with base path, see the
    module docstring) and its ``has`` conditions all hold and none of its ``missing`` do.
    ``facts=None`` means the conditions cannot be checked: such sources then match on the path
    alone, the cautious choice when a match means "protect". A path longer than
    :data:`MAX_PATH_LENGTH` matches too, for the same reason. An empty list matches nothing,
    as in Next. Invalid matchers raise ValueError here, never in ``match()``.
    """

    __slots__ = ("_conditional", "_plain", "_regex", "_slow", "_sources", "base_path")

    def __init__(self, matcher: MatcherSpec, *, base_path: str = "") -> None:
        _check_base_path(base_path)
        self.base_path = base_path
        sources: list[_Source] = []
        plain: list[_Source] = []
        conditional: list[tuple[_Source, tuple[_Condition, ...], tuple[_Condition, ...]]] = []
        for source, has, missing in _entries(matcher):
            try:
                compiled = _compile(utf16(source), utf16(base_path))
            except ValueError as exc:
                raise ValueError(f"invalid matcher source {source!r}: {exc}") from None
            sources.append(compiled)
            if has or missing:
                conditional.append((compiled, has, missing))
            else:
                plain.append(compiled)
        self._sources = tuple(sources)
        self._conditional = tuple(conditional)
        self._plain = tuple(plain)
        self._slow = tuple(s for s in plain if not s.linear)  # left to the automaton
        fast = [s for s in self._plain if s.linear]
        self._regex: tuple[_Fullmatch | None, _Fullmatch | None] = (
            re.compile(_alternation([s.cut.python for s in fast], base_path)).fullmatch if fast else None,
            re.compile(_alternation([s.full.python for s in fast], base_path)).fullmatch if fast else None,
        )

    @property
    def patterns(self) -> tuple[str, ...]:
        """The Python regexes, one per source in order (for ``re.fullmatch``, no flags needed).
        ``re`` can take super-linear time on some of them: :meth:`match` never does."""
        return tuple(s.full.python for s in self._sources)

    @property
    def needs_facts(self) -> bool:
        """True when some source has ``has``/``missing`` conditions (so facts are worth building)."""
        return bool(self._conditional)

    def match(self, path: str, facts: RequestFacts | None = None) -> bool:
        """Whether Next.js would run middleware for ``path`` (see the class docstring)."""
        if len(path) > MAX_PATH_LENGTH:
            return True
        if not path.isascii():
            path = utf16(path)
        mode = _mode(path)
        if mode == _AUTOMATON:
            if any(s.match(path, mode) for s in self._plain):
                return True
        else:
            regex = self._regex[mode]
            if (regex is not None and regex(path) is not None) or any(s.match(path, mode) for s in self._slow):
                return True
        for source, has, missing in self._conditional:
            if source.match(path, mode) and (
                facts is None or (all(_holds(c, facts) for c in has) and not any(_holds(c, facts) for c in missing))
            ):
                return True
        return False

    def __repr__(self) -> str:
        return f"Matcher(<{len(self._sources)} sources>, base_path={self.base_path!r})"


class MatcherSet:
    """Several matchers tried in order, in one regex pass: ``first()`` is the index of the
    first that matches. ``None`` stands for a matcher of every path.

    Each matcher's sources become one alternative ending in an empty marker group, so the
    group that closed last names the matcher. The prefix all sources share (Next's
    ``/_next/data`` prefix and any common literal start, such as ``/area``) is matched once,
    so a path costs about the same against one rule or a hundred. A matcher whose
    ``has``/``missing`` conditions fail hands over to the ones after it. A matcher with a
    source ``re`` could be slow on is left out of that pass and asked on its own, in order.
    """

    __slots__ = ("_catch_all", "_cut", "_full", "_matchers", "_slow")

    def __init__(self, matchers: Sequence[Matcher | None]) -> None:
        self._matchers = tuple(matchers)
        ends = [i for i, m in enumerate(self._matchers) if m is None]
        self._catch_all = ends[0] if ends else None
        candidates = [(i, m) for i, m in enumerate(self._matchers[: self._catch_all]) if m is not None and m._sources]
        active = [(i, m) for i, m in candidates if all(s.linear for s in m._sources)]
        self._slow = tuple((i, m) for i, m in candidates if not all(s.linear for s in m._sources))
        # The single pass, per _mode: a fullmatch and its marker group -> matcher index.
        self._cut = self._combine([[s.cut.python for s in m._sources] for _, m in active], active)
        self._full = self._combine([[s.full.python for s in m._sources] for _, m in active], active)

    @staticmethod
    def _combine(patterns: list[list[str]], active: list[tuple[int, Matcher]]) -> tuple[_Fullmatch, dict[int, int]]:
        markers: dict[int, int] = {}
        if not active:
            return re.compile("(?!)").fullmatch, markers
        prefix, rests = _factor(patterns, {m.base_path for _, m in active})
        branches: list[str] = []
        groups = re.compile(prefix).groups
        for (index, _), rest in zip(active, rests, strict=True):
            body = "(?:" + "|".join(f"(?:{p})" for p in rest) + ")"
            groups += re.compile(body).groups + 1  # the sources' own groups, then the marker
            markers[groups] = index
            branches.append(body + "()")
        return re.compile(_greedy(prefix + "(?:" + "|".join(branches) + ")")).fullmatch, markers

    def first(self, path: str, facts: RequestFacts | None = None, *, start: int = 0) -> int | None:
        """Index of the first matcher (from ``start``) that matches ``path``, or None.

        Raises :class:`PathTooLongError` for a path longer than :data:`MAX_PATH_LENGTH`:
        returning any index could name a public rule, and None no rule at all.
        """
        if len(path) > MAX_PATH_LENGTH:
            raise PathTooLongError(f"the path is longer than {MAX_PATH_LENGTH} characters")
        if start:
            return self._scan(path, facts, start)
        units = path if path.isascii() else utf16(path)
        fullmatch, markers = self._cut
        if "segment.rsc" in units and units.endswith(_SEGMENT_ENDINGS):  # _mode, inlined: the hot path
            if _LINE_BREAK.search(units):
                return self._scan(path, facts, 0)
            fullmatch, markers = self._full
        found = fullmatch(units)
        index = self._catch_all if found is None else markers[found.lastindex or 0]
        if self._slow:
            for slow, matcher in self._slow:  # the matchers left out of the pass, before the one found
                if index is not None and slow > index:
                    break
                if matcher.match(path, facts):
                    return slow
        if found is None or index is None:
            return index
        chosen = self._matchers[index]
        if chosen is None or not chosen.needs_facts or chosen.match(path, facts):
            return index
        return self._scan(path, facts, index + 1)

    def _scan(self, path: str, facts: RequestFacts | None, start: int) -> int | None:
        """The first matcher from ``start`` that matches, asking each in turn."""
        for index in range(start, len(self._matchers)):
            matcher = self._matchers[index]
            if matcher is None or matcher.match(path, facts):
                return index
        return None


_LAZY_SEGMENT: Final = re.compile(r"(?<!\\)\[\^\\#/\\\?\]\+\?")
r"""path-to-regexp's default segment, ``[^\#/\?]+?``, as the translation spells it."""


def _greedy(pattern: str) -> str:
    r"""The segment repeats made greedy. With no backreferences, and no atomic groups or
    possessive quantifiers (the translation emits neither), greediness changes which way a
    regex matches, never whether it fully matches, nor which alternative of the set wins,
    since alternatives are still tried in order. Lazy ``+?`` retries the rest of the pattern
    after every character; greedy runs through the segment at once (~1 us less per hit)."""
    return _LAZY_SEGMENT.sub(r"[^\\#/\\?]+", pattern)


_LITERAL_UNIT: Final = re.compile(r"\\[-.]|[A-Za-z0-9_/]")


def _factor(patterns: list[list[str]], base_paths: set[str]) -> tuple[str, list[list[str]]]:
    """Split off the start every pattern shares: Next's prefix, then plain literal
    characters, never cut right before a quantifier."""
    flat = [p for group in patterns for p in group]
    prefix = ""
    if len(base_paths) == 1:
        shared = translate("^" + _escape(utf16(base_paths.pop())) + _NEXT_DATA_REGEX)
        if all(p.startswith(shared) for p in flat):
            prefix = shared
    cuts = [len(prefix)]
    while (unit := _LITERAL_UNIT.match(flat[0], cuts[-1])) is not None and all(
        p.startswith(unit.group(), cuts[-1]) for p in flat
    ):
        cuts.append(unit.end())
    while len(cuts) > 1 and any(p[cuts[-1] : cuts[-1] + 1] in ("*", "+", "?", "{") for p in flat):
        cuts.pop()  # the next character quantifies the last unit: keep that unit in the branches
    cut = cuts[-1]
    return flat[0][:cut], [[p[cut:] for p in group] for group in patterns]
