"""Cookie names, parsing, chunk joining and the Set-Cookie side."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgi_withauth._request.cookies import (
    CHUNK_SIZES,
    CookieWrite,
    SessionCookieError,
    chunk_session_cookie,
    clear_session_cookie,
    parse_cookie_header,
    read_session_cookie,
    serialize_cookie,
    session_cookie_name,
)
from asgi_withauth.jwt import MAX_TOKEN_LENGTH

NAME = "next-auth.session-token"


def test_default_names() -> None:
    assert session_cookie_name(version=4) == "next-auth.session-token"
    assert session_cookie_name(version=4, secure=True) == "__Secure-next-auth.session-token"
    assert session_cookie_name(version=5) == "authjs.session-token"
    assert session_cookie_name(version=5, secure=True) == "__Secure-authjs.session-token"


def test_parse_first_occurrence_wins_and_quotes_are_stripped() -> None:
    cookies = parse_cookie_header('a=1; b="two"; a=3;flag; =x; c = 4 ')
    assert cookies == {"a": "1", "b": "two", "c": "4"}


def test_unchunked_cookie() -> None:
    assert read_session_cookie({NAME: "tok"}, NAME) == "tok"
    assert read_session_cookie({"other": "tok"}, NAME) is None
    assert read_session_cookie({NAME: ""}, NAME) is None


def test_chunks_join_by_numeric_suffix() -> None:
    cookies = {f"{NAME}.10": "k", **{f"{NAME}.{i}": c for i, c in enumerate("abcdefghij")}}
    assert read_session_cookie(cookies, NAME) == "abcdefghijk"


def test_unchunked_wins_over_chunks() -> None:
    assert read_session_cookie({f"{NAME}.0": "chunk", NAME: "plain"}, NAME) == "plain"


@pytest.mark.parametrize(
    "stray",
    [f"{NAME}X", f"{NAME}.evil", f"{NAME}.01", f"{NAME}.-1", f"{NAME}.1x", f"{NAME}.", f"{NAME}.\u0661", f"{NAME}..0"],
)
def test_only_exact_names_count(stray: str) -> None:
    assert read_session_cookie({stray: "junk"}, NAME) is None
    assert read_session_cookie({stray: "junk", f"{NAME}.0": "a", f"{NAME}.1": "b"}, NAME) == "ab"


def test_a_gap_in_the_chunks_is_an_error() -> None:
    with pytest.raises(SessionCookieError, match="missing a chunk"):
        read_session_cookie({f"{NAME}.0": "a", f"{NAME}.2": "c"}, NAME)
    with pytest.raises(SessionCookieError):
        read_session_cookie({f"{NAME}.1": "b"}, NAME)


def test_oversized_sessions_are_refused_before_joining() -> None:
    cookies = {f"{NAME}.{i}": "x" * 4000 for i in range(20)}
    with pytest.raises(SessionCookieError, match="longer"):
        read_session_cookie(cookies, NAME)
    with pytest.raises(SessionCookieError):
        read_session_cookie({NAME: "x" * 70_000}, NAME)


def test_chunk_sizes_match_next_auth() -> None:
    assert CHUNK_SIZES == {4: 3933, 5: 3936}


@pytest.mark.parametrize("version", [4, 5])
def test_short_value_is_one_cookie_and_clears_old_chunks(version: int) -> None:
    writes = chunk_session_cookie(NAME, "short", existing=[f"{NAME}.0", "other", f"{NAME}.1"], version=version)  # type: ignore[arg-type]
    assert writes == [
        CookieWrite(f"{NAME}.0", "", clear=True),
        CookieWrite(f"{NAME}.1", "", clear=True),
        CookieWrite(NAME, "short", clear=False),
    ]


def test_long_value_is_chunked_and_stale_chunks_cleared() -> None:
    value = "v" * (3933 * 2 + 5)
    writes = chunk_session_cookie(NAME, value, existing=[NAME, f"{NAME}.0", f"{NAME}.1", f"{NAME}.2"])
    assert [(w.name, len(w.value), w.clear) for w in writes] == [
        (NAME, 0, True),
        (f"{NAME}.0", 3933, False),
        (f"{NAME}.1", 3933, False),
        (f"{NAME}.2", 5, False),
    ]
    shrink = chunk_session_cookie(NAME, "v" * 4000, existing=[f"{NAME}.0", f"{NAME}.1", f"{NAME}.2"])
    assert [(w.name, w.clear) for w in shrink] == [(f"{NAME}.0", False), (f"{NAME}.1", False), (f"{NAME}.2", True)]


def test_boundary_value_stays_unchunked() -> None:
    assert [w.name for w in chunk_session_cookie(NAME, "x" * 3933)] == [NAME]
    assert [w.name for w in chunk_session_cookie(NAME, "x" * 3934)] == [f"{NAME}.0", f"{NAME}.1"]
    assert [w.name for w in chunk_session_cookie(NAME, "x" * 3936, version=5)] == [NAME]


def test_clear_covers_every_piece_of_the_session() -> None:
    writes = clear_session_cookie(NAME, existing=[NAME, f"{NAME}.0", f"{NAME}X", "z"])
    assert [(w.name, w.clear) for w in writes] == [(NAME, True), (f"{NAME}.0", True)]


@given(st.text(alphabet="abcXYZ-_.019", max_size=20_000), st.sampled_from([4, 5]))
def test_chunk_then_read_round_trips(value: str, version: int) -> None:
    writes = chunk_session_cookie(NAME, value, version=version)  # type: ignore[arg-type]
    jar = {w.name: w.value for w in writes if not w.clear}
    assert all(len(v) <= CHUNK_SIZES[version] for v in jar.values())  # type: ignore[index]
    assert read_session_cookie(jar, NAME) == (value or None)


def test_serialize_matches_next_auth_attributes() -> None:
    header = serialize_cookie(NAME, "abc", expires=1_800_000_000, secure=True)
    assert header == f"{NAME}=abc; Path=/; Expires=Fri, 15 Jan 2027 08:00:00 GMT; HttpOnly; Secure; SameSite=Lax"
    cleared = serialize_cookie(NAME, "", max_age=0)
    assert cleared == f"{NAME}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"


@pytest.mark.parametrize(("name", "value"), [("a b", "x"), ("a;b", "x"), (NAME, "x;y"), (NAME, "x y"), (NAME, "é")])
def test_serialize_refuses_header_injection(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        serialize_cookie(name, value)


@given(st.text(max_size=400))
def test_parse_cookie_header_takes_any_text(header: str) -> None:
    cookies = parse_cookie_header(header)
    assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in cookies.items())
    assert all(";" not in k and "=" not in k for k in cookies)


@given(st.dictionaries(st.sampled_from([NAME, f"{NAME}.0", f"{NAME}.1", f"{NAME}.3", f"{NAME}x", "a"]), st.text()))
def test_read_session_cookie_returns_a_value_or_raises_its_own_error(cookies: dict[str, str]) -> None:
    try:
        value = read_session_cookie(cookies, NAME)
    except SessionCookieError:
        return
    assert value is None or isinstance(value, str)


# ----------------------------------------------------------------------------- bounded chunk counts

MOST_CHUNKS = -(-MAX_TOKEN_LENGTH // min(CHUNK_SIZES.values()))  # 17: the codec refuses anything longer


def test_the_largest_session_the_codec_accepts_still_reads() -> None:
    assert MOST_CHUNKS == 17
    value = "v" * MAX_TOKEN_LENGTH
    writes = chunk_session_cookie(NAME, value)
    assert len(writes) == MOST_CHUNKS
    assert read_session_cookie({w.name: w.value for w in writes}, NAME) == value


@pytest.mark.parametrize("count", [MOST_CHUNKS + 1, 400, 9_999])
def test_more_chunks_than_any_real_session_is_broken(count: int) -> None:
    cookies = {f"{NAME}.{i}": "x" for i in range(count)}  # short enough, but no writer makes these
    with pytest.raises(SessionCookieError, match="chunks"):
        read_session_cookie(cookies, NAME)


STALE = [NAME, *(f"{NAME}.{i}" for i in range(9_999))]
BOUNDED = [NAME, *(f"{NAME}.{i}" for i in range(MOST_CHUNKS))]


def test_clearing_is_bounded_to_the_names_a_session_can_have() -> None:
    assert [w.name for w in clear_session_cookie(NAME, existing=STALE)] == BOUNDED
    assert [w.name for w in clear_session_cookie(NAME, existing=reversed(STALE))] == BOUNDED[::-1]


def test_rewriting_is_bounded_and_still_clears_what_a_session_can_have() -> None:
    writes = chunk_session_cookie(NAME, "short", existing=STALE)
    assert [(w.name, w.clear) for w in writes] == [(name, name != NAME) for name in BOUNDED]
    longest = chunk_session_cookie(NAME, "v" * MAX_TOKEN_LENGTH, existing=STALE)
    assert len(longest) == MOST_CHUNKS + 1
    assert [w.name for w in longest if w.clear] == [NAME]
