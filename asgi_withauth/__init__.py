"""next-auth's withAuth, getToken and getServerSession for any ASGI app."""

from .errors import ConfigurationError, MissingSecretError
from .jwt import JWTError
from .matcher import Matcher, RequestFacts
from .middleware import Rule, WithAuth
from .token import TokenReader, get_token

__all__ = [
    "ConfigurationError",
    "JWTError",
    "Matcher",
    "MissingSecretError",
    "RequestFacts",
    "Rule",
    "TokenReader",
    "WithAuth",
    "get_token",
]
__version__ = "0.1.0"
