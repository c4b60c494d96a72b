"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import pytest

from tests.nodebridge import nextauth_bridge

__all__ = ["nextauth_bridge"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
