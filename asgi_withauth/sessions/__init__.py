"""Where sessions come from: next-auth's session strategies behind one interface.

:class:`SessionStrategy` is what WithAuth, get_token, get_server_session and the
integrations use; :class:`JwtSessions` is next-auth's ``jwt`` strategy (the encrypted
session cookie), :class:`DatabaseSessions` its ``database`` strategy (an adapter's tables).
:func:`sessions_for` gives the strategy of an options object, built once per object and
kept only as long as the object lives.
"""

from __future__ import annotations

import weakref
from typing import Final

from ..options import AuthOptions
from .base import PENDING, FoundToken, ServerSession, SessionStrategy, TokenSource
from .database import DatabaseSessions
from .jwt import JwtSessions
from .reader import TokenReader

__all__ = [
    "PENDING",
    "DatabaseSessions",
    "FoundToken",
    "JwtSessions",
    "ServerSession",
    "SessionStrategy",
    "TokenReader",
    "TokenSource",
    "sessions_for",
]

# Keyed by the options object itself (compared by identity): a strategy, with the keys it
# derived and the tokens it cached, lives exactly as long as the options it was built from.
_STRATEGIES: Final[weakref.WeakKeyDictionary[AuthOptions, SessionStrategy]] = weakref.WeakKeyDictionary()


def sessions_for(options: AuthOptions) -> SessionStrategy:
    """The session strategy for ``options``: one per options object (keys derived once)."""
    strategy = _STRATEGIES.get(options)
    if strategy is None:
        kind = DatabaseSessions if options.resolved_strategy == "database" else JwtSessions
        strategy = _STRATEGIES[options] = kind(options)
    return strategy
