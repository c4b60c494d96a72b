"""Decode benchmark: asgi_withauth against the raw crypto floor, joserfc and fastapi-nextauth-jwt.

Usage::

    python benchmarks/bench_decode.py [--quick] [--json out.json] [--candidate my_jwt.py ...]

Every contender decodes the very same tokens: next-auth v4 (``dir`` + ``A256GCM``) and
Auth.js v5 (``dir`` + ``A256CBC-HS512``) tokens minted by :func:`asgi_withauth.jwt.encode`
from session-like claims of about 300 B, 3 KB and 10 KB. Before timing, every
contender's output is checked against the claims that were encoded.

Timing: a sample runs one contender ``repeats`` times back to back between two
``time.perf_counter_ns`` calls, with the garbage collector off. Each round samples every
contender of every row group (one format at one size), a group's contenders back to
back in an order rotated each round, so a contender and its floor are always measured
a few milliseconds apart and machine noise lands on all of them alike. "median µs" is
the median over rounds of the time per decode; "ratio" is the median over rounds of
(this contender's sample / the floor's sample in the same round), with its interquartile
range.

The floor is the least work a correct decoder can do: split, base64url-decode, verify
and decrypt with ``cryptography`` (key derived and cipher objects built beforehand),
strip the padding (v5) and ``json.loads``. It checks no header and no claims.
``--candidate`` times ``TokenCodec`` from a modified copy of ``asgi_withauth/jwt.py`` in
the same run, to try a change without touching the package.
"""

from __future__ import annotations

import argparse
import binascii
import gc
import hmac
import importlib
import importlib.util
import itertools
import json
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import partial
from importlib import metadata
from types import ModuleType, SimpleNamespace
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe
from joserfc.jwk import OctKey

from asgi_withauth import jwt
from asgi_withauth.cookies import chunk_session_cookie, read_session_cookie, session_cookie_name

SECRET: Final = "benchmark-secret-0123456789abcdef0123456789abcdef"
TARGET_RATIO: Final = 1.5
"""The issue's goal: ours within this factor of the floor, at every size."""

SIZES: Final = (("300 B", 300), ("3 KB", 3_000), ("10 KB", 10_000))
"""Label and length in bytes of the claims JSON (the JWE plaintext)."""

FORMATS: Final[dict[jwt.Version, str]] = {4: "v4 A256GCM", 5: "v5 A256CBC-HS512"}

FLOOR: Final = "floor (cryptography)"
OURS_CODEC: Final = "ours TokenCodec.decode"
OURS_FUNC: Final = "ours jwt.decode()"
OURS_COOKIES: Final = "ours read_session_cookie + TokenCodec.decode"
JOSERFC: Final = "joserfc decrypt_compact + json.loads"
FNJ: Final = "fastapi-nextauth-jwt (jose jwe.decrypt + json.loads + exp)"
FNJ_COOKIES: Final = "fastapi-nextauth-jwt NextAuthJWT(request), joins chunks"
OURS: Final = frozenset({OURS_CODEC, OURS_FUNC, OURS_COOKIES})

Decoder = Callable[[], object]


# ------------------------------------------------------------------ tokens


def salt_for(version: jwt.Version) -> str:
    """next-auth v4 uses no salt; Auth.js v5 salts with the session cookie's name."""
    return "" if version == 4 else session_cookie_name(version=5)


def session_claims(size: int, *, now: int) -> dict[str, Any]:
    """Claims like a real next-auth session, padded so the encoded JWT payload is ``size`` bytes."""
    claims: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "picture": "https://avatars.example.com/u/1815?v=4&s=460",
        "sub": "a3f1c2d4-5b6e-4f70-8a91-b2c3d4e5f607",
        "pad": "",
    }
    extra = {"iat": now, "exp": now + jwt.DEFAULT_MAX_AGE, "jti": "00000000-0000-0000-0000-000000000000"}
    bare = len(json.dumps({**claims, **extra}, separators=(",", ":")))
    if size < bare:
        raise ValueError(f"size {size} is below the {bare} bytes of the bare session claims")
    # An access-token-like string (what makes real next-auth cookies grow).
    claims["pad"] = secrets.token_urlsafe(size)[: size - bare]
    return claims


@dataclass(frozen=True, slots=True)
class Case:
    """One row group: a format and size, its token, and that token as the browser sends it."""

    version: jwt.Version
    size_label: str
    token: str
    claims: dict[str, Any]
    cookie_name: str
    cookies: dict[str, str]

    @property
    def format_label(self) -> str:
        return FORMATS[self.version]

    @property
    def chunks(self) -> int:
        return sum(1 for name in self.cookies if name == self.cookie_name or name.startswith(self.cookie_name + "."))


def make_case(version: jwt.Version, size_label: str, size: int, *, now: int) -> Case:
    salt = salt_for(version)
    token = jwt.encode(session_claims(size, now=now), SECRET, salt=salt, version=version, now=now)
    claims = jwt.decode(token, SECRET, salt=salt, version=version)
    name = session_cookie_name(version=version)
    prefix = "next-auth" if version == 4 else "authjs"
    # What a browser sends: the (possibly chunked) session plus next-auth's other cookies.
    cookies = {
        f"{prefix}.csrf-token": f"{secrets.token_hex(32)}%7C{secrets.token_hex(32)}",
        f"{prefix}.callback-url": "http%3A%2F%2Flocalhost%3A3000",
    }
    cookies.update((write.name, write.value) for write in chunk_session_cookie(name, token, version=version))
    if read_session_cookie(cookies, name) != token:
        raise AssertionError("chunk_session_cookie / read_session_cookie did not round-trip the token")
    return Case(version, size_label, token, claims, name, cookies)


# ------------------------------------------------------------------ contenders

_FROM_URLSAFE_PAD: Final = (b"", b"", b"==", b"=")


def _b64(segment: str) -> bytes:
    # The cheapest stdlib base64url decode on CPython: two replace() passes beat translate().
    data = segment.encode("ascii")
    return binascii.a2b_base64(data.replace(b"-", b"+").replace(b"_", b"/") + _FROM_URLSAFE_PAD[len(data) % 4])


def floor_v4(key: bytes) -> Callable[[str], object]:
    """split + base64url + AESGCM.decrypt (object built once) + json.loads."""
    aead = AESGCM(key)

    def decode(token: str) -> object:
        header, _, iv, ciphertext, tag = token.split(".")
        return json.loads(aead.decrypt(_b64(iv), _b64(ciphertext) + _b64(tag), header.encode("ascii")))

    return decode


def floor_v5(key: bytes) -> Callable[[str], object]:
    """split + base64url + HMAC-SHA512 tag check + AES-256-CBC decrypt + unpad + json.loads."""
    mac_key, aes = key[:32], algorithms.AES(key[32:])

    def decode(token: str) -> object:
        header, _, iv_segment, ciphertext_segment, tag_segment = token.split(".")
        aad, iv, ciphertext = header.encode("ascii"), _b64(iv_segment), _b64(ciphertext_segment)
        mac = hmac.digest(mac_key, aad + iv + ciphertext + (len(aad) * 8).to_bytes(8, "big"), "sha512")
        if not hmac.compare_digest(mac[:32], _b64(tag_segment)):
            raise ValueError("bad tag")
        decryptor = Cipher(aes, modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        pad = padded[-1]
        if not 0 < pad <= 16 or padded[-pad:] != bytes((pad,)) * pad:
            raise ValueError("bad padding")
        return json.loads(padded[:-pad])

    return decode


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


@dataclass(slots=True)
class Contender:
    case: Case
    name: str
    run: Decoder
    repeats: int = 1
    samples_ns: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples_ns) / 1_000


def load_candidate(path: str) -> ModuleType:
    """A modified copy of asgi_withauth/jwt.py, timed beside the real one (for trying a change)."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f"candidate_{name}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"--candidate: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def contenders_for(
    case: Case, fnj: FastapiNextauthJwt | None, candidates: Sequence[ModuleType] = ()
) -> list[Contender]:
    version, token, salt = case.version, case.token, salt_for(case.version)
    key = jwt.derive_key(SECRET, salt=salt, version=version)
    codec = jwt.TokenCodec(SECRET, salt=salt, version=version)
    floor = floor_v4(key) if version == 4 else floor_v5(key)
    enc = jwt.A256GCM if version == 4 else jwt.A256CBC_HS512
    cookies, name = case.cookies, case.cookie_name

    def decode_cookie(decode: Callable[[str], object]) -> object:
        value = read_session_cookie(cookies, name)
        if value is None:
            raise LookupError(name)
        return decode(value)

    runs: list[tuple[str, Decoder]] = [
        (FLOOR, partial(floor, token)),
        (OURS_CODEC, partial(codec.decode, token)),
        (OURS_FUNC, partial(jwt.decode, token, SECRET, salt=salt, version=version)),
        (OURS_COOKIES, partial(decode_cookie, codec.decode)),
        (JOSERFC, partial(joserfc_decoder(key, enc), token)),
    ]
    for candidate in candidates:
        label = candidate.__name__.replace("_", " ", 1)
        other = candidate.TokenCodec(SECRET, salt=salt, version=version)
        runs.append((f"{label} TokenCodec.decode", partial(other.decode, token)))
        runs.append((f"{label} read_session_cookie + TokenCodec.decode", partial(decode_cookie, other.decode)))
    if fnj is not None:
        dependency = fnj.dependency(version, name)
        runs.append((FNJ, partial(fnj.decoder(dependency), token)))
        # The whole dependency: chunk joining (its own extract_token), decrypt, json, exp.
        runs.append((FNJ_COOKIES, partial(dependency, SimpleNamespace(cookies=cookies))))
    return [Contender(case, label, run) for label, run in runs]


# ------------------------------------------------------------------ timing


def sample_ns(run: Decoder, repeats: int) -> float:
    """Nanoseconds per call over ``repeats`` back-to-back calls."""
    loop = itertools.repeat(None, repeats)
    start = time.perf_counter_ns()
    for _ in loop:
        run()
    return (time.perf_counter_ns() - start) / repeats


def calibrate(contender: Contender, target_ns: float) -> None:
    """Pick ``repeats`` so that one sample takes about ``target_ns``."""
    for _ in range(20):  # warm-up: caches, lazily built keys and plans
        contender.run()
    repeats = 1
    while True:
        per_call = sample_ns(contender.run, repeats)
        if per_call * repeats >= target_ns / 8 or repeats >= 1 << 24:
            break
        repeats *= 4
    contender.repeats = max(1, round(target_ns / per_call))


def check(contender: Contender) -> None:
    case = contender.case
    if contender.run() != case.claims:
        raise AssertionError(f"{contender.name} decoded {case.format_label} {case.size_label} wrong")


def rotated(items: Sequence[Contender], start: int) -> Iterator[Contender]:
    start %= len(items)
    return itertools.chain(items[start:], items[:start])


def measure(groups: Sequence[Sequence[Contender]], *, rounds: int, target_ns: float) -> None:
    """Round-robin: every round samples each group's contenders back to back, in a rotated order.

    A contender and its row's floor are thus sampled within a few tens of milliseconds of
    each other in every round, so a burst of machine noise hits both, or neither.
    """
    for contender in itertools.chain.from_iterable(groups):
        check(contender)
    gc.collect()
    gc.disable()
    try:
        for contender in itertools.chain.from_iterable(groups):
            calibrate(contender, target_ns)
        for index in range(rounds):
            gc.collect()
            for group in groups:
                for contender in rotated(group, index):
                    contender.samples_ns.append(sample_ns(contender.run, contender.repeats))
    finally:
        gc.enable()


# ------------------------------------------------------------------ report


@dataclass(frozen=True, slots=True)
class Row:
    format: str
    size: str
    claims_bytes: int
    token_chars: int
    cookies: int
    contender: str
    median_us: float
    ratio: float
    """Median over rounds of (this sample / the floor's sample in the same round)."""
    ratio_q1: float
    ratio_q3: float
    repeats: int
    rounds_us: list[float]


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def rows(groups: Sequence[Sequence[Contender]]) -> list[Row]:
    out = []
    for group in groups:
        floor = next(c for c in group if c.name == FLOOR)
        for c in group:
            q1, ratio, q3 = quartiles([mine / base for mine, base in zip(c.samples_ns, floor.samples_ns, strict=True)])
            case = c.case
            out.append(
                Row(
                    format=case.format_label,
                    size=case.size_label,
                    claims_bytes=len(json.dumps(case.claims, separators=(",", ":"), ensure_ascii=False).encode()),
                    token_chars=len(case.token),
                    cookies=case.chunks,
                    contender=c.name,
                    median_us=c.median_us,
                    ratio=ratio,
                    ratio_q1=q1,
                    ratio_q3=q3,
                    repeats=c.repeats,
                    rounds_us=[round(sample / 1_000, 3) for sample in c.samples_ns],
                )
            )
    return out


def table(result: Sequence[Row], *, missing: Sequence[str] = ()) -> str:
    """A Markdown table; ``missing`` contenders (not installed) get an n/a row in every group."""
    lines = [
        "| format | size | contender | median µs | ratio to floor | ratio IQR |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for index, row in enumerate(result):
        mark = " **over**" if row.contender in OURS and row.ratio > TARGET_RATIO else ""
        size = f"{row.size} ({row.token_chars:,} ch, {row.cookies} cookie{'s' if row.cookies > 1 else ''})"
        lines.append(
            f"| {row.format} | {size} | {row.contender} | {row.median_us:,.1f} | "
            f"{row.ratio:.2f}x{mark} | {row.ratio_q1:.2f}-{row.ratio_q3:.2f} |"
        )
        last_of_group = index + 1 == len(result) or result[index + 1].contender == FLOOR
        if last_of_group:
            lines.extend(f"| {row.format} | {size} | {name} | n/a | n/a | not installed |" for name in missing)
    return "\n".join(lines)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "implementation": platform.python_implementation()}
    for dist in ("asgi_withauth", "cryptography", "joserfc", "fastapi-nextauth-jwt", "python-jose"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def summary(result: Sequence[Row]) -> str:
    over = [row for row in result if row.contender in OURS and row.ratio > TARGET_RATIO]
    worst = max((row for row in result if row.contender in OURS), key=lambda row: row.ratio)
    head = f"target: ours within {TARGET_RATIO}x of the floor at every size -> "
    if not over:
        return head + f"met (worst {worst.ratio:.2f}x: {worst.format} {worst.size}, {worst.contender})"
    missed = ", ".join(f"{r.format} {r.size} {r.contender} {r.ratio:.2f}x" for r in over)
    return head + f"MISSED on {len(over)} row(s): {missed}"


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few short rounds (CI smoke test, under ~20 s)")
    parser.add_argument("--json", metavar="PATH", help="also write every sample and the environment as JSON")
    parser.add_argument(
        "--candidate",
        metavar="JWT_PY",
        action="append",
        default=[],
        help="also time TokenCodec from this modified copy of asgi_withauth/jwt.py (repeatable)",
    )
    parser.add_argument("--rounds", type=int, help="rounds (default 250, --quick 40)")
    parser.add_argument("--sample-ms", type=float, help="target length of one sample in ms (default 4, --quick 2)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rounds: int = args.rounds or (40 if args.quick else 250)
    sample_ms: float = args.sample_ms or (2.0 if args.quick else 4.0)
    began = time.perf_counter()
    now = int(time.time())
    fnj = FastapiNextauthJwt.load()
    cases = [make_case(version, label, size, now=now) for version in FORMATS for label, size in SIZES]
    candidates = [load_candidate(path) for path in args.candidate]
    groups = [contenders_for(case, fnj, candidates) for case in cases]
    env = versions()
    print(
        f"{sum(map(len, groups))} contenders x {rounds} rounds of ~{sample_ms:g} ms; "
        + ", ".join(f"{k} {v}" for k, v in env.items()),
        file=sys.stderr,
    )
    if fnj is None:
        print("fastapi-nextauth-jwt is not installed: its rows are n/a (pip install fastapi-nextauth-jwt)")
    measure(groups, rounds=rounds, target_ns=sample_ms * 1e6)
    result = rows(groups)
    print(table(result, missing=() if fnj else (FNJ, FNJ_COOKIES)))
    print()
    print(summary(result))
    elapsed = time.perf_counter() - began
    print(f"({elapsed:.1f} s, {os.cpu_count()} cpus, {platform.machine()}, {platform.platform(terse=True)})")
    if args.json:
        document: Mapping[str, Any] = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "arch": platform.machine(), "platform": platform.platform()},
            "versions": env,
            "rounds": rounds,
            "sample_ms": sample_ms,
            "target_ratio": TARGET_RATIO,
            "candidates": args.candidate,
            "seconds": round(elapsed, 1),
            "rows": [asdict(row) for row in result],
        }
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
