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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeAlias
from urllib.parse import parse_qsl

from .cookies import decode_uri_component

__all__ = ["Matcher", "MatcherSet", "MatcherSpec", "RequestFacts", "compile_source", "next_regexp"]

MatcherSpec: TypeAlias = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
"""A ``config.matcher``: a source, a ``{"source", "has", "missing", "locale"}`` dict, or a list."""

_MAX_SOURCE: Final = 4096
_TRANSPORT: Final = r"\.rsc|\.segments/.+\.segment\.rsc"
_NEXT_DATA_PREFIX: Final = "/:nextData(_next/data/[^/]{1,})?"
_ROOT_SUFFIX: Final = rf"(/?index|/?index\.json|/?index(?:{_TRANSPORT}))?"
_DATA_SUFFIX: Final = rf"{{(\.json|{_TRANSPORT})}}?"
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


def _path_regexp(src: str) -> tuple[str, str]:
    """Next's ``tryToParsePath(src)`` regex (before ``.source``) and its Python translation."""
    tokens = _parse(src)
    try:
        route = _tokens_to_regexp(tokens, normalize=False)
    except ValueError:  # Next's safeTokensToRegexp: retry with a "/" prefix on repeats
        route = _tokens_to_regexp(tokens, normalize=True)
    return route, _translate(route)


def _build_source(source: str, base_path: str) -> str:
    """The source ``getMiddlewareMatchers`` builds (and validates) for one matcher source."""
    if not source.startswith("/"):
        raise ValueError("source must start with /")
    if len(source) > _MAX_SOURCE:
        raise ValueError(f"exceeds max built length of {_MAX_SOURCE} for route")
    _path_regexp(source)
    # Next pastes basePath in as pattern syntax; we escape it so that it stays literal.
    built = re.sub(r"([:*+?(){}\\])", r"\\\1", base_path)
    built += _NEXT_DATA_PREFIX + source + (_ROOT_SUFFIX if source == "/" else _DATA_SUFFIX)
    if len(built) > _MAX_SOURCE:
        raise ValueError(f"exceeds max built length of {_MAX_SOURCE} for route (with Next's prefix and suffix)")
    return built


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
        js = _js_source(_path_regexp(_build_source(_utf16(source), _utf16(base_path)))[0])
        return js.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    except ValueError as exc:
        raise ValueError(f"invalid matcher source {source!r}: {exc}") from None


def compile_source(source: str) -> re.Pattern[str]:
    """One path-to-regexp source, compiled as Next compiles it (case-sensitive, optional trailing
    ``/``, ``#`` or ``?``), without the middleware prefix and suffix. Anchored at both ends.

    Strings with characters above U+FFFF must be given as surrogate pairs, as JavaScript sees
    them (``Matcher.match`` does that conversion itself).
    """
    try:
        return re.compile(_path_regexp(_utf16(source))[1])
    except ValueError as exc:
        raise ValueError(f"invalid path pattern {source!r}: {exc}") from None


# --- JavaScript regex (no flags, Annex B) to Python -----------------------------------------

_Ranges = tuple[tuple[int, int], ...]
_WORD: Final[_Ranges] = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_DIGIT: Final[_Ranges] = ((0x30, 0x39),)
_SPACE: Final[_Ranges] = (
    (0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF),
)  # fmt: skip
_CLASS_ESCAPES: Final[dict[str, tuple[_Ranges, bool]]] = {
    "d": (_DIGIT, False), "D": (_DIGIT, True), "w": (_WORD, False),
    "W": (_WORD, True), "s": (_SPACE, False), "S": (_SPACE, True),
}  # fmt: skip
_CONTROL_ESCAPES: Final = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_W: Final = "[0-9A-Z_a-z]"
_BOUNDARIES: Final = {
    "b": f"(?:(?<={_W})(?!{_W})|(?<!{_W})(?={_W}))",
    "B": f"(?:(?<={_W})(?={_W})|(?<!{_W})(?!{_W}))",
}
_QUANTIFIER: Final = re.compile(r"[*+?]|\{([0-9]+)(?:,([0-9]*))?\}")
_LITERAL_BRACES: Final = re.compile(r"\{,[0-9]+\}")
_GROUP_NAME: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*>")
_PLAIN: Final = frozenset("/_%@,;:'\"<>=!`")  # never special in a Python regex, in a class or not
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_HINTS: Final = {
    "p": "\\p{...} needs the u flag, which Next.js does not use; list the characters in a class",
    "P": "\\P{...} needs the u flag, which Next.js does not use; list the characters in a class",
    "k": "backreferences are not supported (JavaScript and Python differ on groups that did not match)",
    "u": "write \\uXXXX with four hex digits (\\u{...} needs the u flag, which Next.js does not use)",
    "x": "write \\xHH with two hex digits",
    "c": "write \\c followed by a letter, or \\xHH",
    "A": "use ^ (JavaScript has no \\A)",
    "Z": "use $ (JavaScript has no \\Z)",
    "z": "use $ (JavaScript has no \\z)",
}


class _JsRegex:
    """Reads one JavaScript pattern (recursive descent) and writes its Python equivalent."""

    def __init__(self, src: str) -> None:
        self.src, self.pos, self.names = src, 0, set[str]()

    def fail(self, why: str) -> ValueError:
        return ValueError(f"{why} (at {self.pos} in the JavaScript regex {self.src!r})")

    def peek(self, ahead: int = 0) -> str:
        return self.src[self.pos + ahead : self.pos + ahead + 1]

    def translate(self) -> str:
        out = self.disjunction()
        if self.pos < len(self.src):
            raise self.fail("unmatched ')'")
        return out

    def disjunction(self) -> str:
        parts = [self.alternative()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.alternative())
        return "|".join(parts)

    def alternative(self) -> str:
        out: list[str] = []
        while self.peek() not in ("", "|", ")"):
            out.append(self.term())
        return "".join(out)

    def term(self) -> str:
        c, start = self.peek(), self.pos
        quantifiable = True
        if c in ("^", "$"):
            self.pos += 1
            atom, quantifiable = ("\\A" if c == "^" else "\\Z"), False
        elif c == "\\" and self.peek(1) in ("b", "B"):
            self.pos += 2
            atom, quantifiable = _BOUNDARIES[self.src[self.pos - 1]], False
        elif c == "(":
            atom, quantifiable = self.group()
        elif c == "[":
            atom = self.char_class()
        elif c == ".":
            self.pos += 1
            atom = _class_regex(((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)), negate=True)
        elif c in ("*", "+", "?") or (c == "{" and _QUANTIFIER.match(self.src, self.pos)):
            raise self.fail("nothing to repeat")
        elif c == "\\":
            atom = self.atom_escape()
        else:
            if _LITERAL_BRACES.match(self.src, self.pos):
                raise self.fail("JavaScript reads '{,n}' literally: write {0,n} for a quantifier or \\{ for a brace")
            self.pos += 1
            atom = _char_regex(ord(c))
        quantifier = _QUANTIFIER.match(self.src, self.pos)
        if quantifier is None:
            return atom
        if not quantifiable:
            raise self.fail(f"a quantifier after the assertion {self.src[start : self.pos]!r} is not supported")
        low, high = quantifier.group(1), quantifier.group(2)
        if max(int(low or 0), int(high or 0)) > 0xFFFF:
            raise self.fail("repetition counts above 65535 are not supported")
        if high and int(low) > int(high):
            raise self.fail("numbers out of order in {} quantifier")
        self.pos = quantifier.end()
        lazy = self.peek() == "?"
        self.pos += lazy
        if _QUANTIFIER.match(self.src, self.pos):
            raise self.fail("nothing to repeat")
        return atom + quantifier.group() + ("?" if lazy else "")

    def group(self) -> tuple[str, bool]:
        """A group or lookaround; every group becomes non-capturing (nothing reads captures)."""
        src, pos = self.src, self.pos
        if src.startswith(("(?:", "(?=", "(?!"), pos):
            opening, self.pos = src[pos : pos + 3], pos + 3
        elif src.startswith(("(?<=", "(?<!"), pos):
            opening, self.pos = src[pos : pos + 4], pos + 4
        elif src.startswith("(?<", pos):
            name = _GROUP_NAME.match(src, pos + 3)
            if name is None:
                raise self.fail("write group names as ASCII identifiers: (?<name>...)")
            if name.group() in self.names:
                raise self.fail("duplicate capture group name")
            self.names.add(name.group())
            opening, self.pos = "(?:", name.end()
        elif src.startswith("(?", pos):
            hint = "; use (?<name>...) for a named group" if src.startswith("(?P", pos) else ""
            raise self.fail(f"invalid group {src[pos : pos + 3]!r}: not JavaScript syntax{hint}")
        else:
            opening, self.pos = "(?:", pos + 1
        inner = self.disjunction()
        if self.peek() != ")":
            raise self.fail("unterminated group")
        self.pos += 1
        return f"{opening}{inner})", opening == "(?:"

    def escape(self, *, in_class: bool) -> int | tuple[_Ranges, bool]:
        """One escape after a backslash: a code unit, or a class escape (ranges, negated)."""
        c = self.peek(1)
        if not c:
            raise self.fail("\\ at end of pattern")
        self.pos += 2
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c]
        if c in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[c]
        if in_class and c in ("b", "-"):
            return 0x08 if c == "b" else 0x2D
        if c in "0123456789":
            if c == "0" and self.peek() not in tuple("0123456789"):
                return 0
            raise self.fail(f"'\\{c}...' is a backreference or a legacy octal escape in JavaScript; write \\xHH")
        if c == "c" and self.peek().isascii() and self.peek().isalpha():
            self.pos += 1
            return ord(self.src[self.pos - 1]) % 32
        for letter, size in (("x", 2), ("u", 4)):
            digits = self.src[self.pos : self.pos + size]
            if c == letter and len(digits) == size and _HEX.issuperset(digits):
                self.pos += size
                return int(digits, 16)
        if c.isascii() and c.isalpha():
            hint = _HINTS.get(c, f"write {c!r} without the backslash")
            raise self.fail(f"JavaScript (without the u flag) reads '\\{c}' as a plain {c!r}: {hint}")
        return ord(c)

    def atom_escape(self) -> str:
        value = self.escape(in_class=False)
        return _char_regex(value) if isinstance(value, int) else _class_regex(*value)

    def char_class(self) -> str:
        self.pos += 1
        negate = self.peek() == "^"
        self.pos += negate
        ranges: list[tuple[int, int]] = []
        while self.peek() != "]":
            first = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("", "]"):
                self.pos += 1
                last = self.class_atom()
                if isinstance(first, int) and isinstance(last, int):
                    if first > last:
                        raise self.fail("range out of order in character class")
                    ranges.append((first, last))
                else:  # Annex B: [\d-z] is \d, "-" and "z"
                    ranges += [*_as_ranges(first), (0x2D, 0x2D), *_as_ranges(last)]
            else:
                ranges += _as_ranges(first)
        self.pos += 1
        return _class_regex(ranges, negate=negate)

    def class_atom(self) -> int | tuple[_Ranges, bool]:
        c = self.peek()
        if not c:
            raise self.fail("unterminated character class")
        if c == "\\":
            return self.escape(in_class=True)
        self.pos += 1
        return ord(c)


def _as_ranges(atom: int | tuple[_Ranges, bool]) -> list[tuple[int, int]]:
    if isinstance(atom, int):
        return [(atom, atom)]
    ranges, negated = atom
    if not negated:
        return list(ranges)
    out, low = [], 0
    for first, last in ranges:
        if first > low:
            out.append((low, first - 1))
        low = last + 1
    return [*out, (low, 0x10FFFF)]


def _char_regex(code: int) -> str:
    """One code unit as a Python regex literal, valid inside and outside a class."""
    if code < 0x80:
        c = chr(code)
        return c if c.isalnum() or c in _PLAIN else f"\\{c}" if c.isprintable() else f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _class_regex(ranges: Iterable[tuple[int, int]], negate: bool = False) -> str:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    if not merged:
        return "[\\x00-\\U0010ffff]" if negate else "(?!)"
    body = "".join(_char_regex(a) + (f"-{_char_regex(b)}" if b > a else "") for a, b in merged)
    return f"[{'^' if negate else ''}{body}]"


def _translate(js: str) -> str:
    """The Python pattern (no flags) that matches what ``new RegExp(js)`` matches."""
    try:
        py = _JsRegex(js).translate()
        re.compile(py)
    except RecursionError:
        raise ValueError("the regex is nested too deeply") from None
    except (re.error, OverflowError) as exc:
        if "look-behind" in str(exc):
            raise ValueError("Python needs fixed-width lookbehinds: give (?<=...) and (?<!...) one length") from None
        raise ValueError(f"Python cannot compile the translation: {exc}") from None
    return py


def _utf16(text: str) -> str:
    """``text`` as JavaScript sees it: characters above U+FFFF as surrogate pairs."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    return "".join(c if c <= "\uffff" else chr(0xD7C0 + (ord(c) >> 10)) + chr(0xDC00 + (ord(c) & 0x3FF)) for c in text)


# --- has / missing ---------------------------------------------------------------------------

# Node keeps the first of these when a request repeats them; other headers are joined.
_NODE_SINGLE_HEADERS: Final = frozenset({
    "content-type", "content-length", "user-agent", "referer", "host", "authorization", "proxy-authorization",
    "if-modified-since", "if-unmodified-since", "from", "location", "max-forwards", "retry-after", "etag",
    "last-modified", "server", "age", "expires",
})  # fmt: skip
_JS_TRIM: Final = "".join(chr(c) for a, b in _SPACE for c in range(a, b + 1))


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
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers") or ():
            name, value = bytes(raw_name).decode("latin-1").lower(), bytes(raw_value).decode("latin-1")
            if name not in headers or name == "set-cookie":
                headers[name] = value
            elif name not in _NODE_SINGLE_HEADERS:
                headers[name] += ("; " if name == "cookie" else ", ") + value
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
    search: Callable[[str], object] | None  # None: presence only


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
        search = re.compile(_translate(_utf16(f"^{value}$"))).search if value else None
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
    return cond.search(_utf16(value if isinstance(value, str) else value[-1])) is not None


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
    shared = _translate("^" + _escape(_utf16(base_path)) + _NEXT_DATA_REGEX)
    if all(p.startswith(shared) for p in patterns):
        return shared + "(?:" + "|".join(f"(?:{p[len(shared) :]})" for p in patterns) + ")"
    return "|".join(f"(?:{p})" for p in patterns)


class Matcher:
    """A Next.js ``config.matcher``, compiled once; ``match()`` answers per request.

    ``match(path, facts)`` is True when some source matches ``path`` (with base path, see the
    module docstring) and its ``has`` conditions all hold and none of its ``missing`` do.
    ``facts=None`` means the conditions cannot be checked: such sources then match on the path
    alone, the cautious choice when a match means "protect". An empty list matches nothing,
    as in Next. Invalid matchers raise ValueError here, never in ``match()``.
    """

    __slots__ = ("_conditional", "_patterns", "_plain", "base_path")

    def __init__(self, matcher: MatcherSpec, *, base_path: str = "") -> None:
        _check_base_path(base_path)
        self.base_path = base_path
        plain: list[str] = []
        conditional: list[tuple[Callable[[str], object], tuple[_Condition, ...], tuple[_Condition, ...]]] = []
        patterns: list[str] = []
        for source, has, missing in _entries(matcher):
            try:
                py = _path_regexp(_build_source(_utf16(source), _utf16(base_path)))[1]
            except ValueError as exc:
                raise ValueError(f"invalid matcher source {source!r}: {exc}") from None
            patterns.append(py)
            if has or missing:
                conditional.append((re.compile(py).fullmatch, has, missing))
            else:
                plain.append(py)
        self._patterns = tuple(patterns)
        self._plain = re.compile(_alternation(plain, base_path)).fullmatch if plain else None
        self._conditional = tuple(conditional)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The Python regexes, one per source in order (for ``re.fullmatch``, no flags needed)."""
        return self._patterns

    @property
    def needs_facts(self) -> bool:
        """True when some source has ``has``/``missing`` conditions (so facts are worth building)."""
        return bool(self._conditional)

    def match(self, path: str, facts: RequestFacts | None = None) -> bool:
        """Whether Next.js would run middleware for ``path`` (see the class docstring)."""
        if not path.isascii():
            path = _utf16(path)
        if self._plain is not None and self._plain(path) is not None:
            return True
        for fullmatch, has, missing in self._conditional:
            if fullmatch(path) is not None and (
                facts is None or (all(_holds(c, facts) for c in has) and not any(_holds(c, facts) for c in missing))
            ):
                return True
        return False

    def __repr__(self) -> str:
        return f"Matcher(<{len(self._patterns)} sources>, base_path={self.base_path!r})"


class MatcherSet:
    """Several matchers tried in order, in one regex pass: ``first()`` is the index of the
    first that matches. ``None`` stands for a matcher of every path.

    Each matcher's sources become one alternative ending in an empty marker group, so the
    group that closed last names the matcher; a matcher whose ``has``/``missing``
    conditions fail hands over to the ones after it.
    """

    __slots__ = ("_fullmatch", "_markers", "_matchers")

    def __init__(self, matchers: Sequence[Matcher | None]) -> None:
        self._matchers = tuple(matchers)
        self._markers: dict[int, int] = {}  # marker group number -> matcher index
        branches: list[str] = []
        groups = 0
        for index, m in enumerate(self._matchers):
            if m is not None and not m.patterns:
                continue
            body = "(?:" + ("|".join(f"(?:{p})" for p in m.patterns) if m is not None else r"[\s\S]*") + ")"
            groups += re.compile(body).groups + 1  # the sources' own groups, then the marker
            self._markers[groups] = index
            branches.append(body + "()")
        self._fullmatch = re.compile("|".join(branches)).fullmatch if branches else None

    def first(self, path: str, facts: RequestFacts | None = None, *, start: int = 0) -> int | None:
        """Index of the first matcher (from ``start``) that matches ``path``, or None."""
        if self._fullmatch is None:
            return None
        if start == 0:
            found = self._fullmatch(path if path.isascii() else _utf16(path))
            if found is None:
                return None
            index = self._markers[found.lastindex or 0]
            matcher = self._matchers[index]
            if matcher is None or not matcher.needs_facts or matcher.match(path, facts):
                return index
            start = index + 1
        for index in range(start, len(self._matchers)):
            matcher = self._matchers[index]
            if matcher is None or matcher.match(path, facts):
                return index
        return None
