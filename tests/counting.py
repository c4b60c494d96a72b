"""Count the tokens the built-in codec decodes: every decode goes through ``TokenReader.decode_as``
(the cache, ``decode_sync``, ``get_server_session``)."""

from __future__ import annotations

from typing import Any

import pytest

from asgi_withauth.token import TokenReader


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch ``TokenReader.decode_as`` for the test; the list fills with each decoded token."""
    calls: list[str] = []
    real = TokenReader.decode_as

    def counting(self: TokenReader, token: str, source: Any, *, now: float | None = None) -> Any:
        calls.append(token)
        return real(self, token, source, now=now)

    monkeypatch.setattr(TokenReader, "decode_as", counting)
    return calls
