"""next-auth's withAuth, getToken and getServerSession for any ASGI app."""

from .errors import ConfigurationError, MissingSecretError
from .jwt import JWTError
from .matcher import Matcher, RequestFacts
from .middleware import Rule, WithAuth
from .paths import PathPolicy
from .session import ServerSession, get_server_session, load_server_session
from .token import TokenReader, get_token, nextauth_token

__all__ = [
    "ConfigurationError",
    "JWTError",
    "Matcher",
    "MissingSecretError",
    "PathPolicy",
    "RequestFacts",
    "Rule",
    "ServerSession",
    "TokenReader",
    "WithAuth",
    "get_server_session",
    "get_token",
    "load_server_session",
    "nextauth_token",
]
__version__ = "0.1.0"
