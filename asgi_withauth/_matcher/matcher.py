"""Matcher: one Next.js ``config.matcher``, compiled once, answering per request."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

from .facts import Condition, RequestFacts, conditions, holds
from .jsregex import utf16
from .source import AUTOMATON, BuiltSource, build, check_base_path, path_mode, shared_prefix

__all__ = ["MAX_PATH_LENGTH", "Fullmatch", "Matcher", "MatcherSpec"]

MatcherSpec: TypeAlias = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
"""A ``config.matcher``: a source, a ``{"source", "has", "missing", "locale"}`` dict, or a list."""

MAX_PATH_LENGTH: Final = 4096
"""The longest path (in characters, as ``len`` counts them) a matcher tests; longer ones are
never matched against a regex (see :meth:`Matcher.match` and :meth:`~.matcherset.MatcherSet.first`).
A character above U+FFFF is matched as two UTF-16 units, so the work stays within twice this."""

Fullmatch: TypeAlias = "Callable[[str], re.Match[str] | None]"
_Entry: TypeAlias = "tuple[str, tuple[Condition, ...], tuple[Condition, ...]]"
"""A source with its ``has`` and ``missing`` conditions."""


def _entries(matcher: object) -> list[_Entry]:
    if isinstance(matcher, (str, Mapping)):
        items: Sequence[object] = [matcher]
    elif isinstance(matcher, (list, tuple)):
        items = matcher
    else:
        raise ValueError(f"matcher must be a string, a dict or a list of them, got {type(matcher).__name__}")
    entries: list[_Entry] = []
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
        has, missing = conditions(item.get("has", []), "has"), conditions(item.get("missing", []), "missing")
        entries.append((source, has, missing))
    return entries


def _alternation(patterns: Sequence[str], base_path: str) -> str:
    """One regex for several: ``P(?:A|B)`` when all start with Next's prefix ``P``, else ``(?:PA)|(?:PB)``."""
    shared = shared_prefix(base_path)
    if all(p.startswith(shared) for p in patterns):
        return shared + "(?:" + "|".join(f"(?:{p[len(shared) :]})" for p in patterns) + ")"
    return "|".join(f"(?:{p})" for p in patterns)


class Matcher:
    """A Next.js ``config.matcher``, compiled once; ``match()`` answers per request.

    ``match(path, facts)`` is True when some source matches ``path`` (with base path, see
    :mod:`asgi_withauth._matcher`) and its ``has`` conditions all hold and none of its
    ``missing`` do. ``facts=None`` means the conditions cannot be checked: such sources then
    match on the path alone, the cautious choice when a match means "protect". A path longer
    than :data:`MAX_PATH_LENGTH` matches too, for the same reason. An empty list matches
    nothing, as in Next. Invalid matchers raise ValueError here, never in ``match()``.

    ``exact=True`` matches each source as written, without the forms Next adds (the
    ``/_next/data/<id>`` prefix, the ``.json``/``.rsc`` suffixes, ``/index`` for ``/``): for
    matchers that open paths rather than protect them, where each added form would open more.
    """

    __slots__ = ("_conditional", "_plain", "_regex", "_slow", "_sources", "base_path", "exact")

    def __init__(self, matcher: MatcherSpec, *, base_path: str = "", exact: bool = False) -> None:
        check_base_path(base_path)
        self.base_path = base_path
        self.exact = exact
        sources: list[BuiltSource] = []
        plain: list[BuiltSource] = []
        conditional: list[tuple[BuiltSource, tuple[Condition, ...], tuple[Condition, ...]]] = []
        for source, has, missing in _entries(matcher):
            try:
                compiled = build(utf16(source), utf16(base_path), exact=exact)
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
        self._regex: tuple[Fullmatch | None, Fullmatch | None] = (
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
        mode = path_mode(path)
        if mode == AUTOMATON:
            if any(s.match(path, mode) for s in self._plain):
                return True
        else:
            regex = self._regex[mode]
            if (regex is not None and regex(path) is not None) or any(s.match(path, mode) for s in self._slow):
                return True
        for source, has, missing in self._conditional:
            if source.match(path, mode) and (
                facts is None or (all(holds(c, facts) for c in has) and not any(holds(c, facts) for c in missing))
            ):
                return True
        return False

    def __repr__(self) -> str:
        exact = ", exact=True" if self.exact else ""
        return f"Matcher(<{len(self._sources)} sources>, base_path={self.base_path!r}{exact})"
