"""The other decoders bench_decode compares ours with: joserfc, and fastapi-nextauth-jwt if installed."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

from _session import SECRET
from joserfc import jwe
from joserfc.jwk import OctKey

from asgi_withauth import jwt


def joserfc_decoder(key: bytes, enc: str) -> Callable[[str], object]:
    octkey = OctKey.import_key(key)
    registry = jwe.JWERegistry(algorithms=["dir", enc])

    def decode(token: str) -> object:
        plaintext = jwe.decrypt_compact(token, octkey, registry=registry).plaintext
        if plaintext is None:
            raise ValueError("no plaintext")
        return json.loads(plaintext)

    return decode


@dataclass(frozen=True, slots=True)
class FastapiNextauthJwt:
    """fastapi-nextauth-jwt, loaded by name: optional, and it ships no type information."""

    package: ModuleType
    jose_jwe: ModuleType
    check_expiry: Callable[[int], None]
    version: str

    @classmethod
    def load(cls) -> FastapiNextauthJwt | None:
        try:
            package = importlib.import_module("fastapi_nextauth_jwt")
            operations = importlib.import_module("fastapi_nextauth_jwt.operations")
            jose_jwe = importlib.import_module("jose.jwe")
        except ImportError:
            return None
        return cls(package, jose_jwe, operations.check_expiry, metadata.version("fastapi-nextauth-jwt"))

    def dependency(self, version: jwt.Version, cookie_name: str) -> Any:
        """The FastAPI dependency as an app would build it (key derived here, once)."""
        factory = self.package.NextAuthJWTv4 if version == 4 else self.package.NextAuthJWT
        return factory(secret=SECRET, cookie_name=cookie_name, secure_cookie=False, csrf_prevention_enabled=False)

    def decoder(self, dependency: Any) -> Callable[[str], object]:
        """What ``NextAuthJWT.__call__`` does once it has the token string."""
        decrypt, check_expiry, key = self.jose_jwe.decrypt, self.check_expiry, dependency.key

        def decode(token: str) -> object:
            claims = json.loads(decrypt(token, key))
            check_expiry(claims["exp"])
            return claims

        return decode
