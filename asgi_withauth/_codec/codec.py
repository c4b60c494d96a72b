""":class:`TokenCodec`: next-auth's session tokens for one secret (or list) and salt."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final

from .._cache import BoundedCache
from ..errors import DecryptionError, MalformedTokenError, UnsupportedAlgorithmError
from .claims import check_replicated, check_times, parse_claims
from .compact import Header, b64encode, read_compact
from .keys import Key, secret_list
from .types import A256CBC_HS512, A256GCM, DEFAULT_LEEWAY, DEFAULT_MAX_AGE, Secret, Version

__all__ = ["TokenCodec"]

_PLAN_CACHE_SIZE: Final = 64
_NO_KEY: Final = (
    "token does not decrypt with the configured secret(s): check that the secret is the "
    "Next.js app's NEXTAUTH_SECRET/AUTH_SECRET (and for Auth.js v5 that the salt is the "
    "session cookie's name)"
)


class TokenCodec:
    """Encode and decode next-auth session tokens for one secret (or list) and salt.

    Keys are derived on first use and kept for the codec's lifetime (at most three per
    secret), so build one codec and reuse it. ``version`` restricts decoding to one format
    (None: either). :meth:`decode` is :meth:`decrypt` followed by the time checks of
    :func:`~asgi_withauth.jwt.check_claims` with the codec's ``leeway`` and ``require_exp``.
    """

    __slots__ = ("_keys", "_plans", "_secrets", "leeway", "require_exp", "salt", "version")

    def __init__(
        self,
        secret: Secret,
        *,
        salt: str = "",
        version: Version | None = None,
        leeway: int = DEFAULT_LEEWAY,
        require_exp: bool = False,
    ) -> None:
        if version not in (None, 4, 5):
            raise ValueError("version: expected 4 (next-auth), 5 (Auth.js) or None (either)")
        if not isinstance(salt, str):
            raise TypeError("salt: expected str")
        self._secrets = secret_list(secret)
        self.salt = salt
        self.version: Version | None = version
        self.leeway = leeway
        self.require_exp = require_exp
        # (secret index, version, enc): v4 A256GCM, v5 A256GCM and v5 A256CBC-HS512 per secret.
        self._keys: BoundedCache[tuple[int, Version, str], Key] = BoundedCache(3 * len(self._secrets))
        self._plans: BoundedCache[tuple[str, str | None, bool], tuple[Key, ...]] = BoundedCache(_PLAN_CACHE_SIZE)

    # ------------------------------------------------------------------ decoding

    def decode(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        """Decrypt and validate ``token``; return its claims or raise :class:`JWTError`."""
        return self._open(token, now, True)

    def decrypt(self, token: str) -> dict[str, Any]:
        """Decrypt ``token`` and return its claims, without judging ``exp``, ``nbf`` or ``iat``
        (see :func:`~asgi_withauth.jwt.check_claims`). Everything else is checked as by
        :meth:`decode`: the header, the key, the payload, ``iss``/``sub``/``aud`` copied
        into the header. Raises :class:`JWTError`."""
        return self._open(token, None, False)

    def _open(self, token: str, now: float | None, check: bool) -> dict[str, Any]:
        header, aad, iv, ciphertext, tag = read_compact(token)
        keys = self._plans.get(header.plan_key)
        if keys is None:
            keys = self._candidates(header)
        for key in keys:
            plaintext = key.decrypt(aad, iv, ciphertext, tag)
            if plaintext is not None:
                break
        else:
            raise DecryptionError(_NO_KEY)
        claims = parse_claims(plaintext)
        if check:  # before the replicated claims, as jose orders them
            now = int(time.time() if now is None else now)
            check_times(claims, now=now, leeway=self.leeway, require_exp=self.require_exp)
        if header.replicated:
            check_replicated(header.replicated, claims)
        return claims

    def _key(self, index: int, version: Version, enc: str) -> Key:
        slot = (index, version, enc)
        key = self._keys.get(slot)
        if key is None:
            key = Key.make(self._secrets[index], self.salt, version, enc)
            self._keys.put(slot, key)
        return key

    def _candidates(self, header: Header) -> tuple[Key, ...]:
        """Keys worth trying for this header, in next-auth's order; memoised, except when its
        kid matches none of our keys: anyone can send endless such kids.

        next-auth v4 ignores the kid. Auth.js takes the first secret whose key's thumbprint
        equals the kid, or the first secret when there is no kid; a kid that is not a string
        matches nothing.
        """
        version, enc = self.version, header.enc
        if version == 4 and enc != A256GCM:
            raise UnsupportedAlgorithmError(
                "this is an Auth.js v5 token (A256CBC-HS512); decode it with version=5 or None"
            )
        secrets = range(len(self._secrets))
        keys = [self._key(i, 4, enc) for i in secrets] if version != 5 and enc == A256GCM else []
        known = True
        if version != 4:
            if header.kid is not None:
                matching = [key for i in secrets if (key := self._key(i, 5, enc)).kid == header.kid]
                keys.extend(matching[:1])
                known = bool(matching)
            elif not header.bad_kid:
                keys.append(self._key(0, 5, enc))
        if not keys and header.bad_kid:
            raise MalformedTokenError("header kid is not a string; Auth.js refuses such tokens")
        plan = tuple(keys)
        if known:
            self._plans.put(header.plan_key, plan)
        return plan

    # ------------------------------------------------------------------ encoding

    def encode(
        self,
        payload: Mapping[str, Any],
        *,
        max_age: int = DEFAULT_MAX_AGE,
        version: Version = 4,
        now: float | None = None,
    ) -> str:
        """Encrypt ``payload`` as next-auth would, adding ``iat``, ``exp`` and ``jti``.

        Uses the first secret. ``version=4`` writes dir + A256GCM; ``version=5``
        writes dir + A256CBC-HS512 with the key's thumbprint as ``kid``.
        """
        if not isinstance(payload, Mapping):
            raise TypeError(f"payload must be a mapping, not {type(payload).__name__}")
        if isinstance(max_age, bool) or not isinstance(max_age, int):
            raise TypeError("max_age must be an int (seconds)")
        issued = int(time.time() if now is None else now)
        claims = dict(payload)
        claims["iat"] = issued
        claims["exp"] = issued + max_age
        claims["jti"] = str(uuid.uuid4())
        plaintext = json.dumps(claims, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        if version == 4:
            key = self._key(0, 4, A256GCM)
            protected: dict[str, str] = {"alg": "dir", "enc": A256GCM}
        elif version == 5:
            key = self._key(0, 5, A256CBC_HS512)
            protected = {"alg": "dir", "enc": A256CBC_HS512, "kid": str(key.kid)}
        else:
            raise ValueError("version: expected 4 (next-auth) or 5 (Auth.js)")
        header = b64encode(json.dumps(protected, separators=(",", ":")).encode("utf-8"))
        iv, ciphertext, tag = key.encrypt(header.encode("ascii"), plaintext.encode("utf-8"))
        return ".".join((header, "", b64encode(iv), b64encode(ciphertext), b64encode(tag)))
