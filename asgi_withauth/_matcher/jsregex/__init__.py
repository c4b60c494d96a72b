"""JavaScript regular expressions (no flags, Annex B): translated to Python's ``re``, and
matched in linear time.

Next.js compiles matcher sources and ``has`` values with ``new RegExp(...)`` and no flags.
:func:`translate` gives a Python pattern with the same meaning, on strings of UTF-16 code
units (:func:`utf16`). :class:`JsRegex` decides once, when it is built, whether ``re`` is
linear for a pattern; patterns that fail the test are matched with a built-in automaton
instead, in time linear in the input whatever the pattern. Both give the same answers;
``re`` is just faster.

``units``      code units: :func:`utf16`, ranges of units
``tree``       the syntax tree
``parse``      JavaScript syntax -> a Python pattern and a tree (:func:`translate`)
``analysis``   is ``re``'s backtracking linear for a tree?
``automaton``  the lazily built DFA for the patterns where it is not
``regex``      :class:`JsRegex`, which picks one of the two
"""

from __future__ import annotations

from .parse import translate
from .regex import JsRegex
from .units import JS_WHITESPACE, utf16

__all__ = ["JS_WHITESPACE", "JsRegex", "translate", "utf16"]
