"""WithAuth's rules: which paths, who may enter, and what the others get."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp

from .._matcher import Matcher, MatcherSpec

__all__ = [
    "AuthorizedCallback",
    "CompiledRule",
    "Deny",
    "Route",
    "Rule",
    "call_authorized",
    "compile_rule",
    "has_token",
]

logger = logging.getLogger("asgi_withauth")

AuthorizedResult: TypeAlias = "bool | ASGIApp | None"
AuthorizedCallback: TypeAlias = Callable[
    [dict[str, Any] | None, HTTPConnection], "AuthorizedResult | Awaitable[AuthorizedResult]"
]
"""``authorized(token, request)``, sync or async. ``True`` allows; ``False`` and ``None``
deny; a response (any ASGI app, e.g. a Starlette ``Response``) is sent as is; any other
value denies and logs a warning."""

Deny: TypeAlias = "Literal['redirect', 'status', 401, 403] | ASGIApp"
"""What a denied request gets: ``"redirect"`` to the sign-in page (next-auth's behaviour),
``"status"`` (401 without a token, 403 with one), a fixed 401 or 403, or your own ASGI app."""

EVERY_PATH = "(every path)"
"""The matcher of Next.js's default without ``config.matcher``: every path."""


@dataclass(frozen=True)
class Rule:
    """One protected area: paths, who may enter, and what the others get.

    Rules are tried in order and the first whose ``matcher`` matches applies.
    ``authorized`` defaults to "has a valid token"; ``public=True`` lets matched
    requests through unchecked; ``sign_in_page`` overrides the global one.

    A protecting rule's matcher is matched as Next.js matches ``config.matcher``, with the
    forms Next adds to each source (``/_next/data/<id>`` before it, ``.json``/``.rsc`` after
    it, ``/index`` for ``/``): each added form protects more. A public rule's matcher is
    matched exactly as written, since each added form would open more: ``/login`` opens
    ``/login`` (and ``/login/``), never ``/login.json`` or ``/index``.
    """

    matcher: MatcherSpec
    authorized: AuthorizedCallback | None = None
    deny: Deny = "redirect"
    sign_in_page: str | None = None
    public: bool = False


@dataclass(frozen=True)
class CompiledRule:
    index: int
    matcher: Matcher | None  # None: every path, Next.js's default without config.matcher
    rule: Rule


class Route:
    """What a request path decides, memoised by WithAuth per (path, raw path, root path): the
    matching rules, whether the path passes unchecked, and ``plain_rule``: when every
    protecting rule among them uses the default check (a token or not), the first of them
    (whose ``deny`` answers a request without a token), else None."""

    __slots__ = ("matched", "plain_rule", "unchecked")

    def __init__(self, matched: list[CompiledRule], unchecked: bool) -> None:
        self.matched = matched
        self.unchecked = unchecked
        first: Rule | None = None
        for compiled in matched:  # a loop, not comprehensions: this runs for every new path
            rule = compiled.rule
            if not rule.public:
                if rule.authorized is not has_token:
                    first = None
                    break
                if first is None:
                    first = rule
        self.plain_rule = first


def has_token(token: dict[str, Any] | None, request: HTTPConnection) -> bool:
    """The default ``authorized``: a valid token is enough."""
    return token is not None


def compile_rule(index: int, rule: Rule, default_authorized: AuthorizedCallback | None) -> CompiledRule:
    """``rule`` with its matcher compiled and ``authorized`` filled in."""
    matcher = None if rule.matcher is EVERY_PATH else Matcher(rule.matcher, exact=rule.public)
    if rule.authorized is None:
        rule = replace(rule, authorized=default_authorized or has_token)
    return CompiledRule(index, matcher, rule)


async def call_authorized(rule: Rule, token: dict[str, Any] | None, conn: HTTPConnection) -> Any:
    """The verdict of ``rule.authorized``: True, False, None or a response (anything else
    is logged and counts as False)."""
    assert rule.authorized is not None
    verdict = rule.authorized(token, conn)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    if verdict is True or verdict is False or verdict is None or is_asgi_app(verdict):
        return verdict
    logger.warning(
        "authorized returned %s; return True or False (or a response). Denying the request.", type(verdict).__name__
    )
    return False


def is_asgi_app(value: Any) -> bool:
    """Whether ``value`` can be called as an ASGI app, ``app(scope, receive, send)``: a
    Starlette response, or a non-class callable taking those three arguments."""
    if isinstance(value, Response):
        return True
    if not callable(value) or inspect.isclass(value):
        return False
    try:
        inspect.signature(value).bind(None, None, None)
    except (TypeError, ValueError):
        return False
    return True
