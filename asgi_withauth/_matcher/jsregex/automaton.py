"""The linear-time automaton: a pattern matched by sets of states instead of backtracking.

A Thompson automaton per pattern, run as a DFA built lazily from the same syntax tree;
lookarounds are precomputed for every position (a lookahead's body run backwards from every
position at once, a lookbehind's forwards). Time is linear in the input whatever the pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .tree import Alt, Cat, Edge, Look, Node, Set
from .units import Ranges, contains

__all__ = ["Automaton"]

_MAX_STATES: Final = 20_000
_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)
_AT_START, _AT_END = -1, -2


class _Program:
    """A Thompson automaton for one tree, reading forwards (or backwards, for a lookahead).

    ``code[pc]`` is ``(_CHAR, 0, next)`` (reading one of ``sets[pc]``), ``(_SPLIT, next,
    other)``, ``(_ASSERT, what, next)`` (``what``: ``_AT_START``, ``_AT_END`` or a lookaround's
    index) or ``(_MATCH, 0, 0)``; pc 0 is the match.
    """

    def __init__(self, tree: Node, *, backward: bool, looks: _Lookarounds) -> None:
        self.backward, self.looks = backward, looks
        self.code: list[tuple[int, int, int]] = [(_MATCH, 0, 0)]
        self.sets: dict[int, Ranges] = {}
        self.start = self.emit(tree, 0)
        self.asserts = sorted({what for op, what, _ in self.code if op == _ASSERT})

    def add(self, op: int, what: int, then: int) -> int:
        self.looks.states += 1
        if self.looks.states > _MAX_STATES:
            raise ValueError("the regex is too large to match in linear time; use smaller counts in {n,m} repetitions")
        self.code.append((op, what, then))
        return len(self.code) - 1

    def emit(self, node: Node, then: int) -> int:
        """The entry of ``node`` followed by ``then``."""
        if isinstance(node, Set):
            pc = self.add(_CHAR, 0, then)
            self.sets[pc] = node.ranges
            return pc
        if isinstance(node, Edge):
            return self.add(_ASSERT, _AT_END if node.end else _AT_START, then)
        if isinstance(node, Look):
            return self.add(_ASSERT, self.looks.index(node), then)
        if isinstance(node, Cat):
            for item in node.items if self.backward else reversed(node.items):
                then = self.emit(item, then)
            return then
        if isinstance(node, Alt):
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
        return frozenset(self.code[pc][2] for pc in states if pc and contains(self.sets[pc], code))

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


class _Lookarounds:
    """The lookarounds of one pattern, each with its own program, inner ones first."""

    def __init__(self) -> None:
        self.programs: list[tuple[_Program, bool]] = []  # (program, negated)
        self.indexes: dict[Look, int] = {}
        self.states = 0

    def index(self, look: Look) -> int:
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


class Automaton:
    """A pattern matched by state sets instead of backtracking: linear in the input."""

    def __init__(self, tree: Node) -> None:
        self.looks = _Lookarounds()
        self.main = _Program(tree, backward=False, looks=self.looks)

    def matches(self, text: str, *, search: bool) -> bool:
        ends = self.main.ends(text, self.looks.tables(text), anchored=not search, first=search)
        return any(ends) if search else ends[-1]
