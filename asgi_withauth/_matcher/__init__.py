"""Next.js middleware ``config.matcher``, compiled once into Python regular expressions.

What Next.js 15.5 does (read in ``next/dist``), and what this package reproduces:

* ``getMiddlewareMatchers`` builds each source with Next's ``/_next/data`` prefix and
  ``.json``/``.rsc`` suffix, and compiles it with path-to-regexp 6.3.0 (:mod:`.source`,
  :mod:`.pattern`).
* ``shared/lib/router/utils/middleware-route-matcher.js`` runs ``new RegExp(regexp)`` on the
  pathname. There are no flags, so matching is case-sensitive and ``.`` stops at line
  terminators. A hit counts only if ``shared/lib/router/utils/prepare-destination.js``
  ``matchHas`` accepts its ``has``/``missing`` conditions (:mod:`.facts`).

Paths: ``match()`` takes the path the way Next tests it, *with* the base path: Next puts
basePath into the regexp and tests ``parsedUrl.pathname``. In ASGI terms:
``Matcher(m, base_path=root_path).match(scope["path"])``. The same thing:
``Matcher(m).match(<path without root_path>)``. Next runs middleware if the raw
(percent-encoded) pathname matches or if its ``decodeURIComponent`` does. The caller decides
which forms of the path to test.

JavaScript regexes (custom ``(...)`` groups, ``has`` values) are translated, not reused as
they are (:mod:`.jsregex`). ``.``, ``\\s``, ``\\d``, ``\\w``, ``\\b``, ``^``/``$``, classes and
``{`` keep their JavaScript meaning. Strings are matched as UTF-16 code units, as JavaScript
does. Syntax that cannot be translated faithfully raises ValueError at construction:
backreferences, ``\\p{..}``, quantified assertions, Python-only syntax, and a few more.

Matching time is linear in the path (and in the ``has``/``missing`` values) for every matcher:
sources and values on which Python's ``re`` could backtrack for long (``/:a*/:b*``,
``/(.*)/(.*)``, ``.*bot.*``) are matched by :class:`~.jsregex.JsRegex`'s automaton, the
others by ``re``; Next's ``.segments`` suffix is handled per path (:func:`.source.path_mode`).
Paths longer than :data:`MAX_PATH_LENGTH` are never matched against a regex:
:meth:`Matcher.match` says they match, and :meth:`MatcherSet.first` raises
:class:`~asgi_withauth.errors.PathTooLongError`.

``pattern``     path-to-regexp 6.3.0, as Next calls it
``source``      one source as Next builds it; which regex matches which path
``facts``       ``has``/``missing`` conditions and :class:`RequestFacts`
``matcher``     :class:`Matcher`, one ``config.matcher``
``matcherset``  :class:`MatcherSet`, several in one pass
``jsregex/``    JavaScript regexes: translation, linear-time analysis, automaton
"""

from __future__ import annotations

from ..errors import PathTooLongError
from .facts import RequestFacts
from .matcher import MAX_PATH_LENGTH, Matcher, MatcherSpec
from .matcherset import MatcherSet
from .source import compile_source, next_regexp

__all__ = [
    "MAX_PATH_LENGTH",
    "Matcher",
    "MatcherSet",
    "MatcherSpec",
    "PathTooLongError",
    "RequestFacts",
    "compile_source",
    "next_regexp",
]
