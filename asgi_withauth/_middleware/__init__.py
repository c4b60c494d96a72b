"""``WithAuth``, next-auth's withAuth as a pure ASGI middleware: rules, replies, the middleware."""

from .crosssite import CrossSiteMiddleware
from .rules import AuthorizedCallback, Deny, Rule
from .withauth import WithAuth

__all__ = ["AuthorizedCallback", "CrossSiteMiddleware", "Deny", "Rule", "WithAuth"]
