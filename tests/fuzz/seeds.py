"""Write the seed corpora: ``python tests/fuzz/seeds.py`` (re)writes ``tests/fuzz/corpus/<harness>/``.

Seeds are inputs in each harness's own format, built from what the test-suite already holds:
real next-auth and Auth.js tokens (``tests/fixtures/nextauth_tokens.json``), the hostile request
targets of the path matrix (``tests/matrix/targets.py``), and the matcher sources of
``tests/test_matcher*.py``. File names are content hashes (libFuzzer's own naming), so writing
twice changes nothing.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

if __name__ == "__main__":  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.common import chunk_bytes as chunk

__all__ = ["CORPUS", "HARNESSES", "middleware_input", "seeds", "write"]

TESTS: Final = Path(__file__).resolve().parents[1]
CORPUS: Final = Path(__file__).resolve().parent / "corpus"
HARNESSES: Final = ("codec", "get_token", "middleware", "matcher")


def _fixture_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((TESTS / "fixtures" / "nextauth_tokens.json").read_text())["cases"]
    return cases


def codec_seeds() -> Iterator[bytes]:
    from asgi_withauth.jwt import TokenCodec, derive_key, key_id, read_header
    from tests.fuzz.fuzz_codec import CODECS

    for case in _fixture_cases():
        token = case.get("token")
        if token is None:
            continue
        for selector, entry in enumerate(CODECS):
            codec: TokenCodec = entry.codec
            if codec.salt == case["salt"] and (codec.version is None or str(codec.version) == case["version"]):
                yield bytes([selector, 0]) + token.encode()
                yield bytes([selector | 0x80, 1]) + token.encode()
        # the same header and claims, re-encrypted by the harness (modes 2 and 3)
        header = read_header(token)
        claims = case.get("claims") or {"sub": "user-1"}
        for selector, entry in enumerate(CODECS):
            version = 5 if entry.codec.version == 5 or (entry.codec.version is None and header.version == 5) else 4
            if entry.codec.version not in (None, version):
                continue
            fields: dict[str, Any] = {"alg": "dir", "enc": "A256GCM" if version == 4 else "A256CBC-HS512"}
            if version == 5:
                fields["kid"] = key_id(derive_key(entry.secret, salt=entry.salt, version=5))
            body = json.dumps(claims).encode()
            yield (
                bytes([selector, 3 if version == 5 else 2, int(version == 5)])
                + chunk(json.dumps(fields).encode())
                + body
            )
            break
    for hostile in ("", "....", "a.b.c.d.e", "e30..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA", "x" * 300):
        yield bytes([0, 0]) + hostile.encode()


def get_token_seeds() -> Iterator[bytes]:
    for case in _fixture_cases():
        cookies = case.get("cookies") or {case["cookie_name"]: case["token"]}
        https = any(name.startswith("__Secure-") for name in cookies)
        line = "cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items())
        variant = 2 if case["version"] == "5" else 1
        if case["salt"] == "custom-salt":
            variant = 6
        if case["decode_secret"] == ["new-secret", "old-secret"]:
            variant = 3
        yield bytes([variant, int(https)]) + line.encode()
        yield bytes([0, int(https) | 2]) + line.encode()
        if "token" in case:
            yield bytes([variant, int(https)]) + f"authorization: Bearer {case['token']}".encode()
    yield bytes([4, 0]) + b"cookie: custom.session.1=b; custom.session.0=a\nauthorization: Bearer %41"


def middleware_input(config: int, target: str, *, flags: int = 0b100, token: int = 0, **picks: int) -> bytes:
    """An input of ``fuzz_middleware``: the ``config``-th set-up; ``flags`` (default: a GET with
    ``raw_path``); ``target`` as the raw path and query; the ``token``-th token, put ``where``
    says; the ``host``, ``origin``, ``site`` and ``root``-th choices; no body, no more headers."""
    raw, _, query = target.partition("?")
    choices = [picks.get(name, 0) for name in ("where", "host", "origin", "site", "root")]
    return bytes([config, flags, token, *choices]) + chunk(raw.encode()) + chunk(query.encode()) + chunk(b"") + b"\0"


def middleware_seeds() -> Iterator[bytes]:
    from tests.matrix.targets import root_spellings, spellings

    targets = [*spellings("/admin/x", port=8000), *spellings("/api/v1/users", port=8000)]
    for i, target in enumerate(dict.fromkeys(targets)):
        yield middleware_input(i % 5, target, token=(0, 0, 2, 4)[i % 4])
    for i, target in enumerate(root_spellings("/admin/x")):
        yield middleware_input(i % 5, target, root=2)
    for i, target in enumerate(spellings("/ws/admin", port=8000)[:30]):
        yield middleware_input(i % 5, target, flags=0b101 | (i & 1) << 4)
    for path in ("/admin/public.json", "/admin/public/x", "/beta/x", "/reports/r?preview=1", "/dash/x", "/login"):
        yield middleware_input(0, path)
        yield middleware_input(3, path, token=2)
    # cross-site writes: POST (method 1) with the session cookie, from here, a trusted front end, elsewhere
    for config in range(5):
        for origin in range(6):
            yield middleware_input(config, "/admin/x", flags=0b00100100, token=1, origin=origin, site=origin % 5)
    yield middleware_input(3, "/api/x", flags=0b00100100, token=1, where=0x40, origin=4)


def _string_literals(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/"):
            yield node.value


def matcher_seeds() -> Iterator[bytes]:
    sources = sorted({s for name in sorted(TESTS.glob("test_matcher*.py")) for s in _string_literals(name)})
    paths = [b"/admin/x", b"/", b"/api/v1/users", b"/_next/data/b/admin.json", b"/a.segments/x.segment.rsc"]
    for i, source in enumerate(sources):
        probes = b"".join(chunk(paths[(i + k) % len(paths)]) for k in range(3))
        yield bytes([(i % 2) << 2, 0]) + chunk(source.encode("utf-8", "surrogatepass")) + probes + chunk(b"on")
    condition = bytes([0]) + chunk(b"x-a") + chunk(b"(on|yes)")
    yield bytes([2, 0]) + chunk(b"/beta/:path*") + b"\1" + condition + chunk(b"/beta/x") + chunk(b"") * 2 + chunk(b"on")
    yield bytes([3, 1]) + (chunk(b"/(.*)") + b"\0" + condition) * 2 + chunk(b"/x") + chunk(b"") * 2 + chunk(b"yes")


def seeds(harness: str) -> list[bytes]:
    """The seeds of one harness, without duplicates."""
    make = {
        "codec": codec_seeds,
        "get_token": get_token_seeds,
        "middleware": middleware_seeds,
        "matcher": matcher_seeds,
    }
    return list(dict.fromkeys(make[harness]()))


def write(harness: str) -> int:
    """(Re)write one harness's corpus directory; returns the number of seeds."""
    folder = CORPUS / harness
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    found = seeds(harness)
    for data in found:
        (folder / hashlib.sha1(data, usedforsecurity=False).hexdigest()).write_bytes(data)
    return len(found)


if __name__ == "__main__":
    for name in HARNESSES:
        print(f"{name}: {write(name)} seeds")
