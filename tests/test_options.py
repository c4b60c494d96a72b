"""AuthOptions: one frozen set of options, built the same way by every entry point."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from asgi_withauth import AuthOptions, MissingSecretError, WithAuth, get_server_session, get_token, jwt
from asgi_withauth.fastapi import NextAuth
from asgi_withauth.options import AuthKwargs, Environment
from asgi_withauth.sessions import sessions_for
from asgi_withauth.starlette_auth import NextAuthBackend
from tests.asgi import http_scope, run

pytestmark = pytest.mark.anyio

SECRET = "options-secret"
V4 = "next-auth.session-token"
ENV = ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def with_cookie(token: str, path: str = "/") -> dict[str, Any]:
    return http_scope(f"http://app.test{path}", headers={"cookie": f"{V4}={token}"})


# --------------------------------------------------------------------------- building


def test_next_auth_spellings_and_python_names_give_the_same_options() -> None:
    def authorized(token: Any, request: Any) -> bool:
        return True

    spelled = AuthOptions.build(
        pages={"signIn": "/login", "error": "/oops"},
        cookies={"sessionToken": {"name": "sid", "options": {"domain": "example.com"}}},
        session={"maxAge": 60, "updateAge": 10},
        callbacks={"authorized": authorized},
    )
    pythonic = AuthOptions.build(
        sign_in_page="/login",
        error_page="/oops",
        cookie_name="sid",
        cookie_options={"domain": "example.com"},
        max_age=60,
        update_age=10,
        authorized=authorized,
    )
    for name in ("sign_in_page", "error_page", "cookie_name", "max_age", "update_age"):
        assert getattr(spelled, name) == getattr(pythonic, name)
    assert dict(spelled.cookie_options) == dict(pythonic.cookie_options) == {"domain": "example.com"}
    assert spelled.callback("authorized") is pythonic.callback("authorized") is authorized


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sign_in_page": "/a", "pages": {"signIn": "/b"}},
        {"cookie_name": "a", "cookies": {"sessionToken": {"name": "b"}}},
        {"max_age": 60, "session": {"maxAge": 120}},
        {"authorized": lambda t, r: True, "callbacks": {"authorized": lambda t, r: False}},
        {"decode": lambda **_: {}, "jwt": {"decode": lambda **_: None}},
    ],
)
def test_a_setting_given_twice_with_different_values_is_refused(kwargs: Any) -> None:
    with pytest.raises(TypeError, match="given twice"):
        AuthOptions.build(**kwargs)


def test_a_setting_given_twice_with_the_same_value_is_fine() -> None:
    assert AuthOptions.build(sign_in_page="/a", pages={"signIn": "/a"}).sign_in_page == "/a"


@pytest.mark.parametrize(
    ("kwargs", "mentions"),
    [
        ({"pages": {"signin": "/a"}}, "signin"),
        ({"callbacks": {"authorised": print}}, "authorised"),
        ({"session": {"max_age": 1}}, "max_age"),
        ({"cookies": {"session": {}}}, "session"),
        ({"jwt": {"maxage": 1}}, "maxage"),
        ({"sign_in": "/a"}, "sign_in"),
    ],
)
def test_unknown_keys_are_refused_everywhere(kwargs: Any, mentions: str) -> None:
    entry_points: list[Callable[[], object]] = [
        lambda: AuthOptions.build(**kwargs),
        lambda: WithAuth(Starlette(), secret=SECRET, **kwargs),
        lambda: NextAuth(secret=SECRET, **kwargs),
        lambda: NextAuthBackend(secret=SECRET, **kwargs),
    ]
    for build in entry_points:
        with pytest.raises(TypeError, match=mentions):
            build()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"version": 3}, "version"),
        ({"leeway": -1}, "leeway"),
        ({"max_age": 0}, "max_age"),
        ({"cache_size": -1}, "cache_size"),
        ({"max_age": True}, "max_age"),
    ],
)
def test_impossible_values_are_refused(kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AuthOptions(**kwargs)


def test_options_are_frozen_and_replace_makes_a_copy() -> None:
    options = AuthOptions(secret=SECRET)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.secret = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        options.callbacks["jwt"] = print  # type: ignore[index]
    changed = options.replace(max_age=60)
    assert (changed.max_age, options.max_age) == (60, jwt.DEFAULT_MAX_AGE)
    assert changed.secret == SECRET


def test_build_with_no_keywords_keeps_the_options_object() -> None:
    options = AuthOptions(secret=SECRET)
    assert AuthOptions.build(options) is options
    assert AuthOptions.build(options, max_age=60) is not options


def test_a_secret_list_is_kept_as_a_tuple() -> None:
    assert AuthOptions(secret=["new", "old"]).secret == ("new", "old")


def test_the_keyword_arguments_type_lists_every_field() -> None:
    fields = {f.name for f in dataclasses.fields(AuthOptions)} - {"env"}
    spellings = {"pages", "cookies", "jwt", "session", "authorized"}
    assert set(AuthKwargs.__annotations__) == fields | spellings


# --------------------------------------------------------------------------- the environment


def test_the_environment_is_read_when_the_options_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTAUTH_SECRET", "from-env")
    monkeypatch.setenv("NEXTAUTH_URL", "https://example.com/custom/auth")
    options = AuthOptions()
    monkeypatch.setenv("NEXTAUTH_SECRET", "changed-later")
    assert options.resolved_secret == "from-env"
    assert options.resolved_secure_cookie is True
    assert options.resolved_auth_path == "/custom/auth"
    assert AuthOptions().resolved_secret == "changed-later"


@pytest.mark.parametrize(
    ("environ", "secret", "name"),
    [
        ({"NEXTAUTH_SECRET": "a", "AUTH_SECRET": "b"}, "a", "NEXTAUTH_SECRET"),
        ({"AUTH_SECRET": "b"}, "b", "AUTH_SECRET"),
        ({"NEXTAUTH_SECRET": "", "AUTH_SECRET": "b"}, "b", "AUTH_SECRET"),
        ({"NEXTAUTH_SECRET": "", "AUTH_SECRET": ""}, None, None),
    ],
)
def test_environment_secret_order(environ: dict[str, str], secret: str | None, name: str | None) -> None:
    env = Environment.read(environ)
    assert (env.secret, env.secret_name) == (secret, name)


@pytest.mark.parametrize(
    ("environ", "secure"),
    [
        ({"NEXTAUTH_URL": "https://a.test"}, True),
        ({"AUTH_URL": "http://a.test"}, False),
        ({"VERCEL": "1"}, True),
        ({}, None),
    ],
)
def test_environment_secure_cookie_default(environ: dict[str, str], secure: bool | None) -> None:
    assert Environment.read(environ).secure_cookie is secure


def test_an_explicit_empty_secret_does_not_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTAUTH_SECRET", "from-env")
    assert AuthOptions(secret="").resolved_secret is None
    assert not AuthOptions(secret="").configured


# --------------------------------------------------------------------------- every entry point


async def test_every_entry_point_accepts_one_options_object() -> None:
    options = AuthOptions(secret=SECRET, cookie_name="sid", max_age=120)
    token = jwt.encode({"sub": "1", "name": "Ada"}, SECRET)
    scope = http_scope("http://app.test/", headers={"cookie": f"sid={token}"})

    assert (await get_token(scope, options=options) or {})["sub"] == "1"
    assert await get_token(scope, options=options, raw=True) == token
    session = await get_server_session(scope, options=options)
    assert session is not None
    assert session["user"] == {"name": "Ada"}

    async def endpoint(request: Request) -> Response:
        return JSONResponse({"user": request.user.identity})

    app = Starlette(
        routes=[Route("/", endpoint)],
        middleware=[Middleware(AuthenticationMiddleware, backend=NextAuthBackend(options))],
    )
    sent = await run(WithAuth(app, options=options), scope)
    assert sent.status == 200
    assert json.loads(sent.body) == {"user": "1"}
    assert (await NextAuth(options).token(Request(scope)) or {})["sub"] == "1"


async def test_one_options_object_derives_its_keys_once(decodes: list[str]) -> None:
    options = AuthOptions(secret=SECRET)
    scope = with_cookie(jwt.encode({"sub": "1"}, SECRET))
    for _ in range(3):
        assert await get_token(scope, options=options) is not None
    assert len(decodes) == 1  # the same reader, the same cache
    assert sessions_for(options) is sessions_for(options)
    assert sessions_for(AuthOptions(secret=SECRET)) is not sessions_for(options)


async def test_keyword_arguments_apply_on_top_of_the_options_object() -> None:
    options = AuthOptions(secret="wrong-secret")
    scope = with_cookie(jwt.encode({"sub": "1"}, SECRET))
    assert await get_token(scope, options=options) is None
    assert await get_token(scope, options=options, secret=SECRET) is not None


async def test_a_missing_secret_raises_from_every_reading_entry_point() -> None:
    options = AuthOptions()
    scope = http_scope("http://app.test/", headers={"cookie": f"{V4}=x"})
    with pytest.raises(MissingSecretError):
        await get_token(scope, options=options)
    with pytest.raises(MissingSecretError):
        await get_server_session(scope, options=options)


async def test_withauth_takes_pages_and_callbacks_from_the_options_object() -> None:
    options = AuthOptions(secret=SECRET, sign_in_page="/login", callbacks={"authorized": lambda t, r: False})
    sent = await run(WithAuth(Starlette(), options=options), with_cookie(jwt.encode({"sub": "1"}, SECRET), "/x"))
    assert sent.status == 307
    assert sent.headers["location"].startswith("http://app.test/login?callbackUrl=")


def test_the_environments_options_are_one_object_until_the_environment_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEXTAUTH_SECRET", "one")
    first = AuthOptions.build()
    assert AuthOptions.build() is first
    assert sessions_for(AuthOptions.build()) is sessions_for(first)  # keys derived once
    monkeypatch.setenv("NEXTAUTH_SECRET", "two")
    second = AuthOptions.build()
    assert second is not first
    assert second.resolved_secret == "two"


async def test_the_handler_helpers_refuse_unknown_keys_and_conflicts_too() -> None:
    scope = http_scope("http://app.test/")
    with pytest.raises(TypeError, match="signin"):
        await get_server_session(scope, secret=SECRET, pages={"signin": "/a"})
    with pytest.raises(TypeError, match="given twice"):
        await get_server_session(scope, secret=SECRET, max_age=60, session={"maxAge": 120})
    with pytest.raises(TypeError, match="cookie_nam"):
        await get_token(scope, secret=SECRET, cookie_nam="sid")  # type: ignore[call-overload]
