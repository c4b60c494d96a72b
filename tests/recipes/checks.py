"""The checks every recipe app passes (each framework's test module runs them on its app)."""

from __future__ import annotations

import time
from typing import Any

from asgi_withauth import jwt
from tests.recipes import SECRET
from tests.recipes._harness import (
    ADA,
    ADA_USER,
    COOKIE,
    ISO_MS,
    THIRTY_DAYS,
    callback_url,
    client,
    seconds_until,
    session_cookie,
    set_cookies,
)


async def public_route_needs_no_session(app: Any) -> None:
    async with client(app) as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert response.json() == {"page": "public"}


async def protected_route_redirects_without_a_session_and_reads_the_token_with_one(app: Any) -> None:
    async with client(app) as http:
        anonymous = await http.get("/dashboard?tab=1")
        signed_in = await http.get("/dashboard", headers=session_cookie())
    assert anonymous.status_code == 307
    assert anonymous.headers["location"].startswith("http://testserver/api/auth/signin?")
    assert callback_url(anonymous.headers["location"]) == "/dashboard?tab=1"
    assert signed_in.status_code == 200
    assert signed_in.json() == {"sub": "42"}


async def api_route_answers_401_json_without_a_session(app: Any) -> None:
    async with client(app) as http:
        anonymous = await http.get("/api/me")
        signed_in = await http.get("/api/me", headers=session_cookie())
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["error"] == "unauthorized"
    assert signed_in.json() == {"sub": "42"}


async def session_route_returns_the_session_and_the_refreshed_cookie(app: Any) -> None:
    async with client(app) as http:
        response = await http.get("/session", headers=session_cookie(max_age=3600))
    session = response.json()
    assert session["user"] == ADA_USER
    assert ISO_MS.fullmatch(session["expires"])
    assert abs(seconds_until(session["expires"]) - THIRTY_DAYS) < 60
    cookies = set_cookies(response.headers.get_list("set-cookie"))
    value, attributes = cookies[COOKIE]
    assert attributes.keys() >= {"path", "expires", "httponly", "samesite"}
    assert (attributes["path"], attributes["samesite"]) == ("/", "Lax")
    claims = jwt.decode(value, SECRET)
    assert claims["sub"] == ADA["sub"]
    assert claims["exp"] > time.time() + THIRTY_DAYS - 60  # the sliding expiry: 30 days from now, not 1 hour


async def session_route_without_a_session_and_with_a_bad_cookie(app: Any) -> None:
    async with client(app) as http:
        anonymous = await http.get("/session")
        tampered = await http.get("/session", headers={"cookie": f"{COOKIE}=not-a-token"})
    assert anonymous.json() is None
    assert "set-cookie" not in anonymous.headers
    assert tampered.json() is None
    _, attributes = set_cookies(tampered.headers.get_list("set-cookie"))[COOKIE]
    assert attributes["max-age"] == "0"  # the broken session is cleared


async def long_session_is_written_back_in_chunks(app: Any) -> None:
    claims = {**ADA, "bio": "x" * 6000}
    async with client(app) as http:
        response = await http.get("/session", headers=session_cookie(claims))
    cookies = set_cookies(response.headers.get_list("set-cookie"))
    assert cookies[COOKIE][1]["max-age"] == "0"  # the unchunked cookie the request carried
    chunks = [cookies[f"{COOKIE}.{i}"][0] for i in range(len(cookies) - 1)]
    assert len(chunks) > 1
    assert jwt.decode("".join(chunks), SECRET)["bio"] == claims["bio"]
