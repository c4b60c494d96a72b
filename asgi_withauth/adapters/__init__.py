"""Session adapters: next-auth's database strategy reads Auth.js adapters' tables through these."""

from __future__ import annotations

from asgi_withauth.adapters.base import AdapterSession, AdapterUser, SessionAdapter
from asgi_withauth.errors import AdapterError

__all__ = ["AdapterError", "AdapterSession", "AdapterUser", "SessionAdapter"]
