"""The package's logger, and a log of repeated failures that cannot flood it."""

from __future__ import annotations

import logging
from typing import Final

__all__ = ["FailureLog", "logger"]

logger = logging.getLogger("asgi_withauth")


class FailureLog:
    """Logs a failure of app code (a callback, a response) with its traceback the first time
    each kind is seen, then as one short line: requests can repeat a failure at will (a token
    whose claims a callback does not expect), and must not flood the log with tracebacks."""

    _MAX_KINDS: Final = 64

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def log(self, message: str, exc: BaseException) -> None:
        kind = (message, type(exc).__qualname__)
        if kind in self._seen or len(self._seen) >= self._MAX_KINDS:
            logger.warning(
                "%s: %s: %r (the traceback was logged the first time)", message, type(exc).__name__, _short(exc)
            )
            return
        self._seen.add(kind)
        logger.error("%s", message, exc_info=exc)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."
