"""JavaScript regexes (no flags, Annex B) read into a Python ``re`` pattern and a syntax tree.

:func:`translate` gives a Python pattern with the same meaning: ``.``, ``\\s``, ``\\d``,
``\\w``, ``\\b``, ``^``/``$``, classes and ``{`` keep their JavaScript meaning, and strings
are matched as UTF-16 code units (see :func:`~.units.utf16`). Syntax that cannot be
translated faithfully raises ValueError with a hint: backreferences, ``\\p{..}``, quantified
assertions, Python-only syntax, and a few more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, TypeAlias

from .tree import Alt, Cat, Edge, Look, Node, Rep, Set, boundary
from .units import DIGIT, LINE_TERMINATORS, SPACE, WORD, Ranges, complement, merge

__all__ = ["Parsed", "parse", "translate"]

Parsed: TypeAlias = "tuple[str, Node]"
"""A piece of a pattern: its Python translation and its tree."""

_CLASS_ESCAPES: Final[dict[str, tuple[Ranges, bool]]] = {
    "d": (DIGIT, False), "D": (DIGIT, True), "w": (WORD, False),
    "W": (WORD, True), "s": (SPACE, False), "S": (SPACE, True),
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

_BOUNDARY_NODES: Final = {"b": boundary(False), "B": boundary(True)}
_SIMPLE_BOUNDS: Final[dict[str, tuple[int, int | None]]] = {"*": (0, None), "+": (1, None), "?": (0, 1)}
_LOOKS: Final = {"(?=": (True, False), "(?!": (True, True), "(?<=": (False, False), "(?<!": (False, True)}


class _Parser:
    """Reads one JavaScript pattern (recursive descent): its Python equivalent and its tree."""

    def __init__(self, src: str) -> None:
        self.src, self.pos, self.names = src, 0, set[str]()

    def fail(self, why: str) -> ValueError:
        return ValueError(f"{why} (at {self.pos} in the JavaScript regex {self.src!r})")

    def peek(self, ahead: int = 0) -> str:
        return self.src[self.pos + ahead : self.pos + ahead + 1]

    def parse(self) -> Parsed:
        out = self.disjunction()
        if self.pos < len(self.src):
            raise self.fail("unmatched ')'")
        return out

    def disjunction(self) -> Parsed:
        parts = [self.alternative()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.alternative())
        if len(parts) == 1:
            return parts[0]
        return "|".join(py for py, _ in parts), Alt(tuple(node for _, node in parts))

    def alternative(self) -> Parsed:
        out: list[Parsed] = []
        while self.peek() not in ("", "|", ")"):
            out.append(self.term())
        if len(out) == 1:
            return out[0]
        return "".join(py for py, _ in out), Cat(tuple(node for _, node in out))

    def term(self) -> Parsed:
        c, start = self.peek(), self.pos
        quantifiable = True
        node: Node
        if c in ("^", "$"):
            self.pos += 1
            atom, node, quantifiable = ("\\A" if c == "^" else "\\Z"), Edge(end=c == "$"), False
        elif c == "\\" and self.peek(1) in ("b", "B"):
            self.pos += 2
            letter = self.src[self.pos - 1]
            atom, node, quantifiable = _BOUNDARIES[letter], _BOUNDARY_NODES[letter], False
        elif c == "(":
            atom, node, quantifiable = self.group()
        elif c == "[":
            atom, node = self.char_class()
        elif c == ".":
            self.pos += 1
            atom, node = _class(LINE_TERMINATORS, negate=True)
        elif c in ("*", "+", "?") or (c == "{" and _QUANTIFIER.match(self.src, self.pos)):
            raise self.fail("nothing to repeat")
        elif c == "\\":
            atom, node = self.atom_escape()
        else:
            if _LITERAL_BRACES.match(self.src, self.pos):
                raise self.fail("JavaScript reads '{,n}' literally: write {0,n} for a quantifier or \\{ for a brace")
            self.pos += 1
            atom, node = _char_regex(ord(c)), Set(((ord(c), ord(c)),))
        quantifier = _QUANTIFIER.match(self.src, self.pos)
        if quantifier is None:
            return atom, node
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
        if low is None:
            bounds = _SIMPLE_BOUNDS[quantifier.group()]
        else:
            bounds = (int(low), int(low) if high is None else int(high) if high else None)
        return atom + quantifier.group() + ("?" if lazy else ""), Rep(node, *bounds)

    def group(self) -> tuple[str, Node, bool]:
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
        inner, node = self.disjunction()
        if self.peek() != ")":
            raise self.fail("unterminated group")
        self.pos += 1
        if opening in _LOOKS:
            ahead, negate = _LOOKS[opening]
            node = Look(node, ahead=ahead, negate=negate)
        return f"{opening}{inner})", node, opening == "(?:"

    def escape(self, *, in_class: bool) -> int | tuple[Ranges, bool]:
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

    def atom_escape(self) -> Parsed:
        value = self.escape(in_class=False)
        return (_char_regex(value), Set(((value, value),))) if isinstance(value, int) else _class(*value)

    def char_class(self) -> Parsed:
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
        return _class(ranges, negate=negate)

    def class_atom(self) -> int | tuple[Ranges, bool]:
        c = self.peek()
        if not c:
            raise self.fail("unterminated character class")
        if c == "\\":
            return self.escape(in_class=True)
        self.pos += 1
        return ord(c)


def _as_ranges(atom: int | tuple[Ranges, bool]) -> list[tuple[int, int]]:
    if isinstance(atom, int):
        return [(atom, atom)]
    ranges, negated = atom
    return list(complement(ranges) if negated else ranges)


def _char_regex(code: int) -> str:
    """One code unit as a Python regex literal, valid inside and outside a class."""
    if code < 0x80:
        c = chr(code)
        return c if c.isalnum() or c in _PLAIN else f"\\{c}" if c.isprintable() else f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _class(ranges: Iterable[tuple[int, int]], negate: bool = False) -> Parsed:
    """A class: its Python regex, and the code units it matches."""
    merged = merge(ranges)
    node = Set(complement(merged) if negate else merged)
    if not merged:
        return ("[\\x00-\\U0010ffff]" if negate else "(?!)"), node
    body = "".join(_char_regex(a) + (f"-{_char_regex(b)}" if b > a else "") for a, b in merged)
    return f"[{'^' if negate else ''}{body}]", node


def translate(js: str) -> str:
    """The Python pattern (no flags) that matches what ``new RegExp(js)`` matches."""
    return parse(js)[0]


def parse(js: str) -> Parsed:
    """The Python translation of ``js`` and its tree; ValueError for what cannot be translated."""
    try:
        py, tree = _Parser(js).parse()
        re.compile(py)
    except RecursionError:
        raise ValueError("the regex is nested too deeply") from None
    except (re.error, OverflowError) as exc:
        if "look-behind" in str(exc):
            raise ValueError("Python needs fixed-width lookbehinds: give (?<=...) and (?<!...) one length") from None
        raise ValueError(f"Python cannot compile the translation: {exc}") from None
    return py, tree
