"""The bypass table: every request shape, by category; append rows to ``CASES``.

``tests/test_bypass_table.py`` sends each case to each framework's matrix app behind
``WithAuth`` and checks its expectation (``tests/bypass/model.py``) and the invariants
(``tests/bypass/verdict.py``: never a 5xx, never a protected handler without credentials,
never a redirect off the origin).
"""

from __future__ import annotations

from typing import Final

from tests.bypass.credentials import BEARER, SESSION
from tests.bypass.model import FORBIDDEN, Case, Credential, Expect, allowed
from tests.bypass.table_paths import PATH_CASES, REDIRECT_CASES, ROOT_CASES
from tests.bypass.table_requests import (
    EVIL,
    FORWARDED_CASES,
    HOST_CASES,
    METHOD_CASES,
    SUBREQUEST_CASES,
    TARGET_CASES,
)
from tests.bypass.table_sessions import CONTROL_CASES, PREFLIGHT_CASES, SOCKET_CASES, TOKEN_CASES

CASES: list[Case] = [
    *CONTROL_CASES,
    *PATH_CASES,
    *ROOT_CASES,
    *REDIRECT_CASES,
    *TARGET_CASES,
    *SUBREQUEST_CASES,
    *FORWARDED_CASES,
    *HOST_CASES,
    *TOKEN_CASES,
    *PREFLIGHT_CASES,
    *SOCKET_CASES,
    *METHOD_CASES,
]


# ------------------------------------------------------------------ cross-site writes

CROSS_SITE: Final = Expect("denied", (403,))
FOREIGN: Final = (("Origin", f"http://{EVIL}"),)


def _write(
    id: str,
    headers: tuple[tuple[str, str], ...],
    expect: Expect,
    why: str,
    *,
    method: str = "POST",
    target: str = "/admin",
    credentials: Credential = SESSION,
) -> Case:
    """A write with a body and ``credentials`` (the session cookie unless said)."""
    return Case(
        id, "cross-site write", method, target, expect, why, credentials=credentials, headers=headers, body=b"a=1"
    )


CROSS_SITE_CASES: list[Case] = [
    _write("cross-site-origin", FOREIGN, CROSS_SITE, "a cookie-authenticated POST from a foreign Origin"),
    _write("cross-site-fetch-site", (("Sec-Fetch-Site", "cross-site"),), CROSS_SITE, "Sec-Fetch-Site: cross-site"),
    _write(
        "cross-site-same-site",
        (("Sec-Fetch-Site", "same-site"),),
        CROSS_SITE,
        "a sibling subdomain (same-site) is not the app's origin",
    ),
    _write("cross-site-null-origin", (("Origin", "null"),), CROSS_SITE, "Origin: null (a sandboxed or file page)"),
    _write(
        "cross-site-api-delete",
        FOREIGN,
        CROSS_SITE,
        "a DELETE on the API from a foreign Origin",
        method="DELETE",
        target="/api/v1/users",
    ),
    _write("cross-site-own-origin", (("Origin", "http://{host}"),), allowed("admin"), "the app's own Origin"),
    _write(
        "cross-site-other-port",
        (("Origin", "http://127.0.0.1:1"),),
        CROSS_SITE,
        "the same host on another port is another origin (same site: Lax cookies travel)",
        method="PATCH",
    ),
    _write(
        "cross-site-two-origins",
        (("Origin", "http://{host}"), ("Origin", f"http://{EVIL}")),
        CROSS_SITE,
        "two different Origin headers are refused, not resolved",
        method="PUT",
    ),
    _write(
        "cross-site-origin-with-path",
        (("Origin", "http://{host}/admin"),),
        CROSS_SITE,
        "an Origin with a path is no origin a browser sends",
    ),
    _write(
        "cross-site-not-a-browser",
        (),
        allowed("admin"),
        "neither Origin nor Sec-Fetch-Site: curl or a server, nothing ambient to ride",
    ),
    _write(
        "cross-site-same-origin", (("Sec-Fetch-Site", "same-origin"),), allowed("admin"), "Sec-Fetch-Site: same-origin"
    ),
    _write(
        "cross-site-fetch-site-wins",
        (*FOREIGN, ("Sec-Fetch-Site", "same-origin")),
        allowed("admin"),
        "Sec-Fetch-Site is checked first (as Go's CrossOriginProtection does)",
    ),
    _write(
        "cross-site-user-initiated",
        (("Sec-Fetch-Site", "none"),),
        allowed("admin"),
        "Sec-Fetch-Site: none (typed in the address bar)",
    ),
    _write(
        "cross-site-bearer",
        FOREIGN,
        allowed("admin"),
        "Bearer-authenticated: no ambient credential",
        credentials=BEARER,
    ),
    _write(
        "cross-site-safe-method",
        (("Sec-Fetch-Site", "cross-site"),),
        allowed("admin"),
        "a GET is a safe method",
        method="GET",
    ),
    Case(
        "cross-site-websocket",
        "cross-site write",
        "GET",
        "/ws/admin",
        FORBIDDEN,
        "a handshake is a GET, but cross-site websocket hijacking rides the session cookie like a form post: "
        "refused before accept",
        credentials=SESSION,
        headers=FOREIGN,
        websocket=True,
    ),
]
"""Cross-site writes with the session cookie (WithAuth's ``cross_site``, on by default): refused
with a 403 before the handler runs; the same writes from the app's own origin pass."""

CASES += CROSS_SITE_CASES
