"""Fuzz the matcher compiler: arbitrary ``config.matcher`` sources, ``has``/``missing``
conditions and paths.

Oracle: ``Matcher(spec)`` compiles or raises ``ValueError`` (nothing else); then each of a few
arbitrary paths is matched in under :data:`SLOW` seconds, with the same answer from
``Matcher.match`` and from a ``MatcherSet`` holding the matcher behind a decoy; for short
paths, the same answer as Python's ``re`` on the matcher's own patterns (the automaton and the
regex translation agree).

Input: byte 0: the shape (bits 0-1: a source, a list of sources, a dict with conditions, a
list of dicts), ``exact`` (bit 2), a base path (bit 3); byte 1: how many sources (1-3); per
source a chunk (UTF-8), and for dicts a condition: a type byte, a key chunk, a value chunk
(a JavaScript regex); then up to three path chunks and a header value for the facts.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any, Final

if __name__ == "__main__":  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.common import Crash, Reader, fuzz_main, instrumented

with instrumented(__name__ == "__main__"):
    from asgi_withauth._matcher import MAX_PATH_LENGTH, Matcher, MatcherSet, RequestFacts
    from asgi_withauth._matcher.jsregex import utf16

__all__ = ["SLOW", "check", "spec_from"]

SLOW: Final = 0.5
"""Seconds one match may take (instrumented); longer is a crash: matching must stay linear."""
_SHORT: Final = 12
"""Paths up to this long are also matched with ``re`` on the patterns (backtracking stays cheap)."""
_KINDS: Final = ("header", "cookie", "query", "host")
_DECOY: Final = Matcher("/decoy-never-requested/:rest*")


def _text(reader: Reader) -> str:
    return reader.chunk().decode("utf-8", "replace")


def _condition(reader: Reader) -> dict[str, str]:
    kind = reader.pick(_KINDS)
    key, value = _text(reader), _text(reader)
    return {"type": kind, "value": value} if kind == "host" else {"type": kind, "key": key, "value": value}


def spec_from(reader: Reader) -> tuple[Any, bool, str]:
    """The matcher spec, ``exact`` and the base path an input describes."""
    shape = reader.byte()
    count = 1 + reader.byte() % 3
    exact, base_path = bool(shape & 4), "/base" if shape & 8 else ""
    kind = shape & 3
    if kind == 0:
        return _text(reader), exact, base_path
    if kind == 1:
        return [_text(reader) for _ in range(count)], exact, base_path
    items: list[dict[str, Any]] = []
    for _ in range(count):
        item: dict[str, Any] = {"source": _text(reader)}
        item["has" if reader.flag() else "missing"] = [_condition(reader)]
        items.append(item)
    return (items[0] if kind == 2 else items), exact, base_path


def _timed(what: str, call: Any, *args: Any) -> Any:
    start = time.perf_counter()
    result = call(*args)
    elapsed = time.perf_counter() - start
    if elapsed > SLOW:
        raise Crash(f"{what} took {elapsed:.2f} s on {args[0]!r:.200}")
    return result


def check(data: bytes) -> None:
    """The oracle for one input (see the module docstring)."""
    reader = Reader(data)
    spec, exact, base_path = spec_from(reader)
    try:
        matcher = Matcher(spec, base_path=base_path, exact=exact)
    except ValueError:
        return
    except Exception as exc:
        raise Crash(f"Matcher raised {type(exc).__name__}, not ValueError: {exc}") from exc
    paths = [base_path + _text(reader) for _ in range(3)]
    value = _text(reader)
    facts = RequestFacts(headers={"x-a": value}, cookies={"a": value}, query={"a": [value]}, host=value)
    matchers = MatcherSet([_DECOY, matcher])
    for path in paths:
        for given in (None, facts):
            answer = _timed("Matcher.match", matcher.match, path, given)
            if len(path) > MAX_PATH_LENGTH or _DECOY.match(path):
                continue  # MatcherSet refuses such paths; the decoy's match would come first
            first = _timed("MatcherSet.first", matchers.first, path, given)
            if answer != (first == 1):
                raise Crash(f"Matcher.match says {answer}, MatcherSet.first says {first} for {path!r}")
        if len(path) <= _SHORT:
            by_re = any(re.fullmatch(p, utf16(path)) for p in matcher.patterns)
            if by_re != matcher.match(path):
                raise Crash(f"Matcher.match says {not by_re}, re on its patterns {by_re} for {path!r}")


if __name__ == "__main__":
    fuzz_main(check)
