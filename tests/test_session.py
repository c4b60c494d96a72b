"""get_server_session: callbacks, sliding expiry cookies, failures; WithAuth(refresh=True)."""

from __future__ import annotations

import logging
import re
import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
from starlette.responses import JSONResponse, StreamingResponse

from asgi_withauth import MissingSecretError, ServerSession, WithAuth, get_server_session, jwt, load_server_session
from asgi_withauth._request.cookies import chunk_session_cookie
from tests.asgi import http_scope, run
from tests.test_jwt import handmade

pytestmark = pytest.mark.anyio

SECRET = "session-secret"
V4 = "next-auth.session-token"
V5 = "authjs.session-token"
CLAIMS = {"name": "Ada", "email": "ada@example.com", "picture": "https://img/ada.png", "sub": "42"}
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL"):
        monkeypatch.delenv(name, raising=False)


def scope_with(cookie: str | None, url: str = "http://app.test/") -> dict[str, Any]:
    return http_scope(url, headers={"cookie": cookie} if cookie else None)


def v4_cookie(claims: dict[str, Any] | None = None, **encode: Any) -> str:
    return f"{V4}={jwt.encode(claims or CLAIMS, SECRET, **encode)}"


def parsed(set_cookie: list[str]) -> dict[str, Any]:
    jar: dict[str, Any] = {}
    for header in set_cookie:
        cookie = SimpleCookie()
        cookie.load(header)
        jar.update(cookie)
    return jar


def joined_token(set_cookie: list[str], name: str) -> str:
    jar = parsed(set_cookie)
    if name in jar and jar[name].value:
        return str(jar[name].value)
    return "".join(jar[f"{name}.{i}"].value for i in range(len(jar)) if f"{name}.{i}" in jar)


async def test_default_session_and_sliding_cookie() -> None:
    before = time.time()
    result = await load_server_session(scope_with(v4_cookie(max_age=60)), secret=SECRET)
    assert result.session is not None
    assert result.session["user"] == {"name": "Ada", "email": "ada@example.com", "image": "https://img/ada.png"}
    assert ISO_MS.fullmatch(result.session["expires"])
    [header] = result.set_cookie
    assert header.startswith(f"{V4}=")
    assert header.endswith(
        "; Path=/; Expires=" + header.split("Expires=")[1].split(";")[0] + "; HttpOnly; SameSite=Lax"
    )
    claims = jwt.decode(joined_token(result.set_cookie, V4), SECRET)
    assert claims["exp"] >= int(before) + jwt.DEFAULT_MAX_AGE  # a fresh 30 days, not the old 60 s
    assert claims["sub"] == "42"


async def test_no_cookie_no_session_no_cookies() -> None:
    assert await load_server_session(scope_with(None), secret=SECRET) == ServerSession(None, [])
    bearer = http_scope("http://app.test/", headers={"authorization": f"Bearer {jwt.encode(CLAIMS, SECRET)}"})
    assert (await load_server_session(bearer, secret=SECRET)).session is None  # cookies only, like next-auth


async def test_no_secret_is_a_configuration_error() -> None:
    with pytest.raises(MissingSecretError):
        await get_server_session(scope_with(v4_cookie()))


@pytest.mark.parametrize("bad", ["garbage", "expired", "tampered"])
async def test_invalid_token_clears_the_cookies(bad: str) -> None:
    token = {"garbage": "x.y.z", "expired": jwt.encode(CLAIMS, SECRET, max_age=-60)}.get(bad)
    if token is None:
        good = jwt.encode(CLAIMS, SECRET)
        token = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    result = await load_server_session(scope_with(f"{V4}={token}; {V4}.1=stale"), secret=SECRET)
    assert result.session is None
    assert result.set_cookie == [
        f"{V4}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
        f"{V4}.1=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    ]


def kw_jwt(token: dict[str, Any]) -> dict[str, Any]:
    return {**token, "role": "admin"}


async def async_kw_session(*, session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    return {**session, "role": token["role"]}


def dict_session(params: dict[str, Any]) -> dict[str, Any]:
    params["token"]["touched"] = True  # the session callback may change the token that is encoded
    return {**params["session"], "id": params["token"]["sub"]}


async def test_callbacks_sync_async_keyword_and_dict_style() -> None:
    result = await load_server_session(
        scope_with(v4_cookie()), secret=SECRET, callbacks={"jwt": kw_jwt, "session": async_kw_session}
    )
    assert result.session is not None
    assert result.session["role"] == "admin"
    assert jwt.decode(joined_token(result.set_cookie, V4), SECRET)["role"] == "admin"
    mutated = await load_server_session(scope_with(v4_cookie()), secret=SECRET, callbacks={"session": dict_session})
    assert mutated.session is not None
    assert mutated.session["id"] == "42"
    assert jwt.decode(joined_token(mutated.set_cookie, V4), SECRET)["touched"] is True


async def test_v4_user_comes_from_the_decoded_token_v5_from_the_jwt_callback() -> None:
    def rename(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "name": "Renamed"}

    v4 = await load_server_session(scope_with(v4_cookie()), secret=SECRET, callbacks={"jwt": rename})
    v5_cookie = f"{V5}={jwt.encode(CLAIMS, SECRET, salt=V5, version=5)}"
    v5 = await load_server_session(scope_with(v5_cookie), secret=SECRET, callbacks={"jwt": rename})
    assert v4.session is not None
    assert v5.session is not None
    assert v4.session["user"]["name"] == "Ada"
    assert v5.session["user"]["name"] == "Renamed"
    assert v5.set_cookie[0].startswith(f"{V5}=")
    assert jwt.decode(joined_token(v5.set_cookie, V5), SECRET, salt=V5, version=5)["name"] == "Renamed"


def raises(**_: Any) -> Any:
    raise RuntimeError("callback bug")


@pytest.mark.parametrize(
    "callbacks",
    [
        {"jwt": raises},
        {"session": raises},
        {"jwt": lambda token: None},
        {"session": lambda session, token: {"when": object()}},
        {"jwt": lambda token: {**token, "x": float("nan")}},
        {"session": lambda session, token: "a string"},
    ],
    ids=["jwt-raises", "session-raises", "jwt-none", "not-json", "nan", "not-a-dict"],
)
async def test_failing_callbacks_give_no_session_and_a_clear_log(
    callbacks: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="asgi_withauth"):
        result = await load_server_session(scope_with(v4_cookie()), secret=SECRET, callbacks=callbacks)
    assert result.session is None
    assert result.set_cookie == [f"{V4}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"]
    assert "JWT_SESSION_ERROR" in caplog.text


async def test_session_callback_returning_none_means_no_session_but_keeps_the_cookie(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="asgi_withauth"):
        result = await load_server_session(
            scope_with(v4_cookie()), secret=SECRET, callbacks={"session": lambda session, token: None}
        )
    assert result.session is None
    assert jwt.decode(joined_token(result.set_cookie, V4), SECRET)["sub"] == "42"  # refreshed, as next-auth does
    assert "returned None" in caplog.text


async def test_missing_claims_are_left_out_of_the_user() -> None:
    result = await load_server_session(scope_with(v4_cookie({"sub": "7", "name": None})), secret=SECRET)
    assert result.session is not None
    assert result.session["user"] == {"name": None}


async def test_a_session_cookie_with_a_missing_chunk_is_cleared() -> None:
    big = jwt.encode({**CLAIMS, "blob": "b" * 9000}, SECRET)
    writes = chunk_session_cookie(V4, big)
    cookie = "; ".join(f"{w.name}={w.value}" for w in writes if w.name != f"{V4}.1")
    result = await load_server_session(scope_with(cookie), secret=SECRET)
    assert result.session is None
    assert [h.split(";")[0] for h in result.set_cookie] == [f"{V4}.0=", f"{V4}.2=", f"{V4}.3="][: len(writes) - 1]


async def test_token_without_exp_still_gets_a_session_and_an_exp() -> None:
    token = handmade({"alg": "dir", "enc": "A256GCM"}, b'{"name":"NoExp","sub":"9"}', secret=SECRET)
    result = await load_server_session(scope_with(f"{V4}={token}"), secret=SECRET)
    assert result.session is not None
    assert result.session["user"]["name"] == "NoExp"
    assert "exp" in jwt.decode(joined_token(result.set_cookie, V4), SECRET)


async def test_growing_session_is_chunked_and_shrinking_clears_stale_chunks() -> None:
    def grow(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "blob": "b" * 9000}

    grown = await load_server_session(scope_with(v4_cookie()), secret=SECRET, callbacks={"jwt": grow})
    assert [h.split("=")[0] for h in grown.set_cookie] == [V4, f"{V4}.0", f"{V4}.1", f"{V4}.2", f"{V4}.3"]
    assert grown.set_cookie[0].startswith(f"{V4}=; Max-Age=0")
    big = jwt.encode({**CLAIMS, "blob": "b" * 9000}, SECRET)
    chunks = "; ".join(f"{w.name}={w.value}" for w in chunk_session_cookie(V4, big))
    shrunk = await load_server_session(
        scope_with(chunks),
        secret=SECRET,
        callbacks={"jwt": lambda token: {k: v for k, v in token.items() if k != "blob"}},
    )
    names = [h.split("=")[0] for h in shrunk.set_cookie]
    assert names[-1] == V4
    assert all(h.startswith(f"{n}=; Max-Age=0") for h, n in zip(shrunk.set_cookie, names[:-1], strict=False))


async def test_oversized_session_is_refused_with_a_clear_error(caplog: pytest.LogCaptureFixture) -> None:
    def huge(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "blob": "h" * 60_000}

    with caplog.at_level(logging.ERROR, logger="asgi_withauth"):
        result = await load_server_session(scope_with(v4_cookie()), secret=SECRET, callbacks={"jwt": huge})
    assert result.session is None
    assert "limit" in caplog.text


async def test_max_age_update_age_and_secure_cookies() -> None:
    secure = http_scope("https://app.test/", headers={"cookie": f"__Secure-{V4}={jwt.encode(CLAIMS, SECRET)}"})
    result = await load_server_session(secure, secret=SECRET, session={"maxAge": 3600})
    assert "; Secure" in result.set_cookie[0]
    assert result.set_cookie[0].startswith(f"__Secure-{V4}=")
    assert jwt.decode(joined_token(result.set_cookie, f"__Secure-{V4}"), SECRET)["exp"] <= time.time() + 3601
    fresh = await load_server_session(scope_with(v4_cookie()), secret=SECRET, update_age=3600)
    assert fresh.session is not None
    assert fresh.set_cookie == []  # issued seconds ago: not rewritten
    changed = await load_server_session(
        scope_with(v4_cookie()), secret=SECRET, update_age=3600, callbacks={"jwt": kw_jwt}
    )
    assert len(changed.set_cookie) == 1  # the jwt callback changed it: rewritten


async def test_cookie_options_in_next_auth_spelling() -> None:
    options = {"sessionToken": {"name": "sid", "options": {"domain": "example.com", "sameSite": "strict"}}}
    result = await load_server_session(
        scope_with(f"sid={jwt.encode(CLAIMS, SECRET, salt='sid', version=5)}"), secret=SECRET, cookies=options
    )
    assert result.set_cookie[0].startswith("sid=")
    assert "; Domain=example.com; Path=/;" in result.set_cookie[0]
    assert result.set_cookie[0].endswith("; HttpOnly; SameSite=Strict")


async def test_get_server_session_puts_cookies_on_the_response() -> None:
    response = JSONResponse({})
    session = await get_server_session(scope_with(v4_cookie()), secret=SECRET, response=response)
    assert session is not None
    assert len(response.headers.getlist("set-cookie")) == 1
    with pytest.raises(TypeError, match="set_cookie"):
        ServerSession({}, ["a=b"]).apply(object())


# ----------------------------------------------------------------------------- many chunks: bounded answers

# No session the codec accepts (64 KiB) needs more than 17 chunks, and clearing only ever names
# the plain cookie and chunks .0 to .16: at most 18 Set-Cookie headers, whatever the request holds.
MOST_SET_COOKIES = 18


def junk_chunks(count: int, *, start: int = 0, value: str = "x") -> str:
    return "; ".join(f"{V4}.{i}={value}" for i in range(start, start + count))


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(junk_chunks(10_000), id="contiguous"),
        pytest.param(junk_chunks(10_000, start=1), id="with-a-gap"),
        pytest.param(f"{junk_chunks(5_000, start=5_000)}; {junk_chunks(5_000)}", id="out-of-order"),
    ],
)
async def test_thousands_of_junk_chunks_get_a_bounded_answer(cookie: str) -> None:
    result = await load_server_session(scope_with(cookie), secret=SECRET)
    assert result.session is None
    assert 1 <= len(result.set_cookie) <= MOST_SET_COOKIES
    assert all("Max-Age=0" in header for header in result.set_cookie)
    assert sum(map(len, result.set_cookie)) < 2_000


async def test_a_valid_token_cut_into_hundreds_of_chunks_is_refused() -> None:
    token = jwt.encode(CLAIMS, SECRET)
    cookie = "; ".join(f"{V4}.{i}={char}" for i, char in enumerate(token))
    result = await load_server_session(scope_with(cookie), secret=SECRET)
    assert result.session is None
    assert len(result.set_cookie) <= MOST_SET_COOKIES


async def test_a_good_plain_cookie_beside_junk_chunks_is_refreshed_with_bounded_clearings() -> None:
    result = await load_server_session(scope_with(f"{v4_cookie()}; {junk_chunks(10_000)}"), secret=SECRET)
    assert result.session is not None
    assert len(result.set_cookie) == MOST_SET_COOKIES
    assert [h.split("=")[0] for h in result.set_cookie] == [V4, *(f"{V4}.{i}" for i in range(17))]
    assert not result.set_cookie[0].startswith(f"{V4}=;")  # rewritten in place, as next-auth orders it
    assert jwt.decode(joined_token(result.set_cookie, V4), SECRET)["sub"] == "42"


async def test_the_largest_chunked_session_still_works() -> None:
    big = jwt.encode({**CLAIMS, "blob": "b" * 46_000}, SECRET)  # about 61 KiB: 16 chunks
    writes = chunk_session_cookie(V4, big)
    assert len(writes) == 16
    result = await load_server_session(scope_with("; ".join(f"{w.name}={w.value}" for w in writes)), secret=SECRET)
    assert result.session is not None
    assert [h.split("=")[0] for h in result.set_cookie] == [w.name for w in writes]
    assert jwt.decode(joined_token(result.set_cookie, V4), SECRET)["blob"] == "b" * 46_000


# ----------------------------------------------------------------------------- WithAuth(refresh=True)


class Streaming:
    """An app whose body arrives in pieces, and optionally sets the session cookie itself."""

    def __init__(self, own_cookie: str | None = None) -> None:
        self.own_cookie = own_cookie

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def body() -> Any:
            yield b"one,"
            yield b"two"

        response = StreamingResponse(body(), media_type="text/plain")
        if self.own_cookie:
            response.raw_headers.append((b"set-cookie", self.own_cookie.encode()))
        await response(scope, receive, send)


async def test_middleware_refresh_adds_cookies_without_buffering() -> None:
    app = WithAuth(Streaming(), secret=SECRET, refresh=True, session={"maxAge": 600})
    sent = await run(app, scope_with(v4_cookie()))
    assert sent.status == 200
    assert [m.get("body") for m in sent.messages[1:] if m.get("body")] == [b"one,", b"two"]
    headers = [v.decode() for k, v in sent.messages[0]["headers"] if k == b"set-cookie"]
    assert len(headers) == 1
    exp = jwt.decode(joined_token(headers, V4), SECRET)["exp"]
    assert time.time() + 590 <= exp <= time.time() + 601


async def test_middleware_refresh_respects_the_apps_own_session_cookie_and_update_age() -> None:
    signing_out = WithAuth(Streaming(own_cookie=f"{V4}=; Max-Age=0; Path=/"), secret=SECRET, refresh=True)
    sent = await run(signing_out, scope_with(v4_cookie()))
    assert [v for k, v in sent.messages[0]["headers"] if k == b"set-cookie"] == [f"{V4}=; Max-Age=0; Path=/".encode()]
    lazy = WithAuth(Streaming(), secret=SECRET, refresh=True, update_age=3600)
    assert not [k for k, _ in (await run(lazy, scope_with(v4_cookie()))).messages[0]["headers"] if k == b"set-cookie"]
    bearer = http_scope("http://app.test/", headers={"authorization": f"Bearer {jwt.encode(CLAIMS, SECRET)}"})
    plain = WithAuth(Streaming(), secret=SECRET, refresh=True)
    assert not [k for k, _ in (await run(plain, bearer)).messages[0]["headers"] if k == b"set-cookie"]
