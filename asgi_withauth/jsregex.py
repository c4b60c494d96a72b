"""JavaScript regular expressions (no flags, Annex B): translated to Python's ``re``, and
matched in linear time.

Next.js compiles matcher sources and ``has`` values with ``new RegExp(...)`` and no flags.
:func:`translate` gives a Python pattern with the same meaning: ``.``, ``\\s``, ``\\d``,
``\\w``, ``\\b``, ``^``/``$``, classes and ``{`` keep their JavaScript meaning, and strings
are matched as UTF-16 code units (see :func:`utf16`). Syntax that cannot be translated
faithfully raises ValueError with a hint: backreferences, ``\\p{..}``, quantified assertions,
Python-only syntax, and a few more.

Matching time. Python's ``re`` backtracks: on hostile input some patterns take polynomial time
(``(.*)/(.*)``, ``.*a.*``) or exponential time (``(a|a)*b``). :class:`JsRegex` decides once,
when it is built, whether ``re`` is linear for a pattern: it is when the pattern's position
automaton reaches each state on a given input in a bounded number of ways (no exponential or
polynomial degree of ambiguity, the Weber-Seidl criteria) and every lookahead reads a bounded
number of characters. Lookarounds and anchors count as empty there, and are checked on their
own. Patterns that fail the test are matched with a built-in automaton instead (a DFA built
lazily from the same syntax tree, lookarounds precomputed for every position), in time linear
in the input whatever the pattern. Both give the same answers; ``re`` is just faster.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

__all__ = ["JS_WHITESPACE", "JsRegex", "translate", "utf16"]


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
_LINE_TERMINATORS: Final[_Ranges] = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_MAX_UNIT: Final = 0x10FFFF
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


# --- the syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Set:
    """One code unit out of ``ranges`` (inclusive, sorted, disjoint; empty: matches nothing)."""

    ranges: _Ranges


@dataclass(frozen=True, slots=True)
class _Cat:
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Alt:
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Rep:
    item: _Node
    low: int
    high: int | None  # None: no upper bound


@dataclass(frozen=True, slots=True)
class _Look:
    item: _Node
    ahead: bool
    negate: bool


@dataclass(frozen=True, slots=True)
class _Edge:
    end: bool  # ^ (start of input) or $ (end of input): no flags, so never a line


_Node: TypeAlias = "_Set | _Cat | _Alt | _Rep | _Look | _Edge"
_Parsed: TypeAlias = "tuple[str, _Node]"
"""A piece of a pattern: its Python translation and its tree."""


def _boundary(negated: bool) -> _Node:
    """``\\b`` (``\\B`` when negated) as the lookarounds it is translated to."""
    word = _Set(_WORD)
    before, not_before = _Look(word, ahead=False, negate=False), _Look(word, ahead=False, negate=True)
    after, not_after = _Look(word, ahead=True, negate=False), _Look(word, ahead=True, negate=True)
    if negated:
        return _Alt((_Cat((before, after)), _Cat((not_before, not_after))))
    return _Alt((_Cat((before, not_after)), _Cat((not_before, after))))


_BOUNDARY_NODES: Final = {"b": _boundary(False), "B": _boundary(True)}
_SIMPLE_BOUNDS: Final[dict[str, tuple[int, int | None]]] = {"*": (0, None), "+": (1, None), "?": (0, 1)}
_LOOKS: Final = {"(?=": (True, False), "(?!": (True, True), "(?<=": (False, False), "(?<!": (False, True)}


class _JsRegex:
    """Reads one JavaScript pattern (recursive descent): its Python equivalent and its tree."""

    def __init__(self, src: str) -> None:
        self.src, self.pos, self.names = src, 0, set[str]()

    def fail(self, why: str) -> ValueError:
        return ValueError(f"{why} (at {self.pos} in the JavaScript regex {self.src!r})")

    def peek(self, ahead: int = 0) -> str:
        return self.src[self.pos + ahead : self.pos + ahead + 1]

    def parse(self) -> _Parsed:
        out = self.disjunction()
        if self.pos < len(self.src):
            raise self.fail("unmatched ')'")
        return out

    def disjunction(self) -> _Parsed:
        parts = [self.alternative()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.alternative())
        if len(parts) == 1:
            return parts[0]
        return "|".join(py for py, _ in parts), _Alt(tuple(node for _, node in parts))

    def alternative(self) -> _Parsed:
        out: list[_Parsed] = []
        while self.peek() not in ("", "|", ")"):
            out.append(self.term())
        if len(out) == 1:
            return out[0]
        return "".join(py for py, _ in out), _Cat(tuple(node for _, node in out))

    def term(self) -> _Parsed:
        c, start = self.peek(), self.pos
        quantifiable = True
        node: _Node
        if c in ("^", "$"):
            self.pos += 1
            atom, node, quantifiable = ("\\A" if c == "^" else "\\Z"), _Edge(end=c == "$"), False
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
            atom, node = _class(_LINE_TERMINATORS, negate=True)
        elif c in ("*", "+", "?") or (c == "{" and _QUANTIFIER.match(self.src, self.pos)):
            raise self.fail("nothing to repeat")
        elif c == "\\":
            atom, node = self.atom_escape()
        else:
            if _LITERAL_BRACES.match(self.src, self.pos):
                raise self.fail("JavaScript reads '{,n}' literally: write {0,n} for a quantifier or \\{ for a brace")
            self.pos += 1
            atom, node = _char_regex(ord(c)), _Set(((ord(c), ord(c)),))
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
        return atom + quantifier.group() + ("?" if lazy else ""), _Rep(node, *bounds)

    def group(self) -> tuple[str, _Node, bool]:
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
            node = _Look(node, ahead=ahead, negate=negate)
        return f"{opening}{inner})", node, opening == "(?:"

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

    def atom_escape(self) -> _Parsed:
        value = self.escape(in_class=False)
        return (_char_regex(value), _Set(((value, value),))) if isinstance(value, int) else _class(*value)

    def char_class(self) -> _Parsed:
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
    return list(_complement(ranges) if negated else ranges)


def _complement(ranges: _Ranges) -> _Ranges:
    """Every code point outside ``ranges`` (sorted, disjoint)."""
    out, low = [], 0
    for first, last in ranges:
        if first > low:
            out.append((low, first - 1))
        low = last + 1
    return (*out, (low, _MAX_UNIT)) if low <= _MAX_UNIT else tuple(out)


def _char_regex(code: int) -> str:
    """One code unit as a Python regex literal, valid inside and outside a class."""
    if code < 0x80:
        c = chr(code)
        return c if c.isalnum() or c in _PLAIN else f"\\{c}" if c.isprintable() else f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _merge(ranges: Iterable[tuple[int, int]]) -> _Ranges:
    """The ranges sorted, overlapping and adjacent ones merged."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def _class(ranges: Iterable[tuple[int, int]], negate: bool = False) -> _Parsed:
    """A class: its Python regex, and the code units it matches."""
    merged = _merge(ranges)
    node = _Set(_complement(merged) if negate else merged)
    if not merged:
        return ("[\\x00-\\U0010ffff]" if negate else "(?!)"), node
    body = "".join(_char_regex(a) + (f"-{_char_regex(b)}" if b > a else "") for a, b in merged)
    return f"[{'^' if negate else ''}{body}]", node


def translate(js: str) -> str:
    """The Python pattern (no flags) that matches what ``new RegExp(js)`` matches."""
    return _parse(js)[0]


def _parse(js: str) -> _Parsed:
    try:
        py, tree = _JsRegex(js).parse()
        re.compile(py)
    except RecursionError:
        raise ValueError("the regex is nested too deeply") from None
    except (re.error, OverflowError) as exc:
        if "look-behind" in str(exc):
            raise ValueError("Python needs fixed-width lookbehinds: give (?<=...) and (?<!...) one length") from None
        raise ValueError(f"Python cannot compile the translation: {exc}") from None
    return py, tree


def utf16(text: str) -> str:
    """``text`` as JavaScript sees it: characters above U+FFFF as surrogate pairs."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    return "".join(c if c <= "\uffff" else chr(0xD7C0 + (ord(c) >> 10)) + chr(0xDC00 + (ord(c) & 0x3FF)) for c in text)


JS_WHITESPACE: Final = _SPACE
"""The code-point ranges JavaScript's ``\\s`` and ``String.prototype.trim`` treat as whitespace."""


# --- is re's backtracking linear? ----------------------------------------------------------------

_EXPAND: Final = 8
"""Counted repetitions up to this many copies are analysed exactly; longer ones as ``x{k,}``."""
_MAX_POSITIONS: Final = 5_000
_BUDGET: Final = 200_000
_ANY: Final = _Set(((0, _MAX_UNIT),))

_Counts: TypeAlias = "dict[int, int]"
_Built: TypeAlias = "tuple[_Counts, _Counts, int]"
"""A subtree in the position automaton: first positions, last positions (each with the number
of ways to enter or leave there) and the number of ways to match it empty; counts cap at 2."""


class _GaveUp(Exception):
    """The analysis is too large: the pattern counts as not linear (the automaton matches it)."""


def _add(a: _Counts, b: _Counts, times: int = 1) -> _Counts:
    out = dict(a)
    if times:
        for key, count in b.items():
            out[key] = min(2, out.get(key, 0) + count * times)
    return out


class _Positions:
    """The position (Glushkov) automaton of a tree, counting the ways ``re`` can go.

    State 0 is the start; state p > 0 reads one code unit out of ``sets[p]``; ``follow[p][q]``
    is the number of distinct ways (capped at 2) from p to q, so parallel ways show. Anchors and
    lookarounds read nothing and count as empty; lookaround bodies are checked on their own.
    ``x{n,m}`` becomes n copies and m-n nested optional ones (the counts ``re`` tries); large
    counts become ``x{k,}``, which has every way of the original and more (a sound
    over-approximation). An iteration that matches empty ends the loop, as in ``re``.
    """

    def __init__(self, tree: _Node) -> None:
        self.sets: list[_Ranges] = [()]
        self.follow: list[_Counts] = [{}]
        self.follow[0] = self.add(tree)[0]

    def position(self, ranges: _Ranges) -> int:
        if len(self.sets) > _MAX_POSITIONS:
            raise _GaveUp
        self.sets.append(ranges)
        self.follow.append({})
        return len(self.sets) - 1

    def link(self, last: _Counts, first: _Counts) -> None:
        for p, ways in last.items():
            self.follow[p] = _add(self.follow[p], first, ways)

    def add(self, node: _Node) -> _Built:
        if isinstance(node, _Set):
            p = self.position(node.ranges)
            return {p: 1}, {p: 1}, 0
        if isinstance(node, _Cat):
            node = _Cat(_fold(node.items))
        if isinstance(node, (_Look, _Edge)):
            return {}, {}, 1
        if isinstance(node, _Alt):
            first: _Counts = {}
            last: _Counts = {}
            empty = 0
            for item in node.items:
                f, t, e = self.add(item)
                first, last, empty = _add(first, f), _add(last, t), min(2, empty + e)
            return first, last, empty
        if isinstance(node, _Cat):
            return self.chain(functools.partial(self.add, item) for item in node.items)
        return self.repeat(node)

    def chain(self, parts: Iterable[Callable[[], _Built]]) -> _Built:
        first: _Counts = {}
        last: _Counts = {}
        empty = 1
        for part in parts:
            f, t, e = part()
            self.link(last, f)
            first, last, empty = _add(first, f, empty), _add(t, last, e), min(2, empty * e)
        return first, last, empty

    def repeat(self, node: _Rep) -> _Built:
        low, high = node.low, node.high
        if low > _EXPAND or (high is not None and high - low > _EXPAND):
            low, high = min(low, _EXPAND), None
        copy = functools.partial(self.add, node.item)
        if high is None:
            loop = functools.partial(self.loop, node.item, required=low > 0)
            return self.chain([*[copy] * max(low - 1, 0), loop])
        return self.chain([*[copy] * low, functools.partial(self.optional, node.item, high - low)])

    def loop(self, item: _Node, *, required: bool) -> _Built:
        first, last, empty = self.add(item)
        self.link(last, first)
        return first, _add({}, last, 1 + empty), empty if required else min(2, 1 + empty)

    def optional(self, item: _Node, copies: int) -> _Built:
        if not copies:
            return {}, {}, 1
        first, last, empty = self.chain([functools.partial(self.add, item), lambda: self.optional(item, copies - 1)])
        return first, last, min(2, empty + 1)


def _units(node: _Node) -> _Ranges | None:
    """The code units of a tree that reads exactly one of them (a set, or sets in alternation)."""
    if isinstance(node, _Set):
        return node.ranges
    if isinstance(node, _Cat) and len(node.items) == 1:
        return _units(node.items[0])
    if isinstance(node, _Alt):
        parts = [_units(item) for item in node.items]
        return _merge(r for part in parts if part for r in part) if all(p is not None for p in parts) else None
    return None


def _fold(items: tuple[_Node, ...]) -> tuple[_Node, ...]:
    """``(?!a)[^/]`` as ``[^/a]`` and ``(?=a)[^/]`` as ``[a]``: a one-unit lookahead right
    before a set only narrows the set (path-to-regexp writes such segments). For the analysis."""
    out: list[_Node] = []
    for item in items:
        look = out[-1] if out else None
        units = _units(look.item) if isinstance(look, _Look) and look.ahead else None
        if isinstance(item, _Set) and isinstance(look, _Look) and units is not None:
            narrowed = _meet(item.ranges, _complement(units) if look.negate else units)
            out[-1] = _Set(narrowed)
        else:
            out.append(item)
    return tuple(out)


def _meet(a: _Ranges, b: _Ranges) -> _Ranges:
    """The code units in both."""
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low <= high:
            out.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _components(nodes: Iterable[int], successors: Callable[[int], Iterable[int]]) -> dict[int, int]:
    """Strongly connected components (Tarjan, without recursion): node -> component id."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    component: dict[int, int] = {}
    stack: list[int] = []
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[int, Iterator[int]]] = [(root, iter(successors(root)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    while True:
                        member = stack.pop()
                        component[member] = node
                        if member == node:
                            break
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(successors(child))))
            elif child not in component:
                low[node] = min(low[node], index[child])
    return component


class _Ambiguity:
    """Weber and Seidl's tests on a position automaton, all states final (``re`` explores every
    way to every state): without EDA and IDA each state is reached in a bounded number of ways
    on any input, so backtracking takes time linear in the input.

    EDA: two distinct cycles at one state reading the same word: a component of the pair
    automaton holding a pair (p, p) and a pair (p, q) with p != q, or parallel ways inside one.
    IDA: p != q with cycles at p and q and a way from p to q, all on one word: a path from
    (p, p, q) to (p, q, q) in the triple automaton.
    """

    def __init__(self, auto: _Positions) -> None:
        self.sets, self.follow = auto.sets, auto.follow
        self.size = len(self.sets)
        self.budget = _BUDGET
        self.meets: dict[tuple[int, int], _Ranges] = {}

    def spend(self, amount: int = 1) -> None:
        self.budget -= amount
        if self.budget < 0:
            raise _GaveUp

    def both(self, p: int, q: int) -> _Ranges:
        key = (p, q) if p <= q else (q, p)
        found = self.meets.get(key)
        if found is None:
            found = self.meets[key] = _meet(self.sets[p], self.sets[q])
        return found

    def pair_successors(self, pair: int) -> list[int]:
        p, q = divmod(pair, self.size)
        self.spend(len(self.follow[p]) * len(self.follow[q]))
        return [p2 * self.size + q2 for p2 in self.follow[p] for q2 in self.follow[q] if self.both(p2, q2)]

    def bounded(self) -> bool:
        pairs: dict[int, list[int]] = {}
        todo = [0]
        while todo:
            pair = todo.pop()
            if pair not in pairs:
                pairs[pair] = self.pair_successors(pair)
                todo.extend(pairs[pair])
        component = _components(pairs, pairs.__getitem__)
        return not self.exponential(pairs, component) and not self.polynomial(pairs, component)

    def exponential(self, pairs: dict[int, list[int]], component: dict[int, int]) -> bool:
        diagonal = {component[x] for x in pairs if x // self.size == x % self.size}
        if any(component[x] in diagonal for x in pairs if x // self.size != x % self.size):
            return True
        return any(
            ways > 1 and component[p * self.size + p] == component[q * self.size + q]
            for p in range(self.size)
            if p * self.size + p in pairs
            for q, ways in self.follow[p].items()
            if q * self.size + q in pairs
        )

    def polynomial(self, pairs: dict[int, list[int]], component: dict[int, int]) -> bool:
        states = _components(range(self.size), self.follow.__getitem__)
        cyclic = {x for x, successors in pairs.items() for y in successors if component[y] == component[x]}
        for pair in cyclic:
            p, q = divmod(pair, self.size)
            if p != q and self.path3(p, q, states):
                return True
        return False

    def path3(self, p: int, q: int, states: dict[int, int]) -> bool:
        """A path from (p, p, q) to (p, q, q) reading one word, the outer copies staying in the
        components of p and q."""
        size = self.size
        start, goal = (p * size + p) * size + q, (p * size + q) * size + q
        seen, todo = {start}, [start]
        while todo:
            ab, c = divmod(todo.pop(), size)
            a, b = divmod(ab, size)
            self.spend(len(self.follow[a]) * len(self.follow[b]))
            for a2 in self.follow[a]:
                if states[a2] != states[p]:
                    continue
                for b2 in self.follow[b]:
                    common = self.both(a2, b2)
                    if not common:
                        continue
                    for c2 in self.follow[c]:
                        self.spend()
                        if states[c2] != states[q] or not _meet(common, self.sets[c2]):
                            continue
                        triple = (a2 * size + b2) * size + c2
                        if triple == goal:
                            return True
                        if triple not in seen:
                            seen.add(triple)
                            todo.append(triple)
        return False


def _looks(node: _Node) -> Iterator[_Look]:
    """Every lookaround in the tree, inner ones included."""
    if isinstance(node, _Look):
        yield node
        yield from _looks(node.item)
    elif isinstance(node, (_Cat, _Alt)):
        for item in node.items:
            yield from _looks(item)
    elif isinstance(node, _Rep):
        yield from _looks(node.item)


def _width(node: _Node) -> int | None:
    """The most code units the tree can read (None: no bound)."""
    if isinstance(node, _Set):
        return 1
    if isinstance(node, (_Look, _Edge)):
        return 0
    if isinstance(node, _Rep):
        inner = _width(node.item)
        return inner * node.high if inner is not None and node.high is not None else (0 if inner == 0 else None)
    widths = [_width(item) for item in node.items]
    if any(w is None for w in widths):
        return None
    known = [w for w in widths if w is not None]
    return (sum(known) if isinstance(node, _Cat) else max(known)) if known else 0


def _anchored(node: _Node) -> bool:
    """Whether every way through the tree starts with ``^`` (``re`` then tries one start only)."""
    if isinstance(node, _Edge):
        return not node.end
    if isinstance(node, _Alt):
        return all(_anchored(item) for item in node.items)
    return isinstance(node, _Cat) and bool(node.items) and _anchored(node.items[0])


def _linear(tree: _Node, *, search: bool) -> bool:
    """Whether ``re`` matches (``fullmatch``, or ``search`` when ``search``) the translation of
    ``tree`` in time linear in the input, whatever the input."""
    if search and not _anchored(tree):
        tree = _Cat((_Rep(_ANY, 0, None), tree))  # search tries every start
    try:
        for look in _looks(tree):
            if look.ahead and _width(look.item) is None:
                return False  # evaluated at up to every position, each time reading up to the end
            if not _Ambiguity(_Positions(look.item)).bounded():
                return False
        return _Ambiguity(_Positions(tree)).bounded()
    except (_GaveUp, RecursionError):
        return False


# --- the linear-time automaton ---------------------------------------------------------------------

_MAX_STATES: Final = 20_000
_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)
_AT_START, _AT_END = -1, -2


class _Program:
    """A Thompson automaton for one tree, reading forwards (or backwards, for a lookahead).

    ``code[pc]`` is ``(_CHAR, 0, next)`` (reading one of ``sets[pc]``), ``(_SPLIT, next,
    other)``, ``(_ASSERT, what, next)`` (``what``: ``_AT_START``, ``_AT_END`` or a lookaround's
    index) or ``(_MATCH, 0, 0)``; pc 0 is the match.
    """

    def __init__(self, tree: _Node, *, backward: bool, looks: _Lookarounds) -> None:
        self.backward, self.looks = backward, looks
        self.code: list[tuple[int, int, int]] = [(_MATCH, 0, 0)]
        self.sets: dict[int, _Ranges] = {}
        self.start = self.emit(tree, 0)
        self.asserts = sorted({what for op, what, _ in self.code if op == _ASSERT})

    def add(self, op: int, what: int, then: int) -> int:
        self.looks.states += 1
        if self.looks.states > _MAX_STATES:
            raise ValueError("the regex is too large to match in linear time; use smaller counts in {n,m} repetitions")
        self.code.append((op, what, then))
        return len(self.code) - 1

    def emit(self, node: _Node, then: int) -> int:
        """The entry of ``node`` followed by ``then``."""
        if isinstance(node, _Set):
            pc = self.add(_CHAR, 0, then)
            self.sets[pc] = node.ranges
            return pc
        if isinstance(node, _Edge):
            return self.add(_ASSERT, _AT_END if node.end else _AT_START, then)
        if isinstance(node, _Look):
            return self.add(_ASSERT, self.looks.index(node), then)
        if isinstance(node, _Cat):
            for item in node.items if self.backward else reversed(node.items):
                then = self.emit(item, then)
            return then
        if isinstance(node, _Alt):
            entries = [self.emit(item, then) for item in node.items]
            entry = entries.pop()
            for other in reversed(entries):
                entry = self.add(_SPLIT, other, entry)
            return entry
        entry = then
        if node.high is None:
            entry = self.add(_SPLIT, -1, then)
            self.code[entry] = (_SPLIT, self.emit(node.item, entry), then)
        else:
            for _ in range(node.high - node.low):
                entry = self.add(_SPLIT, self.emit(node.item, entry), then)
        for _ in range(node.low):
            entry = self.emit(node.item, entry)
        return entry

    def masks(self, size: int, tables: Sequence[Sequence[bool]]) -> list[int]:
        """For each position, which of the program's assertions hold there (bit i: ``asserts[i]``)."""
        masks = [0] * (size + 1)
        for bit, what in enumerate(self.asserts):
            if what in (_AT_START, _AT_END):
                masks[0 if what == _AT_START else size] |= 1 << bit
            else:
                for at, hit in enumerate(tables[what]):
                    if hit:
                        masks[at] |= 1 << bit
        return masks

    def holds(self, what: int, at: int, size: int, tables: Sequence[Sequence[bool]]) -> bool:
        return at == 0 if what == _AT_START else at == size if what == _AT_END else tables[what][at]

    def close(self, states: frozenset[int], at: int, size: int, tables: Sequence[Sequence[bool]]) -> frozenset[int]:
        """The states reachable without reading, at position ``at``; only readers and the match kept."""
        seen, todo = set(states), list(states)
        while todo:
            op, what, then = self.code[todo.pop()]
            if op == _SPLIT:
                targets: tuple[int, ...] = (what, then)
            elif op == _ASSERT and self.holds(what, at, size, tables):
                targets = (then,)
            else:
                continue
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return frozenset(pc for pc in seen if self.code[pc][0] in (_CHAR, _MATCH))

    def read(self, states: frozenset[int], unit: str) -> frozenset[int]:
        code = ord(unit)
        return frozenset(self.code[pc][2] for pc in states if pc and _contains(self.sets[pc], code))

    def ends(self, text: str, tables: Sequence[Sequence[bool]], *, anchored: bool, first: bool = False) -> list[bool]:
        """For each position, whether a match ends there (starts there, reading backwards).

        ``anchored``: matches start at the start (the end, backwards) only; otherwise anywhere.
        ``first``: stop at the first such position. The sets of states met are cached per call,
        so each position costs two dictionary lookups once the automaton has seen the pattern.
        """
        size = len(text)
        found = [False] * (size + 1)
        closures: dict[tuple[frozenset[int], int], frozenset[int]] = {}
        reads: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        seed = frozenset((self.start,))
        states: frozenset[int] = seed
        masks = self.masks(size, tables)
        for step in range(size + 1):
            at = size - step if self.backward else step
            if step and not anchored:
                states |= seed
            elif not states:
                break
            mask = masks[at]
            closed = closures.get((states, mask))
            if closed is None:
                closed = closures[(states, mask)] = self.close(states, at, size, tables)
            if 0 in closed:
                found[at] = True
                if first:
                    break
            if step == size:
                break
            unit = text[at - 1] if self.backward else text[at]
            known = reads.get((closed, unit))
            if known is None:
                known = reads[(closed, unit)] = self.read(closed, unit)
            states = known
        return found


def _contains(ranges: _Ranges, code: int) -> bool:
    for low, high in ranges:
        if code <= high:
            return code >= low
    return False


class _Lookarounds:
    """The lookarounds of one pattern, each with its own program, inner ones first."""

    def __init__(self) -> None:
        self.programs: list[tuple[_Program, bool]] = []  # (program, negated)
        self.indexes: dict[_Look, int] = {}
        self.states = 0

    def index(self, look: _Look) -> int:
        if look not in self.indexes:
            program = _Program(look.item, backward=look.ahead, looks=self)
            self.programs.append((program, look.negate))
            self.indexes[look] = len(self.programs) - 1
        return self.indexes[look]

    def tables(self, text: str) -> list[list[bool]]:
        """For each lookaround, whether it holds at each position of ``text``: a lookahead's
        body is run backwards from every position at once, a lookbehind's forwards."""
        tables: list[list[bool]] = []
        for program, negated in self.programs:
            tables.append([hit is not negated for hit in program.ends(text, tables, anchored=False)])
        return tables


class _Automaton:
    """A pattern matched by state sets instead of backtracking: linear in the input."""

    def __init__(self, tree: _Node) -> None:
        self.looks = _Lookarounds()
        self.main = _Program(tree, backward=False, looks=self.looks)

    def matches(self, text: str, *, search: bool) -> bool:
        ends = self.main.ends(text, self.looks.tables(text), anchored=not search, first=search)
        return any(ends) if search else ends[-1]


class JsRegex:
    """One JavaScript regex (``new RegExp(js)``, no flags), for ``fullmatch`` or, with
    ``search=True``, for ``search`` (what ``String.prototype.match`` does).

    ``python`` is the translation for ``re``; ``linear`` says whether ``re`` matches it in linear
    time (see the module docstring). :meth:`matches` uses ``re`` when it does, the built-in
    automaton otherwise: linear time for every pattern. Give strings as UTF-16 code units
    (:func:`utf16`). Raises ValueError for what :func:`translate` refuses, and for patterns
    that ``re`` would not match in linear time and that are too large for the automaton.
    ``analyse=False`` skips the analysis (``linear`` is then False), for a caller that decides
    per input with ``matches(by=...)``.
    """

    __slots__ = ("_automaton", "_match", "_tree", "linear", "python", "search")

    def __init__(self, js: str, *, search: bool = False, analyse: bool = True) -> None:
        self.python, self._tree = _parse(js)
        self.search = search
        self.linear = analyse and _linear(self._tree, search=search)
        compiled = re.compile(self.python)
        self._match = compiled.search if search else compiled.fullmatch
        # Built now when it will be used (size errors show here); analyse=False: on first use.
        self._automaton = None if self.linear or not analyse else _Automaton(self._tree)

    def matches(self, text: str, *, by: Literal["re", "automaton"] | None = None) -> bool:
        """Whether ``text`` (UTF-16 code units) matches, in time linear in its length.

        ``by`` overrides the choice ``linear`` makes: ``"re"`` for a caller that knows ``re`` is
        linear on this input, ``"automaton"`` to use the automaton anyway.
        """
        if by == "re" or (by is None and self.linear):
            return self._match(text) is not None
        if self._automaton is None:
            self._automaton = _Automaton(self._tree)
        return self._automaton.matches(text, search=self.search)

    def __repr__(self) -> str:
        return f"JsRegex({self.python!r}, linear={self.linear})"
