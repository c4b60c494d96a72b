"""The session both benchmarks decode: the secret, a typical user's claims, a browser's cookies."""

from __future__ import annotations

from typing import Any, Final

from asgi_withauth import jwt
from asgi_withauth._request.cookies import session_cookie_name

SECRET: Final = "benchmark-secret-0123456789abcdef0123456789abcdef"

USER_CLAIMS: Final = {
    "name": "Ada Lovelace",
    "email": "ada.lovelace@example.com",
    "picture": "https://avatars.example.com/u/1815?v=4&s=460",
    "sub": "a3f1c2d4-5b6e-4f70-8a91-b2c3d4e5f607",
}
"""What next-auth puts in a session for a signed-in user (``iat``, ``exp``, ``jti`` come on encoding)."""


def session_token(*, now: int) -> tuple[str, dict[str, Any]]:
    """A next-auth v4 session token with the claims of a typical session (~300 B), and its claims."""
    token = jwt.encode({**USER_CLAIMS, "role": "member", "session_version": 1}, SECRET, version=4, now=now)
    return token, jwt.decode(token, SECRET, version=4, now=now)


def cookie_header(token: str) -> str:
    """What a browser sends after a next-auth sign-in: csrf and callback-url cookies too."""
    return "; ".join(
        [
            "next-auth.csrf-token=" + "3f" * 32 + "%7C" + "a1" * 32,
            "next-auth.callback-url=http%3A%2F%2F127.0.0.1%3A3000%2Fapp%2Fdashboard",
            f"{session_cookie_name(version=4)}={token}",
        ]
    )
