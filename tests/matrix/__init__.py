"""The path matrix: one small app per framework, each behind the same ``WithAuth``.

Every app has the same routes (``ROUTES``): public ones, and protected ones whose handlers
answer a body containing ``PROTECTED:<route>`` (and the path the framework saw), so a
response that reached a protected handler is recognisable whatever its status. Handlers
with a path parameter accept any segment value (``..`` included), and HTTP handlers accept
every method where the framework lets them (a CORS preflight reaching one is a bypass).

``tests/test_path_matrix.py`` serves each app with real servers and sends hostile request
targets over raw sockets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from asgi_withauth import Rule, WithAuth

SECRET: Final = "path-matrix-secret"
MATCHER: Final = ["/admin/:path*", "/api/:path*", "/ws/:path*"]
ROOT_PATH: Final = "/base"
PROTECTED: Final = "PROTECTED:"
PUBLIC: Final = "PUBLIC:"
METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""What the protected HTTP handlers accept: everything, so nothing is refused for its method."""

PUBLIC_ROUTES: Final = {"home": "/", "users": "/users", "pub": "/pub/{x}"}
PROTECTED_ROUTES: Final = {
    "admin": "/admin",
    "admin-section": "/admin/{section}",
    "admin-secret": "/admin/{section}/secret",
    "api-users": "/api/{version}/users",
}
PROTECTED_SOCKETS: Final = {"ws-admin": "/ws/admin", "ws-room": "/ws/{room}/admin"}
"""Routes by name, in Starlette's syntax; each app spells them in its framework's."""


def body(kind: str, route: str, scope: Mapping[str, Any]) -> str:
    """What a handler answers: its marker, then what the framework was given (for the report)."""
    return f"{kind}{route} path={scope.get('path')!r} root_path={scope.get('root_path')!r}"


def protect(app: Any) -> WithAuth:
    """The one configuration every app of the matrix is served with."""
    return WithAuth(app, secret=SECRET, matcher=MATCHER, rules=[Rule("/api/:path*", deny="status")])
