"""Redirect URLs, origins and callbackUrl encoding (request paths: tests/test_paths.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgi_withauth._request.urls import (
    MAX_HOST_LENGTH,
    callback_path,
    canonical_redirect,
    form_encode,
    page_url,
    request_origin,
)

# ----------------------------------------------------------------------------- URLs


def test_form_encode_matches_url_search_params() -> None:
    assert form_encode("/a b?c=d&e~f*g") == "%2Fa+b%3Fc%3Dd%26e%7Ef*g"
    assert form_encode("%20") == "%2520"


def test_callback_path_is_base_path_path_and_query() -> None:
    assert callback_path("/custom-base-path", "/protected/pathA", "") == "/custom-base-path/protected/pathA"
    assert callback_path("", "/a", "q=a%20b&x") == "/a?q=a%20b&x"
    assert callback_path("", "/caf\u00e9", "") == "/caf%C3%A9"
    assert callback_path("", "/x/../admin", "") == "/admin"
    assert callback_path("", "/a b", "q=<\"'>") == "/a%20b?q=%3C%22%27%3E"


@pytest.mark.parametrize(
    "path", ["//evil.example", "///evil.example", "\\\\evil.example", "/\\evil.example", "/..//evil"]
)
def test_callback_path_never_leaves_the_origin(path: str) -> None:
    result = callback_path("", path, "")
    assert result.startswith("/")
    assert not result.startswith("//")
    assert "\\" not in result


def test_page_url_appends_like_url_search_params() -> None:
    origin = "http://127.0.0.1"
    assert (
        page_url(origin, "/custom-base-path", "/api/auth/signin", {"callbackUrl": "/custom-base-path/protected/pathA"})
        == "http://127.0.0.1/custom-base-path/api/auth/signin?callbackUrl=%2Fcustom-base-path%2Fprotected%2FpathA"
    )
    assert page_url(origin, "", "/login?from=x", {"callbackUrl": "/a"}) == f"{origin}/login?from=x&callbackUrl=%2Fa"
    assert (
        page_url(origin, "/base", "https://auth.example.com/login", {"callbackUrl": "/a"})
        == "https://auth.example.com/login?callbackUrl=%2Fa"
    )
    assert (
        page_url(origin, "", "/api/auth/error", {"error": "Configuration"})
        == f"{origin}/api/auth/error?error=Configuration"
    )


NAME_253 = ("a" * 62 + ".") * 4 + "b"
assert len(NAME_253) == MAX_HOST_LENGTH


@pytest.mark.parametrize(
    ("scheme", "host", "expected"),
    [
        ("http", "127.0.0.1", "http://127.0.0.1"),
        ("http", "127.0.0.1:80", "http://127.0.0.1"),
        ("https", "App.Example.com:8443", "https://app.example.com:8443"),
        ("https", "app.example.com:443", "https://app.example.com"),
        ("ws", "[::1]:8000", "http://[::1]:8000"),
        ("http", "evil.example/path", "http://10.0.0.1:8000"),
        ("http", "a@evil.example", "http://10.0.0.1:8000"),
        ("http", "", "http://10.0.0.1:8000"),
        ("http", "host:99999", "http://10.0.0.1:8000"),
        ("http", "example.com.", "http://example.com."),
        ("http", "a--b.x-y.example:8080", "http://a--b.x-y.example:8080"),
        ("http", "[::ffff:10.0.0.2]:81", "http://[::ffff:10.0.0.2]:81"),
        ("http", "a" * 63 + ".example", "http://" + "a" * 63 + ".example"),
        ("http", NAME_253, "http://" + NAME_253),
        ("http", NAME_253 + ".:80", "http://" + NAME_253 + "."),
        ("http", "a" * 64 + ".example", "http://10.0.0.1:8000"),  # a label of 64
        ("http", NAME_253 + "c", "http://10.0.0.1:8000"),
        ("http", "-a.example", "http://10.0.0.1:8000"),
        ("http", "a-.example", "http://10.0.0.1:8000"),
        ("http", "a..example", "http://10.0.0.1:8000"),
        ("http", ".", "http://10.0.0.1:8000"),
        ("http", "example.com..", "http://10.0.0.1:8000"),
        ("http", "a_b.example", "http://10.0.0.1:8000"),
        ("http", "[::1", "http://10.0.0.1:8000"),
        ("http", "a" * 25 + "!", "http://10.0.0.1:8000"),  # took seconds with a backtracking regex
        ("http", "a" * 100_000, "http://10.0.0.1:8000"),
    ],
)
def test_request_origin(scheme: str, host: str, expected: str) -> None:
    raw = {"scheme": scheme, "server": ("10.0.0.1", 8000)}
    assert request_origin(raw, {"host": host}, public_url=None, trust_forwarded=False) == expected


LABEL = st.text(alphabet="abcXYZ019-", min_size=1, max_size=63).filter(lambda s: s[0] != "-" and s[-1] != "-")


@given(st.lists(LABEL, min_size=1, max_size=6), st.booleans())
def test_every_dns_name_is_accepted(labels: list[str], trailing_dot: bool) -> None:
    name = ".".join(labels)
    raw = {"scheme": "https", "server": ("10.0.0.1", 8000)}
    origin = request_origin(raw, {"host": name + "." * trailing_dot}, public_url=None, trust_forwarded=False)
    if len(name) <= MAX_HOST_LENGTH:
        assert origin == "https://" + name.lower() + "." * trailing_dot
    else:
        assert origin == "https://10.0.0.1:8000"


@given(st.text(alphabet="ab-.:[]1!_ \u00e9", max_size=80))
def test_anything_else_falls_back_to_the_server(host: str) -> None:
    raw = {"scheme": "http", "server": ("10.0.0.1", 8000)}
    origin = request_origin(raw, {"host": host}, public_url=None, trust_forwarded=False)
    if origin != "http://10.0.0.1:8000":
        name = origin.removeprefix("http://").rsplit(":", 1)[0] if not origin.endswith("]") else origin[7:]
        assert set(name) <= set("ab-.1[]:"), origin  # only characters a host may have
        assert not any(c in host for c in "!_ \u00e9")


def test_forwarded_headers_only_when_trusted() -> None:
    raw = {"scheme": "http", "server": ("10.0.0.1", 8000)}
    headers = {"host": "internal:8000", "x-forwarded-proto": "https", "x-forwarded-host": "app.example.com"}
    assert request_origin(raw, headers, public_url=None, trust_forwarded=False) == "http://internal:8000"
    assert request_origin(raw, headers, public_url=None, trust_forwarded=True) == "https://app.example.com"
    assert request_origin(raw, headers, public_url="https://public.example/x", trust_forwarded=True) == (
        "https://public.example"
    )


@pytest.mark.parametrize("root", ["//evil.example", "///evil.example", "//evil.example/"])
def test_a_canonical_redirect_never_starts_with_two_slashes_whatever_the_root_path(root: str) -> None:
    location = canonical_redirect(root, "/admin", "")
    assert location == "/evil.example/admin"
