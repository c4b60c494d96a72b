"""What the harnesses share: reading structured input from fuzzer bytes, running a coroutine
that never suspends, and starting atheris.

Nothing here imports asgi_withauth, so that a harness can import it under
:func:`instrumented` and atheris sees the package's code.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["Crash", "Reader", "chunk_bytes", "drive", "fuzz_main", "instrumented"]

T = TypeVar("T")


class Crash(AssertionError):
    """An oracle failed: the input made the code under test do something it must not."""


class Reader:
    """Structured values taken off the front of the fuzzer's bytes; past the end every
    value is zero or empty, so any input, even empty, is a valid one."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def flag(self) -> bool:
        return self.byte() & 1 == 1

    def pick(self, options: Sequence[T]) -> T:
        return options[self.byte() % len(options)]

    def chunk(self) -> bytes:
        """A length-prefixed run of bytes: one length byte, or 255 then two bytes (big-endian)."""
        size = self.byte()
        if size == 255:
            size = self.byte() << 8 | self.byte()
        out = self.data[self.pos : self.pos + size]
        self.pos += len(out)
        return out

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out

    @property
    def exhausted(self) -> bool:
        return self.pos >= len(self.data)


def chunk_bytes(data: bytes) -> bytes:
    """``data`` as :meth:`Reader.chunk` reads it back (for writing seeds)."""
    if len(data) < 255:
        return bytes([len(data)]) + data
    return bytes([255, len(data) >> 8 & 0xFF, len(data) & 0xFF]) + data[:0xFFFF]


def drive(awaitable: Awaitable[T]) -> T:
    """The result of a coroutine that completes without suspending (asgi_withauth's JWT paths
    never wait for I/O): no event loop per input, which would cost more than the code tested."""
    coro: Coroutine[Any, Any, T] = awaitable  # type: ignore[assignment]
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("the coroutine suspended: the harness cannot run it without an event loop")


def _atheris() -> Any:
    return importlib.import_module("atheris")


@contextlib.contextmanager
def instrumented(enabled: bool) -> Iterator[None]:
    """Instrument asgi_withauth's modules imported inside the block when ``enabled`` (the
    harness runs as a script); a plain import otherwise (pytest, no atheris needed)."""
    if not enabled:
        yield
        return
    with _atheris().instrument_imports(include=["asgi_withauth"]):
        yield


def fuzz_main(check: Callable[[bytes], None]) -> None:
    """Run ``check`` under libFuzzer with the command line's arguments."""
    atheris = _atheris()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()
