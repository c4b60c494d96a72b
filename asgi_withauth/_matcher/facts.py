"""``has``/``missing`` conditions, and :class:`RequestFacts`, what they look at.

Next.js checks them with ``shared/lib/router/utils/prepare-destination.js`` ``matchHas``: a
header, cookie or query value (or the host) must be present and non-empty, and match the
condition's value as ``new RegExp("^" + value + "$")`` would (:class:`~.jsregex.JsRegex`, in
linear time).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple
from urllib.parse import parse_qsl

from .._request.cookies import decode_uri_component
from .jsregex import JS_WHITESPACE, JsRegex, utf16

__all__ = ["Condition", "RequestFacts", "conditions", "holds"]

# Node keeps the first of these when a request repeats them; other headers are joined.
_NODE_SINGLE_HEADERS: Final = frozenset({
    "content-type", "content-length", "user-agent", "referer", "host", "authorization", "proxy-authorization",
    "if-modified-since", "if-unmodified-since", "from", "location", "max-forwards", "retry-after", "etag",
    "last-modified", "server", "age", "expires",
})  # fmt: skip
_JS_TRIM: Final = "".join(chr(c) for a, b in JS_WHITESPACE for c in range(a, b + 1))


@dataclass(frozen=True)
class RequestFacts:
    """What ``has``/``missing`` conditions look at, as Next.js sees them.

    ``headers``: lowercase names; repeats joined as Node does. ``cookies``: first one wins.
    ``query``: every value of each parameter, in order. ``host``: the Host header before the
    first ``:``, lowercased. :meth:`from_scope` builds all four the way Next does.
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    host: str = ""

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> RequestFacts:
        """Facts from an ASGI scope, built the way Next's router server sees them.

        Headers are joined the way Node's ``IncomingMessage`` joins them (``, ``, or ``; `` for
        Cookie; some headers keep only the first; the last Set-Cookie). Cookies are parsed like
        the ``cookie`` package Next uses. The query is parsed like Node's ``querystring`` (without
        its 1000-key cap). ``host`` is cut at the first ``:`` as Next does, so ``[::1]:3000``
        gives ``[``.
        """
        values: dict[str, list[str]] = {}
        for raw_name, raw_value in scope.get("headers") or ():
            name, value = bytes(raw_name).decode("latin-1").lower(), bytes(raw_value).decode("latin-1")
            if name not in values or name == "set-cookie":
                values[name] = [value]
            elif name not in _NODE_SINGLE_HEADERS:
                values[name].append(value)  # joined once below: linear in the number of repeats
        headers = {name: ("; " if name == "cookie" else ", ").join(parts) for name, parts in values.items()}
        cookies: dict[str, str] = {}
        for part in re.split("; *", headers.get("cookie", "")):
            name, eq, value = part.partition("=")
            name, value = name.strip(_JS_TRIM), value.strip(_JS_TRIM)
            if eq and name not in cookies:
                value = value[1:-1] if value.startswith('"') else value
                decoded = decode_uri_component(value) if "%" in value else None
                cookies[name] = value if decoded is None else decoded
        query: dict[str, list[str]] = {}
        raw_query = bytes(scope.get("query_string") or b"").decode("latin-1")
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        host = headers.get("host", "").split(":", 1)[0].lower()
        return cls(headers=headers, cookies=cookies, query=query, host=host)


class Condition(NamedTuple):
    """One ``has``/``missing`` item: where to look, and the value's regex (``search``)."""

    kind: str
    key: str
    search: Callable[[str], bool] | None  # None: presence only


_CONDITION_KEYS: Final = {
    "header": {"type", "key", "value"},
    "cookie": {"type", "key", "value"},
    "query": {"type", "key", "value"},
    "host": {"type", "value"},
}


def _condition(item: object) -> Condition:
    if not isinstance(item, Mapping):
        raise ValueError("each item must be a dict such as {'type': 'header', 'key': 'x-flag', 'value': 'on'}")
    kind = item.get("type")
    if kind not in _CONDITION_KEYS:
        raise ValueError(f"type must be 'header', 'cookie', 'query' or 'host', got {kind!r}")
    if extra := set(item) - _CONDITION_KEYS[kind]:
        hint = " (a host condition has only a value: a regex for the hostname)" if kind == "host" else ""
        raise ValueError(f"unknown keys {sorted(map(str, extra))} in a {kind} condition{hint}")
    key, value = item.get("key", ""), item.get("value", "")
    if kind == "host" and not item.get("value"):  # Next throws on "" (getSafeParamName(undefined))
        raise ValueError("host must have a value (a regex for the hostname; Next.js fails on an empty one)")
    if not isinstance(key, str) or (kind != "host" and "key" not in item):
        raise ValueError("key is required when type is header, query or cookie, and must be a string")
    if not isinstance(value, str):
        raise ValueError(f"value must be a string, got {value!r}")
    try:  # Next: new RegExp("^" + value + "$"), tested with String.prototype.match
        search = JsRegex(utf16(f"^{value}$"), search=True).matches if value else None
    except ValueError as exc:
        raise ValueError(f"value {value!r}: {exc}") from None
    return Condition(kind, key.lower() if kind == "header" else key, search)


def conditions(items: object, what: str) -> tuple[Condition, ...]:
    """A matcher's ``has`` or ``missing`` list (``what`` names it in errors), checked and compiled."""
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"{what} must be a list of conditions")
    try:
        return tuple(_condition(item) for item in items)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def holds(cond: Condition, facts: RequestFacts) -> bool:
    """``matchHas`` for one condition: absent or empty values never hold."""
    value: str | Sequence[str] | None
    if cond.kind == "header":
        value = facts.headers.get(cond.key)
    elif cond.kind == "cookie":
        value = facts.cookies.get(cond.key)
    elif cond.kind == "query":
        value = facts.query.get(cond.key)
        if value is not None and not isinstance(value, str):  # one value: a string; more: an array
            value = value[0] if len(value) == 1 else value or None
    else:
        value = facts.host
    if not value:
        return False
    if cond.search is None:
        return True
    return cond.search(utf16(value if isinstance(value, str) else value[-1]))
