"""``WithAuth``, next-auth's withAuth as a pure ASGI middleware: rules, replies, the middleware."""

from .rules import AuthorizedCallback, Deny, Rule
from .withauth import WithAuth

__all__ = ["AuthorizedCallback", "Deny", "Rule", "WithAuth"]
