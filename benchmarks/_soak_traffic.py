"""The soak's traffic: session tokens, the request mix, and each request's expected answer.

Every request is decided here from what the client sends, independently of the server: which
token (valid, expired, tampered, wrong secret, absent, a broken chunk run, an invalid cookie
shadowing a valid Bearer), how it travels (next-auth's cookie, Auth.js's, the ``__Secure-``
name, chunks, Bearer), which path (the demo's routes, and distinct paths under each rule), and
so what the demo must answer: the status, the exact ``Location`` of a redirect, the user's
name in the body, and whether the session cookie is re-issued.

Tokens are minted with ``cryptography`` directly (HKDF, AES-GCM, AES-CBC + HMAC), 10 to 40 us
of CPU each (:func:`mint_cost`): ``TokenCodec.encode`` goes through joserfc and takes ~90 to 130
us. :func:`check_minter` decodes a token of each format with the real ``TokenCodec`` first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Final, Literal

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from asgi_withauth.jwt import TokenCodec

SECRET: Final = "soak-secret-0123456789abcdef0123456789abcdef"
OTHER_SECRET: Final = "soak-other-secret-fedcba9876543210fedcba98765"
MAX_AGE: Final = 30 * 24 * 3600  # next-auth's default, the demo's
V4_COOKIE: Final = "next-auth.session-token"
V5_COOKIE: Final = "authjs.session-token"
SECURE_COOKIE: Final = "__Secure-next-auth.session-token"
SESSION_COOKIES: Final = (V4_COOKIE, V5_COOKIE, SECURE_COOKIE)
CHUNK: Final = 3933  # next-auth v4's chunk size
PAD: Final = 3000  # claims padding that takes a token over one cookie
HOT: Final = 64  # valid tokens reused (cache hits), apart from the distinct ones

# name: (weight, fresh valid token). "fresh": a distinct valid session, never sent before.
KINDS: Final = {
    "valid": (60, True),
    "hot": (8, False),
    "expired": (7, False),
    "tampered": (7, False),
    "wrong-secret": (6, False),
    "absent": (8, False),
    "broken": (2, False),  # chunk .1 without .0, and a valid Bearer: never falls back to it
    "shadowed": (2, False),  # a tampered cookie, and a valid Bearer: the cookie wins
}
CARRIERS: Final = {"cookie": 55, "cookie-v5": 10, "secure-cookie": 5, "chunked": 10, "bearer": 20}
FIXED_CARRIERS: Final = {"broken": "chunked", "shadowed": "cookie"}
# name: (weight, path pattern ({i}: the request's index, a distinct path), protection)
TARGETS: Final = {
    "home": (5, "/", "public"),
    "public": (10, "/p/{i}", "public"),
    "auth-path": (3, "/api/auth/s{i}", "public"),
    "dashboard": (8, "/dashboard", "page"),
    "dashboard-sub": (14, "/dashboard/s{i}", "page"),
    "dashboard-upper": (3, "/DASHBOARD/s{i}", "page"),
    "chat": (3, "/chat", "page"),
    "admin": (5, "/admin", "admin-page"),
    "admin-sub": (8, "/admin/s{i}", "admin-page"),
    "api-me": (8, "/api/me", "api"),
    "api-sub": (14, "/api/v{i}", "api"),
    "api-admin": (5, "/api/admin/users", "admin-api"),
    "api-admin-sub": (10, "/api/admin/u{i}", "admin-api"),
    "ws": (4, "/ws", "websocket"),
}
QUERY_SHARE: Final = 0.15
BAD_HOST_SHARE: Final = 0.03
WS_KEY: Final = "c29hay1oYXJuZXNzLWtleQ=="
WS_ACCEPT: Final = base64.b64encode(
    hashlib.sha1((WS_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode(), usedforsecurity=False).digest()
)  # what RFC 6455 says the server answers to WS_KEY


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _hkdf(secret: str, *, salt: str, info: str, length: int) -> bytes:
    return HKDF(hashes.SHA256(), length, salt.encode(), info.encode()).derive(secret.encode())


class Minter:
    """next-auth v4 (dir + A256GCM) and Auth.js v5 (dir + A256CBC-HS512, salted with its cookie
    name, ``kid`` = the key's RFC 7638 SHA-512 thumbprint) session tokens for one secret."""

    def __init__(self, secret: str) -> None:
        self._gcm = AESGCM(_hkdf(secret, salt="", info="NextAuth.js Generated Encryption Key", length=32))
        self._v4_header = _b64(b'{"alg":"dir","enc":"A256GCM"}')
        key = _hkdf(secret, salt=V5_COOKIE, info=f"Auth.js Generated Encryption Key ({V5_COOKIE})", length=64)
        self._mac_key, self._aes = key[:32], algorithms.AES(key[32:])
        kid = _b64(hashlib.sha512(f'{{"k":"{_b64(key)}","kty":"oct"}}'.encode()).digest())
        self._v5_header = _b64(f'{{"alg":"dir","enc":"A256CBC-HS512","kid":"{kid}"}}'.encode())

    def token(self, claims: dict[str, Any], *, version: int = 4, issued: int | None = None) -> str:
        """``claims`` with ``iat``, ``exp`` (``issued`` + 30 days) and ``jti``, encrypted."""
        return self._token(claims, version, int(time.time()) if issued is None else issued)

    def _token(self, claims: dict[str, Any], version: int, now: int) -> str:
        payload = {**claims, "iat": now, "exp": now + MAX_AGE, "jti": str(uuid.uuid4())}
        plaintext = json.dumps(payload, separators=(",", ":")).encode()
        if version == 4:
            iv = os.urandom(12)
            sealed = self._gcm.encrypt(iv, plaintext, self._v4_header.encode())
            return f"{self._v4_header}..{_b64(iv)}.{_b64(sealed[:-16])}.{_b64(sealed[-16:])}"
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(self._aes, modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()
        aad = self._v5_header.encode()
        signed = aad + iv + ciphertext + (len(aad) * 8).to_bytes(8, "big")
        tag = hmac.digest(self._mac_key, signed, "sha512")[:32]
        return f"{self._v5_header}..{_b64(iv)}.{_b64(ciphertext)}.{_b64(tag)}"


def check_minter(minter: Minter) -> None:
    """Decode a token of each format with the real ``TokenCodec``: the claims must come back."""
    claims = user_claims(0, admin=True)
    formats: tuple[tuple[Literal[4, 5], str], ...] = ((4, ""), (5, V5_COOKIE))
    for version, salt in formats:
        decoded = TokenCodec(SECRET, salt=salt, version=version).decode(minter.token(claims, version=version))
        if {key: decoded.get(key) for key in claims} != claims:
            raise RuntimeError(f"the soak's v{version} minter disagrees with TokenCodec: {decoded}")


def mint_cost(rounds: int = 300) -> dict[str, float]:
    """CPU microseconds per token: this minter's (v4, v4 over two cookies, v5), and the real
    ``TokenCodec.encode``'s (v4), measured now."""
    minter, codec = Minter(SECRET), TokenCodec(SECRET)
    padded = {**user_claims(1, admin=False), "pad": "p" * PAD}
    cases: dict[str, Callable[[int], object]] = {
        "v4": lambda n: minter.token(user_claims(n, admin=False)),
        "v4 chunked": lambda n: minter.token(padded),
        "v5": lambda n: minter.token(user_claims(n, admin=False), version=5),
        "TokenCodec.encode v4": lambda n: codec.encode(user_claims(n, admin=False)),
    }
    cost = {}
    for name, mint in cases.items():
        started = time.process_time()
        for n in range(rounds):
            mint(n)
        cost[name] = round((time.process_time() - started) / rounds * 1e6, 1)
    return cost


def user_claims(n: int, *, admin: bool, hot: bool = False) -> dict[str, Any]:
    """Session ``n``'s claims: next-auth's defaults and a role; the name is its marker."""
    name = f"Soak {'H' if hot else 'U'}{n}"
    return {
        "name": name,
        "email": f"{name.replace(' ', '.').lower()}@soak.test",
        "picture": None,
        "sub": f"soak-{'h' if hot else 'u'}{n}",
        "role": "admin" if admin else "user",
    }


def is_admin(n: int) -> bool:
    """Session ``n`` belongs to an admin (a quarter of them); the same in both modes."""
    return n % 4 == 0


def database_token(n: int, *, pool: str = "session") -> str:
    """The database session token of row ``n`` (64 hex characters, as next-auth makes them)."""
    return hashlib.sha256(f"soak-{pool}-{n}".encode()).hexdigest()


def callback_url(path: str) -> str:
    """``URLSearchParams`` encoding of a path made of letters, digits, ``/``, ``?`` and ``=``."""
    return "".join(c if c.isalnum() or c in "*-._" else f"%{ord(c):02X}" for c in path)


@dataclass(frozen=True, slots=True)
class Expected:
    """What the demo must answer: ``status``, ``location`` (exact), ``body`` (contained),
    ``refresh`` (a session Set-Cookie present: True, absent: False)."""

    status: int
    location: str | None = None
    body: bytes | None = None
    refresh: bool = False
    not_body: bytes | None = None


@dataclass(frozen=True, slots=True)
class SoakRequest:
    """One request of the mix: its raw bytes, what it is, and its expected answer."""

    index: int
    kind: str
    carrier: str
    target: str
    path: str
    data: bytes
    expected: Expected
    fresh_token: bool
    fresh_path: bool
    has_cookie: bool

    @property
    def websocket(self) -> bool:
        return self.target == "ws"

    def describe(self) -> str:
        return f"#{self.index} {self.kind}/{self.carrier} {self.target} {self.path}"


@dataclass(slots=True)
class Largest:
    """The longest path, Host, Cookie header and token sent so far (characters), and the
    claims padding (for the memory bounds)."""

    path: int = 0
    host: int = 0
    cookie: int = 0
    token: int = 0
    pad: int = 0


@dataclass(frozen=True, slots=True)
class Session:
    """A token, how it travels, and whose it is (``name`` None: it must not be accepted)."""

    token: str
    carrier: str
    name: str | None = None
    admin: bool = False


class Traffic:
    """The request mix, in a fixed order for a seed; ``mode`` is "jwt" or "database"
    (``sessions``: the database's fresh valid rows, reused in a cycle once all were sent;
    ``expired``: its expired rows)."""

    def __init__(self, *, mode: str, port: int, seed: int = 1, sessions: int = 0, expired: int = 0) -> None:
        self.mode = mode
        self.port = port
        self.sessions = sessions
        self.expired = expired
        self._random = random.Random(seed)  # noqa: S311 (a reproducible mix, not secrets)
        self._minter = Minter(SECRET)
        self._stranger = Minter(OTHER_SECRET)
        self._index = 0
        self._fresh = 0
        self.largest = Largest(pad=PAD if mode == "jwt" else 0)
        self._kinds, self._kind_weights = list(KINDS), list(accumulate(w for w, _ in KINDS.values()))
        self._carriers, self._carrier_weights = list(CARRIERS), list(accumulate(CARRIERS.values()))
        self._targets, self._target_weights = list(TARGETS), list(accumulate(w for w, _, _ in TARGETS.values()))
        self._hot = {carrier: [self._valid(n, carrier, hot=True) for n in range(HOT)] for carrier in CARRIERS}

    # ------------------------------------------------------------------ tokens

    def _valid(self, n: int, carrier: str, *, hot: bool = False) -> Session:
        """Valid session ``n`` (a database row, or a token minted now) sent by ``carrier``."""
        if self.mode == "database":
            row = n if hot else HOT + (n - 1) % max(self.sessions, 1)
            return Session(database_token(row), carrier, f"Soak U{row}", is_admin(row))
        claims = user_claims(n, admin=is_admin(n), hot=hot)
        if carrier == "chunked":
            claims["pad"] = "p" * PAD
        token = self._minter.token(claims, version=5 if carrier == "cookie-v5" else 4)
        return Session(token, carrier, claims["name"], is_admin(n))

    def _invalid(self, kind: str, carrier: str) -> str:
        """A token of ``kind`` (expired, tampered, wrong-secret, ...) that must not be accepted."""
        i = self._index
        if self.mode == "database":
            if kind == "expired":
                return database_token(self._random.randrange(max(self.expired, 1)), pool="expired")
            if kind in ("tampered", "shadowed"):
                token = database_token(HOT + i % max(self.sessions, 1))
                return token[:-1] + ("0" if token[-1] != "0" else "1")
            return database_token(i, pool="unknown")  # wrong-secret, broken: no such row
        claims = user_claims(i, admin=True)
        if carrier == "chunked":
            claims["pad"] = "p" * PAD
        version = 5 if carrier == "cookie-v5" else 4
        if kind == "expired":
            return self._minter.token(claims, version=version, issued=int(time.time()) - MAX_AGE - 86400)
        if kind == "wrong-secret":
            return self._stranger.token(claims, version=version)
        return _tamper(self._minter.token(claims, version=version))  # tampered, broken, shadowed

    def _session(self, kind: str, carrier: str) -> Session | None:
        if kind == "absent":
            return None
        if kind == "valid" and self.mode == "database" and carrier == "bearer":
            return self._hot[carrier][self._random.randrange(HOT)]  # ignored there: spend no row on it
        if kind == "valid":
            self._fresh += 1
            return self._valid(self._fresh, carrier)
        if kind == "hot":
            return self._hot[carrier][self._random.randrange(HOT)]
        return Session(self._invalid(kind, carrier), carrier)

    # ------------------------------------------------------------------ requests

    def next(self) -> SoakRequest:
        """The next request of the mix."""
        self._index += 1
        i, pick = self._index, self._random.choices
        kind = pick(self._kinds, cum_weights=self._kind_weights)[0]
        carrier = FIXED_CARRIERS.get(kind) or pick(self._carriers, cum_weights=self._carrier_weights)[0]
        target = pick(self._targets, cum_weights=self._target_weights)[0]
        pattern = TARGETS[target][1]
        path = pattern.format(i=i)
        if target != "ws" and self._random.random() < QUERY_SHARE:
            path += f"?q={i}"
        session = self._session(kind, carrier)
        bearer = self._hot["bearer"][0].token if kind in ("broken", "shadowed") else None
        if session is not None and carrier == "bearer":
            bearer = session.token
        bad_host = self._random.random() < BAD_HOST_SHARE
        host = f"bad_host~{i}" if bad_host else f"H{i}.Soak.test:{self.port}"
        origin = f"127.0.0.1:{self.port}" if bad_host else host.lower()
        cookie = _cookie_header(i, session, kind) if kind != "absent" or i % 3 else None
        user = self._accepted(session)
        expected = self._expect(target, path, origin, user)
        data = _request_bytes(path, host, cookie, bearer, websocket=target == "ws")
        largest = self.largest
        largest.path = max(largest.path, len(path))
        largest.host = max(largest.host, len(host))
        largest.cookie = max(largest.cookie, len(cookie or ""))
        largest.token = max(largest.token, 0 if session is None else len(session.token))
        fresh = kind == "valid" and user is not None and (self.mode == "jwt" or self._fresh <= self.sessions)
        return SoakRequest(i, kind, carrier, target, path, data, expected, fresh, "{i}" in pattern, bool(cookie))

    def _accepted(self, session: Session | None) -> Session | None:
        """The session the demo must see: a valid one, not sent as Bearer to the database mode
        (its strategy reads cookies only)."""
        if session is None or session.name is None:
            return None
        if self.mode == "database" and session.carrier == "bearer":
            return None
        return session

    def _expect(self, target: str, path: str, origin: str, user: Session | None) -> Expected:
        """The demo's answer (the table in asgi_withauth/demo/__init__.py)."""
        _, pattern, protection = TARGETS[target]
        if user is None or user.name is None:
            if protection == "public":
                return (
                    Expected(200, body=b"Not signed in", not_body=b"Signed in as")
                    if target == "home"
                    else Expected(404)
                )
            if protection == "websocket":
                return Expected(403)
            if protection in ("api", "admin-api"):
                return Expected(401, body=b'"error": "unauthorized"')
            return Expected(307, location=f"http://{origin}/login?callbackUrl={callback_url(path)}")
        name = user.name.encode()
        signed_in = b"Signed in as <strong>" + name + b"</strong>"
        if protection == "public":
            return Expected(200, body=signed_in) if target == "home" else Expected(404)
        if protection == "websocket":
            return Expected(101, body=b"Hello, " + name + b"!")
        if protection.startswith("admin") and not user.admin:
            return Expected(403, body=signed_in if protection == "admin-page" else b'"error": "forbidden"')
        # Allowed: WithAuth(refresh=True) re-issues a JWT session cookie; in the database mode
        # only get_server_session (the dashboard) re-sets it.
        refresh = user.carrier != "bearer" and (self.mode == "jwt" or target == "dashboard")
        if "{i}" in pattern:
            return Expected(404, refresh=refresh)  # no such route: the app answers
        marker = signed_in if protection in ("page", "admin-page") else b'"name":"' + name + b'"'
        return Expected(200, body=marker, refresh=refresh)


def _tamper(token: str) -> str:
    """``token`` with one character of its ciphertext changed (never a padding bit)."""
    parts = token.split(".")
    middle = len(parts[3]) // 2
    char = "B" if parts[3][middle] == "A" else "A"
    parts[3] = parts[3][:middle] + char + parts[3][middle + 1 :]
    return ".".join(parts)


def _cookie_header(i: int, session: Session | None, kind: str) -> str:
    """A browser's Cookie header: next-auth's csrf and callback cookies, a distinct one, and the session."""
    cookies = [f"next-auth.csrf-token={i:064x}%7C{'a1' * 32}", f"soak={i}"]
    if session is not None and session.carrier != "bearer":
        name = {"cookie-v5": V5_COOKIE, "secure-cookie": SECURE_COOKIE}.get(session.carrier, V4_COOKIE)
        if session.carrier == "chunked":
            chunks = [session.token[start : start + CHUNK] for start in range(0, len(session.token), CHUNK)]
            if len(chunks) == 1:  # a database token: split it all the same
                chunks = [session.token[:32], session.token[32:]]
            start = 1 if kind == "broken" else 0  # a gap: .1 without .0
            cookies += [f"{name}.{n}={chunk}" for n, chunk in enumerate(chunks) if n >= start]
        else:
            cookies.append(f"{name}={session.token}")
    return "; ".join(cookies)


def _request_bytes(path: str, host: str, cookie: str | None, bearer: str | None, *, websocket: bool) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "User-Agent: asgi-withauth-soak", "Accept: */*"]
    if websocket:
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {WS_KEY}"]
        lines.append("Sec-WebSocket-Version: 13")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if bearer:
        lines.append(f"Authorization: Bearer {bearer}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass(slots=True)
class Response:
    """What came back: the status, the headers (names lower-cased) and the body (for a
    websocket, the first message)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)


def problem(request: SoakRequest, response: Response) -> str | None:
    """Why ``response`` is not the expected answer to ``request``, or None."""
    expected = request.expected
    if response.status != expected.status:
        return f"status {response.status}, expected {expected.status}"
    if expected.location is not None:
        location = (response.header(b"location") or b"").decode("latin-1")
        if location != expected.location:
            return f"Location {location!r}, expected {expected.location!r}"
    if expected.body is not None and expected.body not in response.body:
        return f"body lacks {expected.body!r}"
    if expected.not_body is not None and expected.not_body in response.body:
        return f"body has {expected.not_body!r}"
    if expected.status == 101 and response.header(b"sec-websocket-accept") != WS_ACCEPT:
        return "wrong Sec-WebSocket-Accept"
    refreshed = any(
        key == b"set-cookie" and value.decode("latin-1").startswith(SESSION_COOKIES) for key, value in response.headers
    )
    if refreshed != expected.refresh:
        return "a session cookie was set" if refreshed else "the session cookie was not re-issued"
    return None
