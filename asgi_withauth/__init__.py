"""next-auth's withAuth, getToken and getServerSession for any ASGI app."""

from .errors import ConfigurationError, MissingSecretError
from .jwt import JWTError
from .token import TokenReader, get_token

__all__ = ["ConfigurationError", "JWTError", "MissingSecretError", "TokenReader", "get_token"]
__version__ = "0.1.0"
