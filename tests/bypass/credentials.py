"""What the table's requests carry: a valid session (cookie or Bearer), and the tricks.

Every token is made here, with the matrix's secret (``tests.matrix.SECRET``) or on purpose
without it; the tricks are tokens and cookies a careless reader might accept.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Final

from asgi_withauth import jwt
from tests.asgi import cookie_header
from tests.bypass.model import Credential
from tests.handmade_jwe import seal
from tests.matrix import SECRET

CLAIMS: Final = {"sub": "42", "name": "Ada"}
V4_COOKIE: Final = "next-auth.session-token"
V5_COOKIE: Final = "authjs.session-token"

VALID: Final = jwt.encode(CLAIMS, SECRET)
"""A valid next-auth v4 session token."""
VALID_V5: Final = jwt.encode(CLAIMS, SECRET, version=5, salt=V5_COOKIE)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _flip(token: str) -> str:
    """``token`` with one character of its ciphertext changed (the tag no longer matches)."""
    header, key, iv, ciphertext, tag = token.split(".")
    middle = len(ciphertext) // 2
    swapped = "A" if ciphertext[middle] != "A" else "B"
    return ".".join([header, key, iv, ciphertext[:middle] + swapped + ciphertext[middle + 1 :], tag])


PAYLOAD: Final = json.dumps({**CLAIMS, "exp": int(time.time()) + 3600}).encode()

TAMPERED: Final = _flip(VALID)
OTHER_SECRET: Final = jwt.encode(CLAIMS, "another-secret-entirely")
EXPIRED: Final = jwt.encode(CLAIMS, SECRET, now=time.time() - 31 * 24 * 3600)
"""Issued 31 days ago with next-auth's 30-day max age: expired a day ago (the leeway is 15 s)."""
ALG_NONE_SEALED: Final = seal({"alg": "none", "enc": "A256GCM"}, PAYLOAD, secret=SECRET)
"""Sealed with the right key, but its header says ``alg: none``."""
ALG_NONE_JWS: Final = ".".join([_b64(b'{"alg":"none","typ":"JWT"}'), _b64(PAYLOAD), ""])
"""An unsigned JWS (three segments), the classic ``alg: none`` token."""
ALG_NONE_PLAIN: Final = ".".join([_b64(b'{"alg":"none","enc":"A256GCM"}'), "", _b64(b"iv"), _b64(PAYLOAD), ""])
"""Five segments, the claims in clear where the ciphertext goes, no tag."""
WRONG_SALT_V5: Final = jwt.encode(CLAIMS, SECRET, version=5, salt="not-the-cookie-name")
V5_AS_V4: Final = VALID_V5
"""A valid Auth.js token, sent under next-auth v4's cookie name (read as v4 there)."""


def cookie(name: str, *pairs: tuple[str, str]) -> Credential:
    """One ``Cookie`` header of ``pairs``, shown as ``name``."""
    return Credential(name, (("Cookie", cookie_header(pairs)),))


def authorization(name: str, value: str) -> Credential:
    return Credential(name, (("Authorization", value),))


def _halves(token: str) -> tuple[str, str]:
    middle = len(token) // 2
    return token[:middle], token[middle:]


FIRST, SECOND = _halves(VALID)

SESSION: Final = cookie("session cookie", (V4_COOKIE, VALID))
BEARER: Final = authorization("Bearer", f"Bearer {VALID}")
SESSION_V5: Final = cookie("Auth.js session cookie", (V5_COOKIE, VALID_V5))
CHUNKED: Final = cookie("session in chunks .0 .1", (f"{V4_COOKIE}.0", FIRST), (f"{V4_COOKIE}.1", SECOND))

TRICKS: Final = {
    "tampered": cookie("tampered token", (V4_COOKIE, TAMPERED)),
    "other-secret": cookie("token of another secret", (V4_COOKIE, OTHER_SECRET)),
    "expired": cookie("expired token", (V4_COOKIE, EXPIRED)),
    "alg-none-sealed": cookie("alg:none header, right key", (V4_COOKIE, ALG_NONE_SEALED)),
    "alg-none-jws": cookie("alg:none JWS", (V4_COOKIE, ALG_NONE_JWS)),
    "alg-none-plain": cookie("alg:none, claims in clear", (V4_COOKIE, ALG_NONE_PLAIN)),
    "wrong-salt-v5": cookie("v5 token, wrong salt", (V5_COOKIE, WRONG_SALT_V5)),
    "v5-as-v4": cookie("v5 token under the v4 name", (V4_COOKIE, V5_AS_V4)),
    "chunk-gap": cookie("chunks .0 and .2", (f"{V4_COOKIE}.0", FIRST), (f"{V4_COOKIE}.2", SECOND)),
    "chunk-no-zero": cookie("chunks .1 and .2", (f"{V4_COOKIE}.1", FIRST), (f"{V4_COOKIE}.2", SECOND)),
    "chunk-padded-index": cookie("chunks .00 and .01", (f"{V4_COOKIE}.00", FIRST), (f"{V4_COOKIE}.01", SECOND)),
    "half-token": cookie("chunk .0 alone", (f"{V4_COOKIE}.0", FIRST)),
    "good-then-bad": cookie("good cookie, then a bad one", (V4_COOKIE, VALID), (V4_COOKIE, TAMPERED)),
    "bad-then-good": cookie("bad cookie, then a good one", (V4_COOKIE, TAMPERED), (V4_COOKIE, VALID)),
    "name-suffix": cookie("next-auth.session-tokenX", (V4_COOKIE + "X", VALID)),
    "name-case": cookie("Next-Auth.Session-Token", ("Next-Auth.Session-Token", VALID)),
    "host-prefix": cookie("__Host- prefixed name", ("__Host-" + V4_COOKIE, VALID)),
    "secure-prefix": cookie("__Secure- prefixed name over http", ("__Secure-" + V4_COOKIE, VALID)),
    "quoted": cookie("quoted value", (V4_COOKIE, f'"{VALID}"')),
    "cookie2": Credential("token in Cookie2", (("Cookie2", f"{V4_COOKIE}={VALID}"),)),
    "two-cookie-headers": Credential(
        "bad Cookie header, then a good one",
        (("Cookie", f"{V4_COOKIE}={TAMPERED}"), ("Cookie", f"{V4_COOKIE}={VALID}")),
    ),
    "bearer-cookie-format": authorization("Bearer with a cookie-format value", f"Bearer {V4_COOKIE}={VALID}"),
    "bearer-lowercase": authorization("lowercase bearer", f"bearer {VALID}"),
    "bearer-two-spaces": authorization("Bearer, two spaces", f"Bearer  {VALID}"),
    "bearer-other-secret": authorization("Bearer of another secret", f"Bearer {OTHER_SECRET}"),
    "basic": authorization("Basic", "Basic " + base64.b64encode(b"admin:admin").decode()),
    "bad-then-good-authorization": Credential(
        "bad Authorization, then a good one",
        (("Authorization", f"Bearer {TAMPERED}"), ("Authorization", f"Bearer {VALID}")),
    ),
    "bad-cookie-good-bearer": Credential(
        "bad cookie and a good Bearer", (("Cookie", f"{V4_COOKIE}={TAMPERED}"), ("Authorization", f"Bearer {VALID}"))
    ),
    "empty-cookie-good-bearer": Credential(
        "empty cookie and a good Bearer", (("Cookie", f"{V4_COOKIE}="), ("Authorization", f"Bearer {VALID}"))
    ),
    "websocket-protocol": Credential(
        "token as a websocket subprotocol", (("Sec-WebSocket-Protocol", f"Bearer, {VALID}"),)
    ),
    "huge-cookie": cookie("a 60 KB Cookie header", ("pad", "a" * 60_000)),
    "huge-cookie-session": cookie("a 12 KB Cookie header, then the session", ("pad", "a" * 12_000), (V4_COOKIE, VALID)),
}
"""Trick credentials by name; cases pick them as ``TRICKS["tampered"]``."""
