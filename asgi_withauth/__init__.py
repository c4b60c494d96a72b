"""next-auth's withAuth, getToken and getServerSession for any ASGI app."""

from ._matcher import Matcher, RequestFacts
from ._middleware import CrossSiteMiddleware, Rule, WithAuth
from ._request.paths import PathPolicy
from ._server_session import (
    get_server_session,
    load_server_session,
    load_updated_session,
    sign_out,
    update_session,
)
from ._session_route import SessionRoute
from ._token import get_token, nextauth_token
from .crosssite import CrossSiteProtection
from .errors import ConfigurationError, JWTError, MissingSecretError, SessionUpdateError, WithAuthError
from .options import AuthOptions
from .requirements import Requirement, current, require
from .sessions import ServerSession, SessionStrategy, TokenReader

__all__ = [
    "AuthOptions",
    "ConfigurationError",
    "CrossSiteMiddleware",
    "CrossSiteProtection",
    "JWTError",
    "Matcher",
    "MissingSecretError",
    "PathPolicy",
    "RequestFacts",
    "Requirement",
    "Rule",
    "ServerSession",
    "SessionRoute",
    "SessionStrategy",
    "SessionUpdateError",
    "TokenReader",
    "WithAuth",
    "WithAuthError",
    "current",
    "get_server_session",
    "get_token",
    "load_server_session",
    "load_updated_session",
    "nextauth_token",
    "require",
    "sign_out",
    "update_session",
]
__version__ = "0.1.0"
