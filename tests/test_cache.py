"""The decoded-token cache: a hit decides exactly as a cold decode would, and hands out claims
that no request can change for another."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgi_withauth import WithAuth, jwt
from asgi_withauth._cache import BoundedCache, memoized
from asgi_withauth._codec.copying import copy_claims
from asgi_withauth.sessions import TokenReader
from asgi_withauth.sessions.tokens import DecodedToken, TokenCache
from tests.asgi import run, session_scope
from tests.test_jwt import handmade

pytestmark = pytest.mark.anyio

SECRET = "cache-secret"
V4 = "next-auth.session-token"
V5 = "authjs.session-token"
CLAIMS = {"sub": "1", "name": "Ada", "roles": ["user"], "org": {"id": 7, "teams": [{"name": "a"}]}}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)


def request(*, cookie: str | None = None, bearer: str | None = None, scheme: str = "http") -> dict[str, Any]:
    return session_scope(f"{scheme}://app.test/", cookie=cookie, bearer=bearer)


def v5(salt: str = V5, claims: dict[str, Any] | None = None) -> str:
    return jwt.encode(claims or CLAIMS, SECRET, salt=salt, version=5)


# A v5 token salted for the plain Auth.js cookie, and every other place it may arrive: a cold
# decode refuses it in each (the salt or the format differs), so a warm cache must refuse it too.
WRONG_PLACES = [
    pytest.param(f"__Secure-{V5}={{t}}", None, "https", id="secure-v5-cookie-over-https"),
    pytest.param(f"{V4}={{t}}", None, "http", id="v4-cookie"),
    pytest.param(f"__Secure-{V4}={{t}}", None, "https", id="secure-v4-cookie"),
    pytest.param(None, "{t}", "https", id="bearer-over-https"),
]


@pytest.mark.parametrize(("cookie", "bearer", "scheme"), WRONG_PLACES)
def test_a_hit_never_crosses_sources(cookie: str | None, bearer: str | None, scheme: str) -> None:
    token = v5()
    elsewhere = request(
        cookie=cookie and cookie.format(t=token), bearer=bearer and bearer.format(t=token), scheme=scheme
    )
    cold = TokenReader(secret=SECRET)
    assert cold.claims_now(elsewhere) is None  # cold: refused
    reader = TokenReader(secret=SECRET)
    assert reader.claims_now(request(cookie=f"{V5}={token}")) is not None  # warms the cache
    assert len(reader.cache) == 1
    assert reader.claims_now(elsewhere) is None  # warm: refused all the same


async def test_a_hit_never_crosses_sources_with_the_async_entry_point() -> None:
    token = v5()
    reader = TokenReader(secret=SECRET)
    assert await reader.read(request(cookie=f"{V5}={token}")) is not None
    assert await reader.read(request(cookie=f"__Secure-{V5}={token}", scheme="https")) is None


def test_each_reader_owns_its_cache() -> None:
    token = jwt.encode(CLAIMS, SECRET)
    reader = TokenReader(secret=SECRET)
    assert reader.claims_now(request(cookie=f"{V4}={token}")) is not None
    other = TokenReader(secret="another-secret")
    assert other.cache is not reader.cache
    assert other.claims_now(request(cookie=f"{V4}={token}")) is None


def test_a_hit_honours_the_readers_leeway(monkeypatch: pytest.MonkeyPatch) -> None:
    token = jwt.encode(CLAIMS, SECRET, max_age=60)
    scope = request(cookie=f"{V4}={token}")
    reader = TokenReader(secret=SECRET, leeway=0)
    assert reader.claims_now(scope) is not None
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert TokenReader(secret=SECRET, leeway=0).claims_now(scope) is None  # cold: expired
    assert reader.claims_now(scope) is None  # warm: expired as well


def test_the_same_token_in_the_same_place_is_a_hit(decodes: list[str]) -> None:
    token = v5()
    reader = TokenReader(secret=SECRET)
    for _ in range(3):
        assert reader.claims_now(request(cookie=f"{V5}={token}")) is not None
    assert len(decodes) == 1


def test_found_token_says_which_format_and_salt_decoded_it() -> None:
    claims = json.dumps({**CLAIMS, "exp": int(time.time()) + 600}).encode()
    gcm = handmade({"alg": "dir", "enc": "A256GCM"}, claims, secret=SECRET, salt="sid", version=5)
    assert jwt.peek_version(gcm) == 4  # its header looks like v4's: peeking would pick the wrong format
    reader = TokenReader(secret=SECRET, cookie_name="sid")
    for _ in range(2):  # cold, then from the cache
        found = reader.read_token_now(request(cookie=f"sid={gcm}"))
        assert found is not None
        assert (found.cookie_name, found.version, found.salt) == ("sid", 5, "sid")
        assert found.raw == gcm
        assert found.cookies == ("sid",)
    bearer = reader.read_token_now(request(bearer=jwt.encode(CLAIMS, SECRET)))
    assert bearer is not None
    assert (bearer.cookie_name, bearer.version, bearer.salt) == (None, 4, "")


async def test_found_token_from_a_decode_hook_has_no_format() -> None:
    reader = TokenReader(decode=lambda **_: {"sub": "hooked"})
    found = await reader.read_token(request(cookie=f"{V4}=opaque"))
    assert found is not None
    assert found.claims() == {"sub": "hooked"}
    assert (found.cookie_name, found.version) == (V4, None)


# ----------------------------------------------------------------------------- no shared state


def test_nested_claims_cannot_leak_between_hits() -> None:
    reader = TokenReader(secret=SECRET)
    scope = request(cookie=f"{V5}={v5()}")
    first = reader.claims_now(scope)  # the miss
    assert first is not None
    first["roles"].append("admin")
    first["org"]["teams"][0]["name"] = "root"
    first["sub"] = "0"
    second = reader.claims_now(scope)  # a hit
    assert second is not None
    assert second["roles"] == ["user"]
    assert second["org"] == {"id": 7, "teams": [{"name": "a"}]}
    assert second["sub"] == "1"
    second["roles"].append("admin")
    assert (reader.claims_now(scope) or {})["roles"] == ["user"]


def test_put_and_get_never_share_objects_with_the_caller() -> None:
    cache = TokenCache()
    claims = {"roles": ["user"]}
    cache.put("k", claims)
    claims["roles"].append("admin")
    got = cache.get("k", 0)
    assert got == {"roles": ["user"]}
    assert got is not None
    got["roles"].append("admin")
    assert cache.get("k", 0) == {"roles": ["user"]}


class Upgrading:
    """An app that changes its own copy of the token on its first request only."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        token = scope["nextauth"]["token"]
        self.seen.append(list(token["roles"]))
        if len(self.seen) == 1:
            token["roles"].append("admin")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def refreshed_roles(sent: Any) -> Any:
    cookie = next(v.decode() for k, v in sent.messages[0]["headers"] if k == b"set-cookie")
    return jwt.decode(cookie.split(";")[0].split("=", 1)[1], SECRET)["roles"]


async def test_withauth_app_mutations_do_not_reach_the_next_request_or_its_cookie() -> None:
    app = Upgrading()
    guarded = WithAuth(app, secret=SECRET, refresh=True)
    scope = request(cookie=f"{V4}={jwt.encode(CLAIMS, SECRET)}")
    await run(guarded, scope)
    second = await run(guarded, dict(scope))
    assert app.seen == [["user"], ["user"]]
    assert refreshed_roles(second) == ["user"]


async def test_withauth_refresh_writes_the_decoded_token_not_the_apps_copy() -> None:
    sent = await run(
        WithAuth(Upgrading(), secret=SECRET, refresh=True), request(cookie=f"{V4}={jwt.encode(CLAIMS, SECRET)}")
    )
    assert refreshed_roles(sent) == ["user"]


async def test_withauth_refresh_keeps_the_format_that_decoded_the_token() -> None:
    claims = json.dumps({**CLAIMS, "exp": int(time.time()) + 600}).encode()
    gcm = handmade({"alg": "dir", "enc": "A256GCM"}, claims, secret=SECRET, salt="sid", version=5)
    guarded = WithAuth(Upgrading(), secret=SECRET, cookie_name="sid", refresh=True)
    sent = await run(guarded, request(cookie=f"sid={gcm}"))
    cookie = next(v.decode() for k, v in sent.messages[0]["headers"] if k == b"set-cookie")
    refreshed = cookie.split(";")[0].split("=", 1)[1]
    assert jwt.decode(refreshed, SECRET, salt="sid", version=5)["sub"] == "1"  # still Auth.js's, for the Next.js app


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(exclude_categories=()), max_size=5),  # lone surrogates too: JSON can carry them
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def containers(item: Any) -> list[int]:
    if isinstance(item, dict):
        return [id(item), *(i for v in item.values() for i in containers(v))]
    if isinstance(item, list):
        return [id(item), *(i for v in item for i in containers(v))]
    return []


@given(JSON)
def test_copy_claims_is_an_equal_deep_copy(value: Any) -> None:
    copied = copy_claims(value)
    assert copied == value
    assert type(copied) is type(value)
    assert not set(containers(copied)) & set(containers(value))


@given(st.dictionaries(st.text(max_size=5), JSON, max_size=6))
def test_decoded_token_hands_out_equal_independent_copies(claims: dict[str, Any]) -> None:
    decoded = DecodedToken(claims, version=4)
    first, second = decoded.claims(), decoded.claims()
    assert first == second == claims
    assert list(first) == list(claims)  # key order kept
    assert repr(first) == repr(claims)  # -0.0 stays -0.0, True stays True (not 1)
    first_ids, second_ids, original_ids = (set(containers(c)) for c in (first, second, claims))
    assert not first_ids & second_ids
    assert not (first_ids | second_ids) & original_ids


def test_deeply_nested_claims_are_cached_and_copied() -> None:
    deep: list[Any] = []
    for _ in range(900):  # about as deep as json.loads goes
        deep = [deep]
    token = jwt.encode({"sub": "1", "deep": deep}, SECRET)
    reader = TokenReader(secret=SECRET)
    scope = request(cookie=f"{V4}={token}")
    first = reader.claims_now(scope)
    second = reader.claims_now(scope)
    assert first is not None
    assert second is not None
    assert first["deep"] is not second["deep"]
    assert copy_claims([[[deep]]])[0][0][0] is not deep


async def test_hook_results_with_cycles_and_objects_are_handled() -> None:
    marker = object()
    loop: list[Any] = []
    loop.append(loop)
    shared: list[Any] = []
    for _ in range(64):  # 2**64 paths, 64 lists: copied once each
        shared = [shared, shared]
    reader = TokenReader(decode=lambda **_: {"sub": "1", "loop": loop, "shared": shared, "obj": [marker]})
    found = await reader.read_token(request(cookie=f"{V4}=opaque"))
    assert found is not None
    claims = found.claims()
    assert claims["loop"][0] is claims["loop"] is not loop
    assert claims["shared"][0] is claims["shared"][1]
    assert claims["obj"][0] is marker
    assert await reader.read(request(cookie=f"{V4}=opaque")) is not None


def test_cache_entries_are_tagged_with_their_source() -> None:
    cache, here, there = TokenCache(), object(), object()
    cache.put("t", {"sub": "1"}, source=here)
    assert cache.get("t", 0, source=here) == {"sub": "1"}
    assert cache.get("t", 0, source=there) is None
    assert cache.get("t", 0) is None


# ----------------------------------------------------------------------------- BoundedCache


def test_bounded_cache_starts_over_when_full() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("b", 20)  # a known key is replaced, never a reason to start over
    assert (cache.get("a"), cache.get("b")) == (1, 20)
    cache.put("c", 3)  # full, and "c" is new: start over
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, None, 3)
    assert len(cache) == 1


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 20)), max_size=200), st.integers(0, 8))
def test_bounded_cache_never_exceeds_its_size(operations: list[tuple[bool, int]], size: int) -> None:
    cache: BoundedCache[int, int] = BoundedCache(size)
    for put, key in operations:
        if put:
            cache.put(key, key)
        else:
            assert cache.get(key) in (None, key)
        assert len(cache) <= size


def test_a_zero_size_cache_stores_nothing() -> None:
    cache: BoundedCache[str, int] = BoundedCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None
    with pytest.raises(ValueError, match="cache size"):
        BoundedCache(-1)


def test_memoized_remembers_results_but_not_none() -> None:
    calls: list[int] = []

    @memoized(2)
    def half(n: int) -> int | None:
        calls.append(n)
        return n // 2 if n % 2 == 0 else None

    assert [half(4), half(4), half(3), half(3)] == [2, 2, None, None]
    assert calls == [4, 3, 3]
    half(6)
    half(8)  # evicts 4
    half(4)
    assert calls == [4, 3, 3, 6, 8, 4]


# ----------------------------------------------------------------------------- TokenCache


def test_cache_honours_exp_and_bounds() -> None:
    cache = TokenCache(2, leeway=15)
    cache.put("a", {"exp": 100})
    assert cache.get("a", 114) == {"exp": 100}
    assert cache.get("a", 115) is None
    assert len(cache) == 0
    cache.put("b", {})
    cache.put("c", {})
    assert cache.get("b", 0) == {}
    cache.put("d", {})  # full: it starts over
    assert cache.get("b", 0) is None
    assert cache.get("d", 0) == {}


def test_cache_hands_out_copies() -> None:
    cache = TokenCache(4)
    cache.put("a", {"role": "user"})
    got = cache.get("a", 0)
    assert got is not None
    got["role"] = "admin"
    assert cache.get("a", 0) == {"role": "user"}


def test_cache_size_zero_disables() -> None:
    cache = TokenCache(0)
    cache.put("a", {})
    assert cache.get("a", 0) is None
