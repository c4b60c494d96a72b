"""MatcherSet: several matchers tried in order, in one regex pass (the per-request hot path)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ..errors import PathTooLongError
from .facts import RequestFacts
from .jsregex import utf16
from .matcher import MAX_PATH_LENGTH, Fullmatch, Matcher
from .source import LINE_BREAK, SEGMENT_ENDINGS, shared_prefix

__all__ = ["MatcherSet"]

_line_break: Final = LINE_BREAK.search
"""Bound once: Python 3.11 calls a method of an imported name through a fresh bound method."""


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
        # The single pass, per path_mode: a fullmatch and its marker group -> matcher index.
        self._cut = self._combine([[s.cut.python for s in m._sources] for _, m in active], active)
        self._full = self._combine([[s.full.python for s in m._sources] for _, m in active], active)

    @staticmethod
    def _combine(patterns: list[list[str]], active: list[tuple[int, Matcher]]) -> tuple[Fullmatch, dict[int, int]]:
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
        if "segment.rsc" in units and units.endswith(SEGMENT_ENDINGS):  # path_mode, inlined: the hot path
            if _line_break(units):
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
        shared = shared_prefix(base_paths.pop())
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
