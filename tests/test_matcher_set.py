"""MatcherSet: one regex pass must give exactly the first matcher that matches on its own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgi_withauth._matcher import Matcher, MatcherSet, RequestFacts

SOURCES = [
    "/area1/:path*",
    "/area10/:path*",
    "/area",
    "/area/:id",
    "/api/:path*",
    "/api/auth/:path*",
    "/a/:x?",
    "/about",
    "/",
    "/((?!api|_next/static).*)",
    "/files/:name+",
    "/v:version(\\d+)/docs",
    "/area-x/:path*",
    "/area.x",
]
PATHS = st.text(alphabet="/area1x0pibutdocsvfilen-._%", max_size=24).map(lambda p: "/" + p)


def expected(matchers: list[Matcher | None], path: str, facts: RequestFacts | None) -> int | None:
    return next((i for i, m in enumerate(matchers) if m is None or m.match(path, facts)), None)


@settings(max_examples=300)
@given(st.lists(st.sampled_from([*SOURCES, None]), min_size=1, max_size=8), PATHS)
def test_first_is_the_first_matcher_that_matches(sources: list[str | None], path: str) -> None:
    matchers = [None if s is None else Matcher(s) for s in sources]
    assert MatcherSet(matchers).first(path) == expected(matchers, path, None)


@pytest.mark.parametrize("path", ["/area0/x", "/area99", "/area99/a/b", "/_next/data/id/area42/x.json", "/area100"])
def test_a_hundred_rules(path: str) -> None:
    matchers: list[Matcher | None] = [Matcher(f"/area{i}/:path*") for i in range(100)]
    assert MatcherSet(matchers).first(path) == expected(matchers, path, None)


def test_conditions_hand_over_to_later_matchers() -> None:
    beta = Matcher({"source": "/x", "has": [{"type": "header", "key": "x-beta"}]})
    matchers: list[Matcher | None] = [beta, Matcher("/x"), None]
    assert MatcherSet(matchers).first("/x", RequestFacts()) == 1
    assert MatcherSet(matchers).first("/x", RequestFacts(headers={"x-beta": "1"})) == 0
    assert MatcherSet(matchers).first("/y", RequestFacts()) == 2
    assert MatcherSet([]).first("/x") is None
