"""The syntax tree of a JavaScript regex: what the analysis and the automaton read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from .units import MAX_UNIT, WORD, Ranges

__all__ = ["ANY", "Alt", "Cat", "Edge", "Look", "Node", "Rep", "Set", "boundary"]


@dataclass(frozen=True, slots=True)
class Set:
    """One code unit out of ``ranges`` (inclusive, sorted, disjoint; empty: matches nothing)."""

    ranges: Ranges


@dataclass(frozen=True, slots=True)
class Cat:
    """The items one after the other."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    """One of the items, tried in order."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Rep:
    """``item`` from ``low`` to ``high`` times."""

    item: Node
    low: int
    high: int | None  # None: no upper bound


@dataclass(frozen=True, slots=True)
class Look:
    """A lookahead (``ahead``) or lookbehind, negated or not."""

    item: Node
    ahead: bool
    negate: bool


@dataclass(frozen=True, slots=True)
class Edge:
    """``^`` (start of input) or ``$`` (end of input, ``end``): no flags, so never a line."""

    end: bool


Node: TypeAlias = "Set | Cat | Alt | Rep | Look | Edge"

ANY: Final = Set(((0, MAX_UNIT),))
"""Any one code unit."""


def boundary(negated: bool) -> Node:
    """``\\b`` (``\\B`` when negated) as the lookarounds it is translated to."""
    word = Set(WORD)
    before, not_before = Look(word, ahead=False, negate=False), Look(word, ahead=False, negate=True)
    after, not_after = Look(word, ahead=True, negate=False), Look(word, ahead=True, negate=True)
    if negated:
        return Alt((Cat((before, after)), Cat((not_before, not_after))))
    return Alt((Cat((before, not_after)), Cat((not_before, after))))
