"""next-auth's withAuth, getToken and getServerSession for any ASGI app."""

from ._matcher import Matcher, RequestFacts
from ._middleware import Rule, WithAuth
from ._request.paths import PathPolicy
from ._server_session import get_server_session, load_server_session
from ._token import get_token, nextauth_token
from .errors import ConfigurationError, JWTError, MissingSecretError, WithAuthError
from .options import AuthOptions
from .sessions import ServerSession, SessionStrategy, TokenReader

__all__ = [
    "AuthOptions",
    "ConfigurationError",
    "JWTError",
    "Matcher",
    "MissingSecretError",
    "PathPolicy",
    "RequestFacts",
    "Rule",
    "ServerSession",
    "SessionStrategy",
    "TokenReader",
    "WithAuth",
    "WithAuthError",
    "get_server_session",
    "get_token",
    "load_server_session",
    "nextauth_token",
]
__version__ = "0.1.0"
