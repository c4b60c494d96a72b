"""Code units as JavaScript regexes see them: UTF-16 strings, and sorted ranges of units."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = [
    "DIGIT",
    "JS_WHITESPACE",
    "LINE_TERMINATORS",
    "MAX_UNIT",
    "SPACE",
    "WORD",
    "Ranges",
    "complement",
    "contains",
    "meet",
    "merge",
    "utf16",
]

Ranges = tuple[tuple[int, int], ...]
"""Code units as inclusive ranges, sorted and disjoint."""

MAX_UNIT: Final = 0x10FFFF
WORD: Final[Ranges] = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
DIGIT: Final[Ranges] = ((0x30, 0x39),)
SPACE: Final[Ranges] = (
    (0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF),
)  # fmt: skip
LINE_TERMINATORS: Final[Ranges] = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))

JS_WHITESPACE: Final = SPACE
"""The code-point ranges JavaScript's ``\\s`` and ``String.prototype.trim`` treat as whitespace."""


def utf16(text: str) -> str:
    """``text`` as JavaScript sees it: characters above U+FFFF as surrogate pairs."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    return "".join(c if c <= "\uffff" else chr(0xD7C0 + (ord(c) >> 10)) + chr(0xDC00 + (ord(c) & 0x3FF)) for c in text)


def complement(ranges: Ranges) -> Ranges:
    """Every code point outside ``ranges`` (sorted, disjoint)."""
    out, low = [], 0
    for first, last in ranges:
        if first > low:
            out.append((low, first - 1))
        low = last + 1
    return (*out, (low, MAX_UNIT)) if low <= MAX_UNIT else tuple(out)


def merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """The ranges sorted, overlapping and adjacent ones merged."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def meet(a: Ranges, b: Ranges) -> Ranges:
    """The code units in both."""
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low <= high:
            out.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def contains(ranges: Ranges, code: int) -> bool:
    """Whether ``code`` is in ``ranges``."""
    for low, high in ranges:
        if code <= high:
            return code >= low
    return False
