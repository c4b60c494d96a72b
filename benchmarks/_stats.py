"""Statistics shared by the benchmarks: interleaved rounds, per-round ratios, medians and spreads.

Both benchmarks time their contenders in rounds: every round samples each contender once,
those of one group back to back in an order rotated by one each round, so that two
contenders compared with each other are always measured a few milliseconds apart and a burst
of machine noise hits both or neither. A ratio is then taken per round (a contender's sample
over its baseline's sample of the same round) before the median over rounds.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import statistics
from collections.abc import Iterator, Sequence
from typing import Literal, TypeVar

T = TypeVar("T")

Method = Literal["inclusive", "exclusive"]


def rotated(items: Sequence[T], start: int) -> Iterator[T]:
    """``items`` from index ``start`` (modulo their number) round to where it began."""
    start %= len(items)
    return itertools.chain(items[start:], items[:start])


@contextlib.contextmanager
def gc_off() -> Iterator[None]:
    """The garbage collector collected once, then off until the block ends (as it was before)."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def interleaved_rounds(groups: Sequence[Sequence[T]], rounds: int, *, collector: bool = False) -> Iterator[T]:
    """The order in which to sample: ``rounds`` times, every group's items back to back,
    rotated by one more each round. The caller takes one sample of each item it yields.
    The garbage collector collects before each round, and is off while the rounds run
    unless ``collector`` (a server runs with it on: its cost is part of a request's)."""
    with contextlib.nullcontext() if collector else gc_off():
        for index in range(rounds):
            gc.collect()
            for group in groups:
                yield from rotated(group, index)


def per_round_ratios(samples: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """``samples[i] / baseline[i]``: each sample over its baseline's sample of the same round."""
    return [mine / base for mine, base in zip(samples, baseline, strict=True)]


def per_round_differences(samples: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """``samples[i] - baseline[i]``: what a contender adds to its baseline, round by round."""
    return [mine - base for mine, base in zip(samples, baseline, strict=True)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quartiles(values: Sequence[float], *, method: Method = "inclusive") -> tuple[float, float, float]:
    """First quartile, median, third quartile (``statistics.quantiles``'s ``method``)."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method=method)
    return q1, q2, q3


def spread(values: Sequence[float], *, digits: int = 3) -> str:
    """``lowest-highest``, or ``-`` for a single value."""
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}" if len(values) > 1 else "-"


def ratio_text(ratio: float, *, digits: int = 3) -> str:
    """A ratio to the baseline as the tables print it: ``1.234x``."""
    return f"{ratio:.{digits}f}x"
