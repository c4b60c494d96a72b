"""path-to-regexp 6.3.0's ``parse`` and ``tokensToRegexp``, as Next.js calls them.

Next's ``lib/try-to-parse-path.js`` compiles every matcher source with them, with the
defaults (prefixes ``./``, delimiter ``/#?``, not strict, anchored at both ends). A repeated
parameter with no prefix or suffix gets a ``/`` prefix instead of an error (Next's
``safeTokensToRegexp``). The result is a JavaScript regex: see :mod:`.jsregex` for Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, NamedTuple

__all__ = ["escape", "route"]

_ANY_SEGMENT: Final = r"[^\/#\?]+?"
"""A parameter's default pattern: one segment, lazily."""


class _Tok(NamedTuple):
    """A parameter or group: ``{prefix:name(pattern)suffix}modifier``."""

    name: str
    prefix: str
    suffix: str
    pattern: str
    modifier: str


def escape(text: str) -> str:
    """``text`` as a literal in a path-to-regexp regex (its ``escapeString``)."""
    return re.sub(r"([.+*?=^!:${}()\[\]|/\\])", r"\\\1", text)


def _lex(src: str) -> list[tuple[str, int, str | None]]:
    tokens: list[tuple[str, int, str | None]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in "*+?":
            tokens.append(("MODIFIER", i, c))
        elif c == "\\":  # a trailing backslash becomes a token without a value (then ignored)
            tokens.append(("ESCAPED_CHAR", i, src[i + 1] if i + 1 < n else None))
            i += 1
        elif c in "{}":
            tokens.append(("OPEN" if c == "{" else "CLOSE", i, c))
        elif c == ":":
            j = i + 1
            while j < n and src[j].isascii() and (src[j].isalnum() or src[j] == "_"):
                j += 1
            if j == i + 1:
                raise ValueError(f"Missing parameter name at {i}")
            tokens.append(("NAME", i, src[i + 1 : j]))
            i = j - 1
        elif c == "(":
            count, j = 1, i + 1
            if src[j : j + 1] == "?":
                raise ValueError(f'Pattern cannot start with "?" at {j}')
            while j < n:
                if src[j] == "\\":
                    j += 2
                    continue
                if src[j] == ")":
                    count -= 1
                    if count == 0:
                        break
                elif src[j] == "(":
                    count += 1
                    if src[j + 1 : j + 2] != "?":
                        raise ValueError(f"Capturing groups are not allowed at {j}")
                j += 1
            if count:
                raise ValueError(f"Unbalanced pattern at {i}")
            if j == i + 1:
                raise ValueError(f"Missing pattern at {i}")
            tokens.append(("PATTERN", i, src[i + 1 : j]))
            i = j
        else:
            tokens.append(("CHAR", i, c))
        i += 1
    tokens.append(("END", i, ""))
    return tokens


def _parse(src: str) -> list[str | _Tok]:
    """path-to-regexp's ``parse`` with its defaults (prefixes ``./``, delimiter ``/#?``)."""
    tokens = _lex(src)
    result: list[str | _Tok] = []
    pos = key = 0
    path = ""

    def take(kind: str) -> str | None:
        nonlocal pos
        if pos < len(tokens) and tokens[pos][0] == kind:
            pos += 1
            return tokens[pos - 1][2]
        return None

    def expect(kind: str) -> None:
        if take(kind) is None:
            got, index, _ = tokens[pos]
            raise ValueError(f"Unexpected {got} at {index}, expected {kind}")

    def text() -> str:
        out = ""
        while value := take("CHAR") or take("ESCAPED_CHAR"):
            out += value
        return out

    def safe_pattern(prefix: str) -> str:
        prev = result[-1] if result else None
        prev_text = prefix or (prev if isinstance(prev, str) else "")
        if isinstance(prev, _Tok) and not prev_text:
            raise ValueError(f'Must have text between two parameters, missing text after "{prev.name}"')
        if not prev_text or any(d in prev_text for d in "/#?"):
            return _ANY_SEGMENT
        return rf"(?:(?!{escape(prev_text)})[^\/#\?])+?"

    def anonymous() -> str:
        nonlocal key
        key += 1
        return str(key - 1)

    while pos < len(tokens):
        char, name, pattern = take("CHAR"), take("NAME"), take("PATTERN")
        if name or pattern:
            prefix = char or ""
            if prefix not in "./":
                path, prefix = path + prefix, ""
            if path:
                result.append(path)
                path = ""
            name = name or anonymous()
            result.append(_Tok(name, prefix, "", pattern or safe_pattern(prefix), take("MODIFIER") or ""))
            continue
        if value := char or take("ESCAPED_CHAR"):
            path += value
            continue
        if path:
            result.append(path)
            path = ""
        if take("OPEN"):
            prefix = text()
            name, pattern = take("NAME") or "", take("PATTERN") or ""
            suffix = text()
            expect("CLOSE")
            name = name or (anonymous() if pattern else "")
            pattern = safe_pattern(prefix) if name and not pattern else pattern
            result.append(_Tok(name, prefix, suffix, pattern, take("MODIFIER") or ""))
            continue
        expect("END")
    return result


def _tokens_to_regexp(tokens: Iterable[str | _Tok], *, normalize: bool) -> str:
    """path-to-regexp's ``tokensToRegexp`` (not strict, anchored at both ends): a JavaScript regex."""
    regex = "^"
    for tok in tokens:
        if isinstance(tok, str):
            regex += escape(tok)
            continue
        repeat = tok.modifier in ("*", "+")
        prefix = "/" if normalize and repeat and not tok.prefix and not tok.suffix else tok.prefix
        prefix, suffix = escape(prefix), escape(tok.suffix)
        if not tok.pattern:
            regex += f"(?:{prefix}{suffix}){tok.modifier}"
        elif prefix or suffix:
            if repeat:
                optional = "?" if tok.modifier == "*" else ""
                regex += f"(?:{prefix}((?:{tok.pattern})(?:{suffix}{prefix}(?:{tok.pattern}))*){suffix}){optional}"
            else:
                regex += f"(?:{prefix}({tok.pattern}){suffix}){tok.modifier}"
        elif repeat:
            raise ValueError(f'Can not repeat "{tok.name}" without a prefix and suffix')
        else:
            regex += f"({tok.pattern}){tok.modifier}"
    return regex + r"[\/#\?]?$"


def route(src: str) -> str:
    """Next's ``tryToParsePath(src)`` regex (before ``.source``): JavaScript."""
    tokens = _parse(src)
    try:
        return _tokens_to_regexp(tokens, normalize=False)
    except ValueError:  # Next's safeTokensToRegexp: retry with a "/" prefix on repeats
        return _tokens_to_regexp(tokens, normalize=True)
