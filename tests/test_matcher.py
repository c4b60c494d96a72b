"""Next.js middleware matchers: asgi_withauth.matcher against the real Next.js 15 code.

The bridge ops (interop/ops_matcher.mjs) run Next's own getMiddlewareMatchers,
getMiddlewareRouteMatcher (with matchHas) and tryToParsePath, path-to-regexp 6.3.0, and
plain ``new RegExp``; every table here is compared with them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_withauth import jsregex
from asgi_withauth import matcher as matcher_module
from asgi_withauth.matcher import (
    MAX_PATH_LENGTH,
    Matcher,
    MatcherSet,
    PathTooLongError,
    RequestFacts,
    compile_source,
    next_regexp,
)
from tests.nodebridge import NodeBridge, NodeBridgeError

# --- tables ------------------------------------------------------------------------------------

SOURCES = [
    "/",
    "/about",
    "/about/",
    "/admin/:path*",
    "/admin/:path+",
    "/admin/:path?",
    "/admin/:id",
    "/admin/:id(\\d+)",
    "/admin/:id(\\d{1,3})?",
    "/((?!api|_next/static|_next/image|favicon.ico).*)",
    "/((?!_next).*)",
    "/(.*)",
    "/:path*",
    "/:path(.*)",
    "/api/:path*",
    "/blog/:slug/edit",
    "/shop/:category/:item?",
    "/files/:name.:ext",
    "/:a-:b",
    "/:lang(en|fr)/docs",
    "/:locale(de|en)?/about",
    "/docs{/:section}?",
    "/x{-:y}*",
    "/(a|b)*",
    "/user{s}?",
    "/dashboard/(.*)",
    "/(.*)/edit",
    "/:a*/:b",
    "/:page\\.html",
    "/a\\+b",
    "/%61dmin",
    "/ADMIN/:path*",
    "/([\\s\\S]*)",
    "/(\\w+)",
    "/(\\d+)/(\\D+)",
    "/(\\S+)",
    "/(\\s)",
    "/((?=a).*)",
    "/((?<=\\/)x)",
    "/((?<name>x|y)z)",
    "/(caf\\u00e9)",
    "/(é+)",
    "/(\\x41)",
    "/(.{2})",
    "/(\\bx\\b.*)",
    "/(\\Bx.*)",
    "/(\\$)",
    "/([a-z-]+)",
    "/([\\d-z]+)",
    "/([^]*)",
    "/([])",
    "/(\\cJ)",
    "/(\\0)",
    "/(\\t|\\v|\\f)",
    "/(a|)",
    "/(\\])",
    "/(a{)",
    "/(x*?y)",
    "/(.+)\\.json",
    "/(a)(b)",
    "/((?!admin(?:/|$)).*)",
    "/(😀)",
    "/([😀])",
    "/(\\ud83d.)",
    "/([^\\/]*\\.[a-z]{2,4})",
    # re would backtrack for long on these: matched by the automaton
    "/:a*/:b*/:c*",
    "/:a+/:b+",
    "/(.*)/(.*)",
    "/((?!.*\\.).*)",
    "/((?:a|a)+b)",
]

PATHS = [
    "",
    "/",
    "//",
    "/about",
    "/about/",
    "/about/team",
    "/About",
    "/about.json",
    "/about/index",
    "/index",
    "/index.json",
    "/index.rsc",
    "/_next/data/build/about.json",
    "/_next/data/build/index.json",
    "/_next/data/b/index.json",
    "/_next/data//about.json",
    "/about.rsc",
    "/about.segments/x.segment.rsc",
    "/about.segments/\n.segment.rsc",
    "/about#",
    "/about?",
    "/about//",
    "/about/\n",
    "/admin",
    "/admin/",
    "/admin/x",
    "/admin/x/y",
    "/admin/x/",
    "/admin/123",
    "/admin/1234",
    "/ADMIN",
    "/ADMIN/x",
    "/adminx",
    "/admin.json",
    "/admin.json/",
    "/admin/x.json",
    "/_next/data/build/admin.json",
    "/_next/data/build/admin/x.json",
    "/_next/data/b/admin",
    "/admin\n",
    "/admin/\n",
    "/admin/x\ny",
    "/admin\r",
    "/admin/\r",
    "/admin/\u2028",
    "/admin/\u2029",
    "/admin%0a",
    "/admin/%0a",
    "/admin%2Fx",
    "/admin/%2F",
    "/admin/é",
    "/adminé",
    "/admin//x",
    "//admin",
    "/./admin",
    "/admin/..",
    "/admin/.",
    "/a%2F..",
    "/admin;x",
    "/%61dmin",
    "/api",
    "/api/x",
    "/apix",
    "/_next/static/x.js",
    "/_next/image",
    "/_nextfoo",
    "/favicon.ico",
    "/favicon.icox",
    "/favicon.ico/x",
    "/a-b",
    "/a-b-c",
    "/-b",
    "/en/docs",
    "/fr/docs",
    "/de/docs",
    "/en/about",
    "/docs",
    "/docs/intro",
    "/docs/",
    "/x",
    "/x-y",
    "/x-y-z",
    "/users",
    "/user",
    "/files/a.b",
    "/files/a.b.c",
    "/files/.b",
    "/123",
    "/123/abc",
    "/abc",
    "/12a",
    "/a",
    "/b",
    "/ab",
    "/a/b",
    "/a+b",
    "/aab",
    "/x/edit",
    "/a/b/edit",
    "/blog/hello/edit",
    "/blog//edit",
    "/shop/x",
    "/shop/x/y",
    "/shop/x/y/z",
    "/dashboard",
    "/dashboard/",
    "/dashboard/x",
    "/page.html",
    "/pagexhtml",
    "/😀",
    "/😀😀",
    "/é",
    "/é\n",
    "/éé",
    "/café",
    "/cafe\u0301",
    "/A",
    "/AB",
    "/x\x00",
    "/\x00",
    "/\n",
    "/\t",
    "/\x0b",
    "/\x0c",
    "/ ",
    "/a b",
    "/\u00a0",
    "/\ufeff",
    "/\u2028",
    "/\u1680",
    "/\u0085",
    "/\x1c",
    "/$",
    "/]",
    "/a{",
    "/y",
    "/xy",
    "/xxy",
    "/yz",
    "/xz",
    "/zz",
    "/x z",
    "/x.y",
    "/about.html",
    "/x.json",
    "/x.json/",
    "/a.json.json",
    "/\ud800",
    "/\udc00x",
    "/٣",
    "/ｘ",  # noqa: RUF001
    "/x1",
    "/a/b/c.de",
    "/9-z",
    "/--",
    # Next's suffix .segments/.+\.segment\.rsc: tried only on such endings, by the automaton with a line break
    "/a.segments/b.segment.rsc",
    "/a.segments/b.segment.rsc/",
    "/a.segments/b.segment.rsc#",
    "/a.segments/b.segment.rsc//",
    "/a.segments/.segment.rsc",
    "/a.segments/.segment.rsc/",
    "/.segments/x.segment.rsc",
    "/admin/x.segments/a/b.segment.rsc",
    "/admin.segments/x.segment.rsc?",
    "/a\n.segments/x.segment.rsc",
    "/a.segments/x\u2028.segment.rsc",
    "/a\u2029/b.segments/x.segment.rsc",
    "/a/b/c.segments/x.segments/y.segment.rsc",
]


def _call(bridge: NodeBridge, op: str, **params: Any) -> Any:
    return bridge.call(op, version=4, **params)


# --- path table against Next ---------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_source_matches_next(nextauth_bridge: NodeBridge, source: str) -> None:
    reply = _call(nextauth_bridge, "nextMatcher", matcher=source, paths=PATHS)
    assert reply["regexps"] == [next_regexp(source)]
    m = Matcher(source)
    mismatches = [(p, want) for p, want in zip(PATHS, reply["paths"], strict=True) if m.match(p) is not want]
    assert not mismatches


def test_table_sizes() -> None:
    assert len(SOURCES) >= 40
    assert len(PATHS) >= 100


BASE_SOURCES = ["/", "/about", "/admin/:path*", "/((?!api|_next/static).*)", "/(.*)"]
BASE_PATHS = ["", "/", "/base", "/base/", "/basex", "/base/about", "/base/about/", "/about", "/base/admin/x",
              "/base/_next/data/b/about.json", "/base/index", "/base/api", "/base/api/x", "/Base/about",
              "/base//about", "/x/base/about", "/base\n", "/base/_next/static/a"]  # fmt: skip


@pytest.mark.parametrize("source", BASE_SOURCES)
def test_base_path_matches_next(nextauth_bridge: NodeBridge, source: str) -> None:
    reply = _call(nextauth_bridge, "nextMatcher", matcher=source, basePath="/base", paths=BASE_PATHS)
    assert reply["regexps"] == [next_regexp(source, base_path="/base")]
    with_base = Matcher(source, base_path="/base")
    without = Matcher(source)
    for path, want in zip(BASE_PATHS, reply["paths"], strict=True):
        assert with_base.match(path) is want, path
        # The other spelling: no base_path, and the path without it.
        if path.startswith("/base") and (path[5:6] in ("", "/")):
            assert without.match(path[5:]) is want, path


def test_matcher_lists_match_next(nextauth_bridge: NodeBridge) -> None:
    spec: list[Any] = ["/about", {"source": "/admin/:path*"}, "/((?!api).*)\\.json", {"source": "/x", "locale": False}]
    reply = _call(nextauth_bridge, "nextMatcher", matcher=spec, paths=PATHS)
    assert reply["regexps"] == [next_regexp(s if isinstance(s, str) else s["source"]) for s in spec]
    m = Matcher(spec)
    assert [m.match(p) for p in PATHS] == reply["paths"]
    assert len(m.patterns) == 4


# --- rejected sources --------------------------------------------------------------------------

INVALID_SOURCES = [
    ("about", "must start with /"),
    ("", "must start with /"),
    ("/about*", "Unexpected MODIFIER"),
    ("/*", "Unexpected MODIFIER"),
    ("/a+b", "Unexpected MODIFIER"),
    ("/:", "Missing parameter name"),
    ("/(a", "Unbalanced pattern"),
    ("/()", "Missing pattern"),
    ("/((a))", "Capturing groups are not allowed"),
    ("/(?:a)", 'Pattern cannot start with "?"'),
    ("/:a:b", "Must have text between two parameters"),
    ("/(.+)\\.(?:json)", 'Pattern cannot start with "?"'),
    ("/{a", "expected CLOSE"),
    ("/a}", "Unexpected CLOSE"),
    ("/about\\", "Unexpected CLOSE"),  # fine alone, but the backslash escapes Next's suffix
    ("/([a-)", "range out of order"),
    ("/([a)", "unterminated group"),
    ("/([z-a])", "range out of order"),
    ("/(a**)", "nothing to repeat"),
    ("/(a*+)", "nothing to repeat"),
    ("/(*a)", "nothing to repeat"),
    ("/({1})", "nothing to repeat"),
    ("/(a{2,1})", "out of order"),
    ("/(\\)", "Unbalanced pattern"),
    ("/(^*)", "quantifier after the assertion"),
    ("/((?<=a)*)", "quantifier after the assertion"),
    ("/((?<n>a)(?<n>b))", "duplicate capture group name"),
    ("/((?i:a))", "invalid group"),
    ("/((?P<n>a))", "(?<name>...)"),
    ("/((?#c)a)", "invalid group"),
    ("/((?>a))", "invalid group"),
    ("/" + "a" * 4096, "exceeds max built length"),
    ("/" + "a" * 4040, "with Next's prefix and suffix"),
]


@pytest.mark.parametrize(("source", "message"), INVALID_SOURCES)
def test_invalid_source_is_rejected_like_next(nextauth_bridge: NodeBridge, source: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Matcher(source)
    with pytest.raises(NodeBridgeError):
        _call(nextauth_bridge, "nextMatcher", matcher=source, paths=["/"])


# Valid for Next, but with no faithful Python translation (or a likely mistake): rejected with a hint.
UNTRANSLATABLE = [
    ("/(a\\1)", "backreference"),
    ("/(\\1)", "backreference"),
    ("/((?<n>a)\\k<n>)", "backreferences are not supported"),
    ("/(\\p{L})", "needs the u flag"),
    ("/(\\P{L})", "needs the u flag"),
    ("/(\\u{41})", "\\uXXXX"),
    ("/(\\x4)", "\\xHH"),
    ("/(\\c1)", "\\c followed by a letter"),
    ("/(\\01)", "legacy octal"),
    ("/(\\8)", "backreference or a legacy octal"),
    ("/(\\A.*)", "use ^"),
    ("/(.*\\Z)", "use $"),
    ("/(.*\\z)", "use $"),
    ("/(\\e)", "write 'e' without the backslash"),
    ("/([\\B])", "plain 'B'"),
    ("/(a{,3})", "write {0,n}"),
    ("/((?=a)*)", "quantifier after the assertion"),
    ("/((?<=a+)b)", "fixed-width lookbehind"),
    ("/((?<é>x))", "ASCII identifiers"),
    ("/(a{99999})", "above 65535"),
]


@pytest.mark.parametrize(("source", "message"), UNTRANSLATABLE)
def test_untranslatable_is_rejected_with_a_hint(nextauth_bridge: NodeBridge, source: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        Matcher(source)
    assert repr(source) in str(info.value)
    # Next itself accepts these (so rejecting is our choice, documented here).
    assert _call(nextauth_bridge, "nextMatcher", matcher=source, paths=["/"])["regexps"]


# --- compile_source against path-to-regexp -----------------------------------------------------

PTR_SOURCES = [*SOURCES, "/about\\", "/:a*", "/a/(x)*", "{}*", "/x{/:a}*", "/:a(\\d+)+", "/foo\n", "/a\\\nb",
               "/a/(x\\\n)", ":id", "x", "", "/:a?-:b", "{:a}", "/(\\d+)?", "/:a(.*)?/:b?", "/book{s}?",
               "/x{.:ext}?"]  # fmt: skip
PTR_PATHS = [*PATHS[:60], "a", "x", "1", "x.json", "/a/x", "/a/x/x", "/a-", "/foo\n", "/a\nb", "/a/x\n", "/book"]


def test_compile_source_matches_path_to_regexp(nextauth_bridge: NodeBridge) -> None:
    replies = _call(nextauth_bridge, "pathToRegexp", sources=PTR_SOURCES, paths=PTR_PATHS)
    for source, reply in zip(PTR_SOURCES, replies, strict=True):
        if reply["npm"] is not None:  # path-to-regexp itself agrees with Next's wrapper when it works
            assert reply["npm"] == reply["next"], source
        assert reply["next"] is not None, (source, reply["nextError"])
        route, _ = matcher_module._path_regexp(jsregex.utf16(source))
        js = matcher_module._js_source(route).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        assert js == reply["next"], source
        pattern = compile_source(source)
        assert [pattern.fullmatch(jsregex.utf16(p)) is not None for p in PTR_PATHS] == reply["matches"], source


def test_compile_source_rejects_what_next_rejects(nextauth_bridge: NodeBridge) -> None:
    bad = ["/about*", "/(a", "/((a))", "/:", "/:a:b", "/([z-a])"]
    for reply, source in zip(_call(nextauth_bridge, "pathToRegexp", sources=bad), bad, strict=True):
        assert reply["next"] is None, source
        with pytest.raises(ValueError, match="invalid path pattern"):
            compile_source(source)


# --- has / missing -----------------------------------------------------------------------------

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
    reply = _call(nextauth_bridge, "nextMatcher", matcher=spec, requests=requests)
    m = Matcher(spec)
    assert m.needs_facts is bool(conditions.get("has") or conditions.get("missing"))
    for request, want in zip(requests, reply["requests"], strict=True):
        assert isinstance(want, bool), want
        assert m.match(request["path"], RequestFacts.from_scope(_scope(request))) is want, request


def test_request_facts_match_node(nextauth_bridge: NodeBridge) -> None:
    replies = _call(nextauth_bridge, "nextRequestFacts", requests=REQUESTS)
    for request, node in zip(REQUESTS, replies, strict=True):
        facts = RequestFacts.from_scope(_scope(request))
        headers = {k: v[-1] if isinstance(v, list) else v for k, v in node["headers"].items()}
        assert dict(facts.headers) == headers, request
        assert dict(facts.cookies) == node["cookies"], request
        query = {k: [v] if isinstance(v, str) else v for k, v in node["query"].items()}
        assert {k: list(v) for k, v in facts.query.items()} == query, request
        assert facts.host == (node["host"] or ""), request


# --- the JavaScript regex translation ------------------------------------------------------------


def test_class_escapes_and_dot_match_javascript_on_every_code_unit(nextauth_bridge: NodeBridge) -> None:
    units = [chr(c) for c in range(0x10000)]
    patterns = ["^\\s$", "^\\S$", "^.$", "^\\w$", "^\\W$", "^\\d$", "^\\D$", "^[^]$", "^[\\s\\d]$", "^[^\\S]$"]
    replies = _call(nextauth_bridge, "jsRegex", patterns=patterns, strings=units)
    for pattern, want in zip(patterns, replies, strict=True):
        compiled = re.compile(jsregex.translate(pattern))
        got = [compiled.search(u) is not None for u in units]
        assert got == want, (pattern, [hex(i) for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b][:10])


REGEX_PIECES = ["a", "b", "é", ".", "\\d", "\\s", "\\w", "\\W", "\\S", "\\D", "\\b", "\\B", "[a-c]", "[^a]",
                "[\\s\\d-]", "(", ")", "(?:", "(?=", "(?!", "(?<=", "(?<!", "(?<n>", "|", "*", "+", "?", "{1,2}",
                "{2}", "{1,}", "{,2}", "^", "$", "\\n", "[\\b]", "\\.", "\\/", "-", "/", "{", "}", "]", "[]", "[^]",
                "\\u00e9", "\\x61", "\\cA", "\\0", "\\t", "\\v", "[a-]", "[-a]", "[\\d-z]", "[\\S]", "[^\\S\\d]",
                "\\u2028", "\\ud83d", "😀", "[😀]", "\\-", "\\$", "*?", "+?", "[a\\]]", "[[]", "\\\\"]  # fmt: skip
REGEX_SUBJECTS = ["", "a", "b", "ab", "ba", "aa", "abc", "é", "a\n", "\na", "a b", "a-b", "1", "a1", "/", "a/b", "{",
                  "}", "]", "\b", "\r", "\u2028", "é\n", "aé", "a.b", ".", "abcabc", "\x00", " ", "a\u00a0", "\x01",
                  "\x0b", "\u2029", "😀", "\ud83d", "a😀", "-", "$", "[", "\\", "\ufeff", "\x85", "_", "A"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(REGEX_PIECES), min_size=1, max_size=7).map("".join), min_size=20, max_size=40))
def test_random_regexes_match_javascript(nextauth_bridge: NodeBridge, patterns: list[str]) -> None:
    replies = _call(nextauth_bridge, "jsRegex", patterns=patterns, strings=REGEX_SUBJECTS)
    for pattern, want in zip(patterns, replies, strict=True):
        try:
            compiled = re.compile(jsregex.translate(jsregex.utf16(pattern)))
        except ValueError as exc:
            refused = str(exc)
        else:
            assert isinstance(want, list), (pattern, want)
            assert [compiled.search(jsregex.utf16(s)) is not None for s in REGEX_SUBJECTS] == want, pattern
            continue
        # We may only refuse what JavaScript refuses, or what we document as untranslatable.
        allowed = ("quantifier after the assertion", "fixed-width lookbehind", "{0,n}")
        assert isinstance(want, dict) or any(a in refused for a in allowed), (pattern, refused)


# --- hypothesis: generated paths against Next --------------------------------------------------

PATH_ALPHABET = ["/", ".", "-", "_", "%", "\n", "\r", "a", "A", "0", "é", ":", "\u2028", "😀", "#", "?", "x", "j",
                 "s", "o", "n", "admin", "api", "_next/data/b/", ".json", "index"]  # fmt: skip
HYPOTHESIS_SOURCES = [
    "/",
    "/admin/:path*",
    "/((?!api|_next/static|_next/image|favicon.ico).*)",
    "/:a-:b",
    "/:id(\\d+)?",
    "/(.{2})",
    "/x{-:y}*",
    "/:name.:ext",
]
generated_paths = st.lists(st.sampled_from(PATH_ALPHABET), max_size=10).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(generated_paths, min_size=50, max_size=100))
def test_generated_paths_match_next(nextauth_bridge: NodeBridge, paths: list[str]) -> None:
    paths = paths + ["/" + p for p in paths]
    for source in HYPOTHESIS_SOURCES:
        want = _call(nextauth_bridge, "nextMatcher", matcher=source, paths=paths)["paths"]
        m = Matcher(source)
        assert [m.match(p) for p in paths] == want, source


# --- pure Python: API and errors -------------------------------------------------------------


@pytest.mark.parametrize("base_path", ["", "/base"])
def test_combined_and_separate_patterns_agree(base_path: str) -> None:
    together = Matcher(SOURCES, base_path=base_path)
    apart = [Matcher(s, base_path=base_path) for s in SOURCES]
    for path in [base_path + p for p in PATHS]:
        assert together.match(path) is any(m.match(path) for m in apart), path
    assert together.patterns == tuple(m.patterns[0] for m in apart)
    assert not together.needs_facts


def test_patterns_are_plain_python_regexes() -> None:
    m = Matcher(["/admin/:path*", "/(\\bx.*)"])
    for pattern, path in zip(m.patterns, ["/admin", "/x-y"], strict=True):
        assert re.fullmatch(pattern, path)
        assert not re.fullmatch(pattern, path + "\n")  # not Python's "$ before a final newline"


def test_unknown_facts_match_conservatively() -> None:
    m = Matcher({"source": "/admin/:path*", "missing": [{"type": "cookie", "key": "preview"}]})
    assert m.needs_facts
    assert m.match("/admin/x")  # facts unknown: treat as matched (protected)
    assert not m.match("/public")
    assert not m.match("/admin/x", RequestFacts(cookies={"preview": "1"}))
    assert m.match("/admin/x", RequestFacts(cookies={"preview": ""}))  # empty counts as absent, as in Next


def test_query_facts_use_the_last_value_and_strings_are_accepted() -> None:
    m = Matcher({"source": "/p", "has": [{"type": "query", "key": "a", "value": "2"}]})
    assert m.match("/p", RequestFacts(query={"a": ["1", "2"]}))
    assert not m.match("/p", RequestFacts(query={"a": ["2", "1"]}))
    assert not m.match("/p", RequestFacts(query={"a": []}))
    assert m.match("/p", RequestFacts(query={"a": "2"}))  # a str is one value, not characters


def test_empty_matcher_list_matches_nothing() -> None:
    m = Matcher([])
    assert not m.match("/")
    assert not m.match("/anything")
    assert m.patterns == ()


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


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (42, "matcher must be a string, a dict or a list"),
        (b"/admin", "matcher must be a string, a dict or a list"),
        ([42], "matcher items must be strings or dicts"),
        ({"has": []}, "source is required"),
        ({"source": "/a", "regexp": ".*"}, "unknown matcher keys ['regexp']"),
        ({"source": "/a", "locale": True}, "locale can only be False"),
        ({"source": "/a", "has": {"type": "header", "key": "x"}}, "has must be a list"),
        ({"source": "/a", "has": ["x"]}, "has: each item must be a dict"),
        ({"source": "/a", "has": [{"type": "body", "key": "x"}]}, "type must be 'header', 'cookie', 'query' or 'host'"),
        ({"source": "/a", "has": [{"type": "header"}]}, "key is required"),
        ({"source": "/a", "has": [{"type": "header", "key": 1}]}, "key is required"),
        ({"source": "/a", "has": [{"type": "header", "key": "x", "value": None}]}, "value must be a string"),
        ({"source": "/a", "has": [{"type": "header", "key": "x", "val": "1"}]}, "unknown keys ['val']"),
        ({"source": "/a", "has": [{"type": "host", "key": "x", "value": "a"}]}, "a host condition has only a value"),
        ({"source": "/a", "missing": [{"type": "host"}]}, "missing: host must have a value"),
        ({"source": "/a", "has": [{"type": "host", "value": ""}]}, "host must have a value"),
        ({"source": "/a", "has": [{"type": "query", "key": "x", "value": "(a"}]}, "has: value '(a'"),
        ({"source": "/a", "has": [{"type": "query", "key": "x", "value": "\\1"}]}, "backreference"),
        ({"source": "/a", "has": [{"type": "cookie", "key": "x", "value": "(?i)a"}]}, "invalid group"),
    ],
)
def test_invalid_matchers_raise_value_error(spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Matcher(spec)


@pytest.mark.parametrize("base_path", ["/", "base", "/base/", "/a/"])
def test_invalid_base_path(base_path: str) -> None:
    with pytest.raises(ValueError, match="base_path must be"):
        Matcher("/a", base_path=base_path)


def test_base_path_is_literal() -> None:
    # Next would read ":v" as a parameter; an ASGI root_path is a literal prefix.
    m = Matcher("/about", base_path="/api:v(1)")
    assert m.match("/api:v(1)/about")
    assert not m.match("/api/about")


def test_next_regexp_error_names_the_source() -> None:
    with pytest.raises(ValueError, match=r"invalid matcher source '/about\*'"):
        next_regexp("/about*")


# --- linear time: over-long paths, the automaton, Next's .segments suffix -----------------------


def test_over_long_paths_are_never_matched_against_a_regex() -> None:
    m = Matcher("/public/:path*")
    longest = "/public/" + "a" * (MAX_PATH_LENGTH - 8)
    assert m.match(longest)
    assert not m.match("/x" + longest[2:])
    assert m.match("/x" + longest[2:] + "a")  # too long to tell: matches, as with unknown facts
    rules = MatcherSet([Matcher("/public/:path*"), None])
    assert rules.first("/x" + longest[2:]) == 1
    with pytest.raises(PathTooLongError, match=str(MAX_PATH_LENGTH)):
        rules.first("/public/" + "a" * MAX_PATH_LENGTH)  # not 0 (a public rule), not 1, not None


SLOW_AND_FAST = ["/:a*/:b*/:c*", "/admin/:path*", "/((?!.*\\.).*)", "/x/:id", "/(.*)/(.*)", "/:a-:b"]


@pytest.mark.parametrize("order", [SLOW_AND_FAST, SLOW_AND_FAST[::-1], SLOW_AND_FAST[1::2] + SLOW_AND_FAST[::2]])
def test_matcher_sets_with_matchers_left_to_the_automaton(order: list[str]) -> None:
    matchers = [Matcher(source) for source in order]
    assert any(not all(s.linear for s in m._sources) for m in matchers)
    for with_catch_all in (False, True):
        rules = MatcherSet([*matchers, None] if with_catch_all else matchers)
        for path in PATHS:
            want = next((i for i, m in enumerate(matchers) if m.match(path)), len(matchers) if with_catch_all else None)
            assert rules.first(path) == want, (path, order)


def test_conditions_with_slow_matchers_hand_over_in_order() -> None:
    slow = Matcher({"source": "/(.*)/(.*)", "has": [{"type": "header", "key": "x-beta"}]})
    matchers: list[Matcher | None] = [Matcher("/:a*/:b*/:c*"), slow, Matcher("/a/:b"), None]
    rules = MatcherSet(matchers)
    assert rules.first("/a/b.segments/x.segment.rsc", RequestFacts()) == 0
    assert rules.first("/a/b#", RequestFacts()) == 0
    assert rules.first("/a/b\u2028.segments/x.segment.rsc", RequestFacts()) == 0
    assert MatcherSet(matchers[1:]).first("/a/b", RequestFacts()) == 1
    assert MatcherSet(matchers[1:]).first("/a/b", RequestFacts(headers={"x-beta": "1"})) == 0


def test_every_source_is_linear_but_a_few() -> None:
    automaton = [s for s in SOURCES if not all(p.linear for p in Matcher(s)._sources)]
    assert automaton == ["/:a*/:b*/:c*", "/:a+/:b+", "/(.*)/(.*)", "/((?!.*\\.).*)", "/((?:a|a)+b)"]
