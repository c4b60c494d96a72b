"""Is ``re``'s backtracking linear for a pattern? Decided once, on its syntax tree.

Python's ``re`` backtracks: on hostile input some patterns take polynomial time
(``(.*)/(.*)``, ``.*a.*``) or exponential time (``(a|a)*b``). :func:`linear` says a pattern is
safe when its position automaton reaches each state on a given input in a bounded number of
ways (no exponential or polynomial degree of ambiguity, the Weber-Seidl criteria) and every
lookahead reads a bounded number of characters. Lookarounds and anchors count as empty
there, and are checked on their own. A pattern too large to analyse counts as not linear.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Final, TypeAlias

from .tree import ANY, Alt, Cat, Edge, Look, Node, Rep, Set
from .units import Ranges, complement, meet, merge

__all__ = ["linear"]

_EXPAND: Final = 8
"""Counted repetitions up to this many copies are analysed exactly; longer ones as ``x{k,}``."""
_MAX_POSITIONS: Final = 5_000
_BUDGET: Final = 200_000

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

    def __init__(self, tree: Node) -> None:
        self.sets: list[Ranges] = [()]
        self.follow: list[_Counts] = [{}]
        self.follow[0] = self.add(tree)[0]

    def position(self, ranges: Ranges) -> int:
        if len(self.sets) > _MAX_POSITIONS:
            raise _GaveUp
        self.sets.append(ranges)
        self.follow.append({})
        return len(self.sets) - 1

    def link(self, last: _Counts, first: _Counts) -> None:
        for p, ways in last.items():
            self.follow[p] = _add(self.follow[p], first, ways)

    def add(self, node: Node) -> _Built:
        if isinstance(node, Set):
            p = self.position(node.ranges)
            return {p: 1}, {p: 1}, 0
        if isinstance(node, Cat):
            node = Cat(_fold(node.items))
        if isinstance(node, (Look, Edge)):
            return {}, {}, 1
        if isinstance(node, Alt):
            first: _Counts = {}
            last: _Counts = {}
            empty = 0
            for item in node.items:
                f, t, e = self.add(item)
                first, last, empty = _add(first, f), _add(last, t), min(2, empty + e)
            return first, last, empty
        if isinstance(node, Cat):
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

    def repeat(self, node: Rep) -> _Built:
        low, high = node.low, node.high
        if low > _EXPAND or (high is not None and high - low > _EXPAND):
            low, high = min(low, _EXPAND), None
        copy = functools.partial(self.add, node.item)
        if high is None:
            loop = functools.partial(self.loop, node.item, required=low > 0)
            return self.chain([*[copy] * max(low - 1, 0), loop])
        return self.chain([*[copy] * low, functools.partial(self.optional, node.item, high - low)])

    def loop(self, item: Node, *, required: bool) -> _Built:
        first, last, empty = self.add(item)
        self.link(last, first)
        return first, _add({}, last, 1 + empty), empty if required else min(2, 1 + empty)

    def optional(self, item: Node, copies: int) -> _Built:
        if not copies:
            return {}, {}, 1
        first, last, empty = self.chain([functools.partial(self.add, item), lambda: self.optional(item, copies - 1)])
        return first, last, min(2, empty + 1)


def _units(node: Node) -> Ranges | None:
    """The code units of a tree that reads exactly one of them (a set, or sets in alternation)."""
    if isinstance(node, Set):
        return node.ranges
    if isinstance(node, Cat) and len(node.items) == 1:
        return _units(node.items[0])
    if isinstance(node, Alt):
        parts = [_units(item) for item in node.items]
        return merge(r for part in parts if part for r in part) if all(p is not None for p in parts) else None
    return None


def _fold(items: tuple[Node, ...]) -> tuple[Node, ...]:
    """``(?!a)[^/]`` as ``[^/a]`` and ``(?=a)[^/]`` as ``[a]``: a one-unit lookahead right
    before a set only narrows the set (path-to-regexp writes such segments). For the analysis."""
    out: list[Node] = []
    for item in items:
        look = out[-1] if out else None
        units = _units(look.item) if isinstance(look, Look) and look.ahead else None
        if isinstance(item, Set) and isinstance(look, Look) and units is not None:
            narrowed = meet(item.ranges, complement(units) if look.negate else units)
            out[-1] = Set(narrowed)
        else:
            out.append(item)
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
        self.meets: dict[tuple[int, int], Ranges] = {}

    def spend(self, amount: int = 1) -> None:
        self.budget -= amount
        if self.budget < 0:
            raise _GaveUp

    def both(self, p: int, q: int) -> Ranges:
        key = (p, q) if p <= q else (q, p)
        found = self.meets.get(key)
        if found is None:
            found = self.meets[key] = meet(self.sets[p], self.sets[q])
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
                        if states[c2] != states[q] or not meet(common, self.sets[c2]):
                            continue
                        triple = (a2 * size + b2) * size + c2
                        if triple == goal:
                            return True
                        if triple not in seen:
                            seen.add(triple)
                            todo.append(triple)
        return False


def _looks(node: Node) -> Iterator[Look]:
    """Every lookaround in the tree, inner ones included."""
    if isinstance(node, Look):
        yield node
        yield from _looks(node.item)
    elif isinstance(node, (Cat, Alt)):
        for item in node.items:
            yield from _looks(item)
    elif isinstance(node, Rep):
        yield from _looks(node.item)


def _width(node: Node) -> int | None:
    """The most code units the tree can read (None: no bound)."""
    if isinstance(node, Set):
        return 1
    if isinstance(node, (Look, Edge)):
        return 0
    if isinstance(node, Rep):
        inner = _width(node.item)
        return inner * node.high if inner is not None and node.high is not None else (0 if inner == 0 else None)
    widths = [_width(item) for item in node.items]
    if any(w is None for w in widths):
        return None
    known = [w for w in widths if w is not None]
    return (sum(known) if isinstance(node, Cat) else max(known)) if known else 0


def _anchored(node: Node) -> bool:
    """Whether every way through the tree starts with ``^`` (``re`` then tries one start only)."""
    if isinstance(node, Edge):
        return not node.end
    if isinstance(node, Alt):
        return all(_anchored(item) for item in node.items)
    return isinstance(node, Cat) and bool(node.items) and _anchored(node.items[0])


def linear(tree: Node, *, search: bool) -> bool:
    """Whether ``re`` matches (``fullmatch``, or ``search`` when ``search``) the translation of
    ``tree`` in time linear in the input, whatever the input."""
    if search and not _anchored(tree):
        tree = Cat((Rep(ANY, 0, None), tree))  # search tries every start
    try:
        for look in _looks(tree):
            if look.ahead and _width(look.item) is None:
                return False  # evaluated at up to every position, each time reading up to the end
            if not _Ambiguity(_Positions(look.item)).bounded():
                return False
        return _Ambiguity(_Positions(tree)).bounded()
    except (_GaveUp, RecursionError):
        return False
