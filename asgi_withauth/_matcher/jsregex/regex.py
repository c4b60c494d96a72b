"""JsRegex: one JavaScript regex, matched by ``re`` where that is linear, else by the automaton."""

from __future__ import annotations

import re
from typing import Literal

from .analysis import linear
from .automaton import Automaton
from .parse import parse

__all__ = ["JsRegex"]


class JsRegex:
    """One JavaScript regex (``new RegExp(js)``, no flags), for ``fullmatch`` or, with
    ``search=True``, for ``search`` (what ``String.prototype.match`` does).

    ``python`` is the translation for ``re``; ``linear`` says whether ``re`` matches it in linear
    time (see :mod:`.analysis`). :meth:`matches` uses ``re`` when it does, the built-in
    automaton otherwise: linear time for every pattern. Give strings as UTF-16 code units
    (:func:`~.units.utf16`). Raises ValueError for what :func:`~.parse.translate` refuses, and
    for patterns that ``re`` would not match in linear time and that are too large for the
    automaton. ``analyse=False`` skips the analysis (``linear`` is then False), for a caller
    that decides per input with ``matches(by=...)``.
    """

    __slots__ = ("_automaton", "_match", "_tree", "linear", "python", "search")

    def __init__(self, js: str, *, search: bool = False, analyse: bool = True) -> None:
        self.python, self._tree = parse(js)
        self.search = search
        self.linear = analyse and linear(self._tree, search=search)
        compiled = re.compile(self.python)
        self._match = compiled.search if search else compiled.fullmatch
        # Built now when it will be used (size errors show here); analyse=False: on first use.
        self._automaton = None if self.linear or not analyse else Automaton(self._tree)

    def matches(self, text: str, *, by: Literal["re", "automaton"] | None = None) -> bool:
        """Whether ``text`` (UTF-16 code units) matches, in time linear in its length.

        ``by`` overrides the choice ``linear`` makes: ``"re"`` for a caller that knows ``re`` is
        linear on this input, ``"automaton"`` to use the automaton anyway.
        """
        if by == "re" or (by is None and self.linear):
            return self._match(text) is not None
        if self._automaton is None:
            self._automaton = Automaton(self._tree)
        return self._automaton.matches(text, search=self.search)

    def __repr__(self) -> str:
        return f"JsRegex({self.python!r}, linear={self.linear})"
