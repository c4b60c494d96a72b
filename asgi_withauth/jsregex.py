"""JavaScript regular expressions (no flags, Annex B), translated to Python's ``re``.

Next.js compiles matcher sources and ``has`` values with ``new RegExp(...)`` and no flags.
:func:`translate` gives a Python pattern with the same meaning: ``.``, ``\\s``, ``\\d``,
``\\w``, ``\\b``, ``^``/``$``, classes and ``{`` keep their JavaScript meaning, and strings
are matched as UTF-16 code units (see :func:`utf16`). Syntax that cannot be translated
faithfully raises ValueError with a hint: backreferences, ``\\p{..}``, quantified assertions,
Python-only syntax, and a few more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["JS_WHITESPACE", "translate", "utf16"]


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


def translate(js: str) -> str:
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


def utf16(text: str) -> str:
    """``text`` as JavaScript sees it: characters above U+FFFF as surrogate pairs."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    return "".join(c if c <= "\uffff" else chr(0xD7C0 + (ord(c) >> 10)) + chr(0xDC00 + (ord(c) & 0x3FF)) for c in text)


JS_WHITESPACE: Final = _SPACE
"""The code-point ranges JavaScript's ``\\s`` and ``String.prototype.trim`` treat as whitespace."""
