"""asgi_withauth._matcher.jsregex: the translation against JavaScript, which patterns ``re`` may
match, and the automaton for the rest.

The translation is compared with plain ``new RegExp`` through the bridge
(interop/ops_matcher.mjs); the automaton is compared with ``re`` on that translation (they
must always agree), and the analysis is checked on patterns whose behaviour under
backtracking is known. That every pattern runs in linear time is measured in
tests/test_linear_time.py.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_withauth._matcher.jsregex import JsRegex, translate, utf16
from tests.nodebridge import NodeBridge

# --- the JavaScript regex translation ------------------------------------------------------------


def test_class_escapes_and_dot_match_javascript_on_every_code_unit(nextauth_bridge: NodeBridge) -> None:
    units = [chr(c) for c in range(0x10000)]
    patterns = ["^\\s$", "^\\S$", "^.$", "^\\w$", "^\\W$", "^\\d$", "^\\D$", "^[^]$", "^[\\s\\d]$", "^[^\\S]$"]
    replies = nextauth_bridge.call("jsRegex", version=4, patterns=patterns, strings=units)
    for pattern, want in zip(patterns, replies, strict=True):
        compiled = re.compile(translate(pattern))
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
    replies = nextauth_bridge.call("jsRegex", version=4, patterns=patterns, strings=REGEX_SUBJECTS)
    for pattern, want in zip(patterns, replies, strict=True):
        try:
            compiled = re.compile(translate(utf16(pattern)))
        except ValueError as exc:
            refused = str(exc)
        else:
            assert isinstance(want, list), (pattern, want)
            assert [compiled.search(utf16(s)) is not None for s in REGEX_SUBJECTS] == want, pattern
            continue
        # We may only refuse what JavaScript refuses, or what we document as untranslatable.
        allowed = ("quantifier after the assertion", "fixed-width lookbehind", "{0,n}")
        assert isinstance(want, dict) or any(a in refused for a in allowed), (pattern, refused)


# --- the automaton against re, and the analysis ----------------------------------------------

PIECES = ["a", "b", "é", ".", "\\d", "\\s", "\\w", "\\W", "\\b", "\\B", "[a-c]", "[^a]", "[\\s\\d-]", "(", ")",
          "(?:", "(?=", "(?!", "(?<=", "(?<!", "(?<n>", "|", "*", "+", "?", "{1,2}", "{2}", "{2,}", "{0}", "^", "$",
          "\\n", "[\\b]", "\\.", "/", "-", "{", "}", "]", "[]", "[^]", "\\u2028", "\\ud83d", "😀", "*?", "+?",
          "(?:a|)", "(?:a|ab)", "a{0,3}", "\\\\"]  # fmt: skip
SUBJECTS = [utf16(s) for s in ["", "a", "b", "ab", "ba", "aa", "aab", "abab", "abc", "é", "a\n", "\na", "a b", "a-b",
                               "1", "a1b2", "/", "a/b", "{", "]", "\b", "\r", "\u2028", "aé", "a.b", "\x00", " ",
                               "😀", "\ud83d", "a😀", "-", "\\", "aaa", "a\u2029b", "_A"]]  # fmt: skip

patterns = st.lists(st.sampled_from(PIECES), min_size=1, max_size=9).map(lambda p: utf16("".join(p)))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns, st.booleans())
def test_the_automaton_agrees_with_re(pattern: str, search: bool) -> None:
    try:
        regex = JsRegex(pattern, search=search)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            translate(pattern)  # refused for the translation's reasons only
        return
    compiled = re.compile(regex.python)
    match = compiled.search if search else compiled.fullmatch
    for subject in SUBJECTS:
        want = match(subject) is not None
        assert regex.matches(subject, by="automaton") is want, (pattern, search, subject)
        assert regex.matches(subject) is want, (pattern, search, subject)
        assert regex.matches(subject, by="re") is want, (pattern, search, subject)


LINEAR = [
    "^a*b$",
    "^[^/]+(?:/[^/]+)*$",  # path-to-regexp's repeated segments
    "^.*foo$",
    "^(?:a|b)*c$",
    "^(?:a|ab)*c$",  # ambiguous prefixes, but never two ways to the same place
    "^(?:a|ab)(?:c|bc)$",  # two ways, a bounded number of them
    "^(?!api|_next).*$",  # a bounded lookahead, once
    "^(?:(?!-)[^/])+-(?:(?!-)[^/])+$",  # path-to-regexp's /:a-:b
    "^x\\b.*$",
    "^a{2,5}b$",
    "^(?:a?)*b$",
    "^\\d{4}-\\d{2}$",
]
NOT_LINEAR = [
    "^.*foo.*$",  # quadratic: every foo, then the rest
    "^a*a*b$",
    "^(a|a)*b$",  # exponential
    "^(a*)*b$",
    "^(?:\\d+)*$",
    "^(?:a|ab|b)*c$",
    "^(?:(?:|)a)*b$",  # two empty ways in every iteration
    "^(.*)/(.*)/(.*)$",
    "^(?!.*x).*$",  # a lookahead that may read to the end
    "^(?:(?!.*x).)*$",
    "^(?:" + "|".join(f"a{i}" for i in range(1500)) + ")$",  # too large to analyse: not linear
]


@pytest.mark.parametrize("pattern", LINEAR)
def test_linear_patterns_use_re(pattern: str) -> None:
    regex = JsRegex(pattern)
    assert regex.linear
    assert regex._automaton is None


@pytest.mark.parametrize("pattern", NOT_LINEAR)
def test_other_patterns_use_the_automaton(pattern: str) -> None:
    regex = JsRegex(pattern)
    assert not regex.linear
    assert regex._automaton is not None  # built with the pattern, so that size errors show there
    assert not regex.matches("a" * 5000 + "\n")  # re would take hours on some


@pytest.mark.parametrize(
    ("pattern", "linear"),
    [
        ("foo", True),  # search tries every start; a literal backtracks nowhere
        ("^a|b$", True),
        ("^.*foo.*$", False),
        ("^bot.*$", True),  # anchored: one start
        ("a.*b", False),  # quadratic: every a, then the rest
    ],
)
def test_search_tries_every_start(pattern: str, linear: bool) -> None:
    assert JsRegex(pattern, search=True).linear is linear


def test_by_overrides_the_choice() -> None:
    regex = JsRegex("^(a|a)*b$")
    assert regex.matches("aab", by="re")
    assert regex.matches("aab", by="automaton")
    assert not regex.matches("aa")
    skipped = JsRegex("^a$", analyse=False)
    assert not skipped.linear
    assert skipped.matches("a")  # the automaton, built on first use
    assert skipped.matches("a", by="re")


def test_lookarounds_see_the_whole_input() -> None:
    regex = JsRegex("(?<=a)b(?=c)|(?<!x)\\bd\\b", search=True)
    assert not regex.linear or regex.matches("abc")
    for subject, want in [("abc", True), ("xbc", False), ("ab", False), ("d", True), ("xd", False), ("x d", True)]:
        assert regex.matches(subject, by="automaton") is want, subject
        assert regex.matches(subject, by="re") is want, subject


def test_counted_repetitions_too_large_for_the_automaton() -> None:
    assert JsRegex("^a{60000}$").linear  # re counts; nothing to build
    with pytest.raises(ValueError, match="too large to match in linear time"):
        JsRegex("^(?:.*a){30000}$")


def test_translation_errors_are_unchanged() -> None:
    with pytest.raises(ValueError, match="backreference"):
        JsRegex("(a)\\1")
    assert JsRegex("[\\d-z]").python == translate("[\\d-z]")
