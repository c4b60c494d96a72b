"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

from typing import Any

import pytest

from asgi_withauth.sessions import TokenReader
from tests.nodebridge import nextauth_bridge

__all__ = ["nextauth_bridge"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token the built-in codec decodes during the test: each decode goes through
    ``TokenReader.decode_as`` (the cache, ``decode_sync``, ``get_server_session``)."""
    calls: list[str] = []
    real = TokenReader.decode_as

    def counting(self: TokenReader, token: str, source: Any, *, now: float | None = None) -> Any:
        calls.append(token)
        return real(self, token, source, now=now)

    monkeypatch.setattr(TokenReader, "decode_as", counting)
    return calls


from tests.pg import pg_database, pg_server  # noqa: E402, F401  (PostgreSQL fixtures)
