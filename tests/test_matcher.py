"""Next.js middleware matchers: asgi_withauth._matcher against the real Next.js 15 code.

The bridge ops (interop/ops_matcher.mjs) run Next's own getMiddlewareMatchers,
getMiddlewareRouteMatcher and tryToParsePath, and path-to-regexp 6.3.0; every table here is
compared with them. has/missing conditions are in tests/test_matcher_facts.py, the
JavaScript regex translation in tests/test_jsregex.py, MatcherSet in tests/test_matcher_set.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_withauth._matcher import (
    MAX_PATH_LENGTH,
    Matcher,
    MatcherSet,
    PathTooLongError,
    RequestFacts,
    compile_source,
    next_regexp,
)
from asgi_withauth._matcher.jsregex import utf16
from asgi_withauth._matcher.pattern import route
from asgi_withauth._matcher.source import js_source
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
        js = js_source(route(utf16(source))).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        assert js == reply["next"], source
        pattern = compile_source(source)
        assert [pattern.fullmatch(utf16(p)) is not None for p in PTR_PATHS] == reply["matches"], source


def test_compile_source_rejects_what_next_rejects(nextauth_bridge: NodeBridge) -> None:
    bad = ["/about*", "/(a", "/((a))", "/:", "/:a:b", "/([z-a])"]
    for reply, source in zip(_call(nextauth_bridge, "pathToRegexp", sources=bad), bad, strict=True):
        assert reply["next"] is None, source
        with pytest.raises(ValueError, match="invalid path pattern"):
            compile_source(source)


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


def test_empty_matcher_list_matches_nothing() -> None:
    m = Matcher([])
    assert not m.match("/")
    assert not m.match("/anything")
    assert m.patterns == ()


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


@pytest.mark.parametrize(
    ("source", "path", "next_form", "exact"),
    [
        ("/login", "/login", True, True),
        ("/login", "/login/", True, True),
        ("/login", "/login.json", True, False),
        ("/login", "/login.rsc", True, False),
        ("/login", "/_next/data/build/login.json", True, False),
        ("/", "/", True, True),
        ("/", "/index", True, False),
        ("/", "/index.json", True, False),
        ("/a/:path*", "/a/x/y", True, True),
        ("/a/:path*", "/a.segments/x.segment.rsc", True, False),
    ],
)
def test_an_exact_matcher_leaves_out_the_forms_next_adds(source: str, path: str, next_form: bool, exact: bool) -> None:
    assert Matcher(source).match(path) is next_form
    assert Matcher(source, exact=True).match(path) is exact
    assert Matcher(source, base_path="/base", exact=True).match("/base" + path) is exact
    assert "exact=True" in repr(Matcher(source, exact=True))
