"""Judge a reply against a case's expectation; the invariants hold whatever was expected.

Invariants, for every reply: no 5xx; no success (2xx, 101) and no ``PROTECTED:`` marker unless
the case expects the handler to answer; every ``Location`` is either a same-origin path
(``/x``, never ``//x`` nor ``/\\x``) or WithAuth's sign-in page on the expected origin with a
``callbackUrl`` that is itself a same-origin path; WithAuth's redirects are ``no-store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.bypass.client import fill
from tests.bypass.model import Expect
from tests.matrix import PROTECTED
from tests.matrix.wire import NO_RESPONSE, Address, Reply, _header


@dataclass(frozen=True)
class Result:
    """What one server answered to a case, and to the request that followed its redirect."""

    server: str
    address: Address
    reply: Reply
    followed: Reply | None = None


def same_origin_path(url: str) -> bool:
    """Whether a browser resolves ``url`` to a path on the origin it came from."""
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and not any(c in url for c in "\t\r\n")
        and url.isascii()
    )


def header(reply: Reply, name: str) -> str | None:
    value = _header(reply.head, name.encode())
    return None if value is None else value.decode("latin-1")


def _location_problems(reply: Reply, expect: Expect, address: Address) -> list[str]:
    location = header(reply, "location")
    if location is None:
        return []
    parts = urlsplit(location)
    if not (parts.scheme or parts.netloc):
        return [] if same_origin_path(location) else [f"OPEN REDIRECT: Location {location!r} leaves the origin"]
    problems = []
    origin = fill(expect.origin, address)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        problems.append(f"OPEN REDIRECT: Location {location!r} is not on {origin}")
    if parts.path != expect.sign_in:
        problems.append(f"Location {location!r} is not the sign-in page {expect.sign_in}")
    callbacks = parse_qs(parts.query).get("callbackUrl", [])
    if len(callbacks) != 1 or not same_origin_path(callbacks[0]):
        problems.append(f"OPEN REDIRECT: callbackUrl {callbacks!r} is not one same-origin path")
    return problems


def _invariant_problems(reply: Reply, expect: Expect, address: Address) -> list[str]:
    problems = []
    if reply.status >= 500:
        problems.append(f"SERVER ERROR {reply.status}")
    if expect.outcome != "allowed":
        if 200 <= reply.status < 300 or reply.status == 101:
            problems.append(f"BYPASS: answered {reply.status}")
        if PROTECTED.encode() in reply.body:
            problems.append("BYPASS: the body carries a protected handler's marker")
    problems += _location_problems(reply, expect, address)
    if reply.status in (307, 308) and header(reply, "cache-control") != "no-store":
        problems.append("a redirect without Cache-Control: no-store")
    return problems


def _expectation_problems(reply: Reply, expect: Expect, address: Address) -> list[str]:
    if reply.status not in expect.status:
        shown = "no response" if reply.status == NO_RESPONSE else str(reply.status)
        return [f"expected {'/'.join(map(str, expect.status))}, got {shown}"]
    location = header(reply, "location")
    if expect.callback is not None:
        callbacks = parse_qs(urlsplit(location or "").query).get("callbackUrl")
        if callbacks != [fill(expect.callback, address)]:
            return [f"expected callbackUrl {expect.callback!r}, got {callbacks!r} (Location {location!r})"]
    if expect.location is not None and location != fill(expect.location, address):
        return [f"expected Location {expect.location!r}, got {location!r}"]
    if expect.marker is not None and expect.marker.encode() not in reply.body:
        return [f"expected the marker {expect.marker!r}, got {reply.body[:120]!r}"]
    return []


def problems(result: Result, expect: Expect) -> list[str]:
    """Everything wrong with a result: broken invariants first, then a wrong expectation."""
    found = _invariant_problems(result.reply, expect, result.address)
    found += _expectation_problems(result.reply, expect, result.address)
    if expect.then is not None:
        if result.followed is None:
            found.append("the redirect was not followed")
        else:
            followed = Result(result.server, result.address, result.followed)
            found += [f"after following: {problem}" for problem in problems(followed, expect.then)]
    return found


def describe(reply: Reply) -> str:
    """One line: status, Location, the start of the body."""
    location = header(reply, "location")
    where = f" -> {location}" if location else ""
    note = f" ({reply.note})" if reply.note else ""
    return f"{reply.status}{where} {reply.body[:100]!r}{note}"
