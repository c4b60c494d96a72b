"""has/missing conditions and RequestFacts (asgi_withauth._matcher.facts) against Next.js 15.

The bridge ops (interop/ops_matcher.mjs) run Next's getMiddlewareRouteMatcher with matchHas,
and build the request the way Node and Next's router server see it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from asgi_withauth._matcher import Matcher, RequestFacts
from tests.nodebridge import NodeBridge

CONDITIONS: list[dict[str, Any]] = [
    {"has": [{"type": "header", "key": "x-flag"}]},
    {"has": [{"type": "header", "key": "X-Flag", "value": "on"}]},
    {"has": [{"type": "header", "key": "x-flag", "value": "on|off"}]},
    {"has": [{"type": "header", "key": "x-flag", "value": "(?:on|off)"}]},
    {"has": [{"type": "header", "key": "x-flag", "value": ""}]},
    {"has": [{"type": "header", "key": "x-flag", "value": "on, .*"}]},
    {"missing": [{"type": "header", "key": "x-flag"}]},
    {"missing": [{"type": "header", "key": "x-flag", "value": "off"}]},
    {"has": [{"type": "header", "key": "user-agent", "value": "bot.*"}]},
    {"has": [{"type": "cookie", "key": "session"}]},
    {"has": [{"type": "cookie", "key": "session", "value": "abc"}]},
    {"has": [{"type": "cookie", "key": "session", "value": ".*"}]},
    {"has": [{"type": "cookie", "key": "Session"}]},
    {"missing": [{"type": "cookie", "key": "session"}]},
    {"has": [{"type": "query", "key": "a"}]},
    {"has": [{"type": "query", "key": "a", "value": "1"}]},
    {"has": [{"type": "query", "key": "a", "value": "2"}]},
    {"has": [{"type": "query", "key": "a", "value": ".*"}]},
    {"has": [{"type": "query", "key": "a", "value": "."}]},
    {"has": [{"type": "query", "key": "a", "value": ".{2}"}]},
    {"has": [{"type": "query", "key": "a", "value": "é"}]},
    {"has": [{"type": "query", "key": "a", "value": "\\s+"}]},
    {"missing": [{"type": "query", "key": "a"}]},
    {"has": [{"type": "host", "value": "example\\.com"}]},
    {"has": [{"type": "host", "value": "(?<sub>[a-z]+)\\.example\\.com"}]},
    {"has": [{"type": "host", "value": "\\["}]},
    {"has": [{"type": "header", "key": "user-agent", "value": ".*bot.*"}]},  # the automaton from here on
    {"has": [{"type": "query", "key": "a", "value": "(1|1)*"}]},
    {"missing": [{"type": "cookie", "key": "session", "value": "(.*)(.*)c"}]},
    {"has": [{"type": "header", "key": "x-flag", "value": "o.*|(?!x).*n"}]},
    {
        "has": [{"type": "header", "key": "x-flag"}, {"type": "query", "key": "a"}],
        "missing": [{"type": "cookie", "key": "session"}],
    },
    {"has": [], "missing": []},
]

REQUESTS: list[dict[str, Any]] = [
    {},
    {"headers": [["x-flag", "on"]]},
    {"headers": [["X-Flag", "ON"]]},
    {"headers": [["x-flag", ""]]},
    {"headers": [["x-flag", "off"]]},
    {"headers": [["x-flag", "on"], ["x-flag", "off"]]},
    {"headers": [["x-flag", "xon"]]},
    {"headers": [["user-agent", "bot/1"], ["user-agent", "other"]]},
    {"headers": [["cookie", "session=abc"]]},
    {"headers": [["cookie", "session="]]},
    {"headers": [["cookie", "session=a; session=abc"]]},
    {"headers": [["cookie", "x=1"], ["cookie", "session=abc"]]},
    {"headers": [["cookie", 'session="abc"']]},
    {"headers": [["cookie", "session=%61bc"]]},
    {"headers": [["cookie", "session=%zz"]]},
    {"headers": [["cookie", "Session=abc"]]},
    {"headers": [["cookie", " session = abc ;other"]]},
    {"query": "a=1"},
    {"query": "a="},
    {"query": "a"},
    {"query": "a=1&a=2"},
    {"query": "a=2&a=1"},
    {"query": "a=&a="},
    {"query": "a=x+y"},
    {"query": "a=%41"},
    {"query": "a=%0a"},
    {"query": "a=%C3%A9"},
    {"query": "a=%F0%9F%98%80"},
    {"query": "a=%20%09"},
    {"query": "a=%zz"},
    {"query": "a=%zz%C3%A9%C3&a%5B%5D=%C3%28"},
    {"query": "a=1;a=2&%61=3"},
    {"query": "a=%ED%A0%80&a==x=y"},
    {"query": "b=1"},
    {"query": "&&a=1&"},
    {"headers": [["host", "example.com"]]},
    {"headers": [["host", "Example.COM:8080"]]},
    {"headers": [["host", "api.example.com"]]},
    {"headers": [["host", "[::1]:3000"]]},
    {"headers": [["host", ""]]},
    {"headers": [["host", "example.com"], ["host", "evil.com"]]},
    {"headers": [["x-flag", "on"], ["host", "example.com"]], "query": "a=1"},
    {"headers": [["x-flag", "on"], ["cookie", "session=abc"]], "query": "a=1"},
]


def _scope(request: dict[str, Any], path: str = "/p") -> dict[str, Any]:
    headers = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in request.get("headers", [])]
    return {"type": "http", "path": path, "query_string": request.get("query", "").encode("latin-1"),
            "headers": headers}  # fmt: skip


@pytest.mark.parametrize("conditions", CONDITIONS, ids=lambda c: json.dumps(c)[:80])
def test_conditions_match_next(nextauth_bridge: NodeBridge, conditions: dict[str, Any]) -> None:
    spec = [{"source": "/p/:path*", **conditions}]
    requests = [{**r, "path": path} for r in REQUESTS for path in ("/p", "/q")]
    reply = nextauth_bridge.call("nextMatcher", version=4, matcher=spec, requests=requests)
    m = Matcher(spec)
    assert m.needs_facts is bool(conditions.get("has") or conditions.get("missing"))
    for request, want in zip(requests, reply["requests"], strict=True):
        assert isinstance(want, bool), want
        assert m.match(request["path"], RequestFacts.from_scope(_scope(request))) is want, request


def test_request_facts_match_node(nextauth_bridge: NodeBridge) -> None:
    replies = nextauth_bridge.call("nextRequestFacts", version=4, requests=REQUESTS)
    for request, node in zip(REQUESTS, replies, strict=True):
        facts = RequestFacts.from_scope(_scope(request))
        headers = {k: v[-1] if isinstance(v, list) else v for k, v in node["headers"].items()}
        assert dict(facts.headers) == headers, request
        assert dict(facts.cookies) == node["cookies"], request
        query = {k: [v] if isinstance(v, str) else v for k, v in node["query"].items()}
        assert {k: list(v) for k, v in facts.query.items()} == query, request
        assert facts.host == (node["host"] or ""), request


# --- pure Python ---------------------------------------------------------------------------------


def test_query_facts_use_the_last_value_and_strings_are_accepted() -> None:
    m = Matcher({"source": "/p", "has": [{"type": "query", "key": "a", "value": "2"}]})
    assert m.match("/p", RequestFacts(query={"a": ["1", "2"]}))
    assert not m.match("/p", RequestFacts(query={"a": ["2", "1"]}))
    assert not m.match("/p", RequestFacts(query={"a": []}))
    assert m.match("/p", RequestFacts(query={"a": "2"}))  # a str is one value, not characters


def test_request_facts_is_frozen() -> None:
    facts = RequestFacts(host="example.com")
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.host = "evil.com"  # type: ignore[misc]
    assert RequestFacts().headers == {}


def test_request_facts_from_scope_details() -> None:
    facts = RequestFacts.from_scope(
        {
            "headers": [(b"Host", b"Example.com:80"), (b"x-a", b"1"), (b"X-A", b"2"), (b"cookie", b"a=1; b=%E9")],
            "query_string": b"q=a+b&q=%C3%A9&r",
        }
    )
    assert facts.headers == {"host": "Example.com:80", "x-a": "1, 2", "cookie": "a=1; b=%E9"}
    assert facts.cookies == {"a": "1", "b": "%E9"}  # malformed UTF-8: left as is, like the cookie package
    assert facts.query == {"q": ["a b", "é"], "r": [""]}
    assert facts.host == "example.com"
    assert RequestFacts.from_scope({"type": "http"}) == RequestFacts()
