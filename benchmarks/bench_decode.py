"""Decode benchmark: asgi_withauth against the raw crypto floor, joserfc and fastapi-nextauth-jwt.

Usage::

    python benchmarks/bench_decode.py [--quick] [--json out.json] [--candidate DIR_OR_PY ...] [--node]

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
strip the padding (v5) and ``json.loads`` (``_floor``). It checks no header and no claims.
``--candidate DIR`` times ``TokenCodec`` from the asgi_withauth package in ``DIR`` (a
modified copy of the repository, or a git worktree of another commit) in the same run, to
try a change without touching the package; a single ``.py`` file defining ``TokenCodec`` (a
modified copy of one module) is accepted too.

``--node`` adds the JavaScript original on the same tokens: next-auth's own ``decode()`` and
jose's ``jwtDecrypt`` with a pre-derived key, through ``interop/bridge.mjs``, each sample timed
inside Node (``_node``) and taken in the same rounds as the rest.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Final

from _candidate import Candidate, CandidateError, load
from _env import version_of
from _floor import Floor, aes_cbc_hs512_floor, aes_gcm_floor
from _libraries import FastapiNextauthJwt, joserfc_decoder
from _node import NodeContenders, NodeUnavailable
from _session import SECRET, USER_CLAIMS
from _stats import gc_off, interleaved_rounds, median, per_round_ratios, quartiles

from asgi_withauth import jwt
from asgi_withauth._codec import speedups
from asgi_withauth._request.cookies import chunk_session_cookie, read_session_cookie, session_cookie_name

TARGET_RATIO: Final = 1.5
"""The issue's goal: ours within this factor of the floor, at every size."""

SIZES: Final = (("300 B", 300), ("3 KB", 3_000), ("10 KB", 10_000))
"""Label and length in bytes of the claims JSON (the JWE plaintext)."""

FORMATS: Final[dict[jwt.Version, str]] = {4: "v4 A256GCM", 5: "v5 A256CBC-HS512"}

FLOOR: Final = "floor (cryptography)"
FAST_FLOOR: Final = "floor with pybase64 + orjson"
OURS_CODEC: Final = "ours TokenCodec.decode"
OURS_FAST: Final = "ours TokenCodec.decode, speed extra"
OURS_FUNC: Final = "ours jwt.decode() (derives its keys per call)"
OURS_COOKIES: Final = "ours read_session_cookie + TokenCodec.decode"
JOSERFC: Final = "joserfc decrypt_compact + json.loads"
FNJ: Final = "fastapi-nextauth-jwt (jose jwe.decrypt + json.loads + exp)"
FNJ_COOKIES: Final = "fastapi-nextauth-jwt NextAuthJWT(request), joins chunks"
OURS: Final = frozenset({OURS_CODEC, OURS_COOKIES})
"""The rows the target applies to: the hot path, a TokenCodec built once. ``jwt.decode()`` keeps no
module-level cache of secrets or keys, so it derives them on every call; it is shown, not targeted.
These rows run on the standard library only (the speed extra switched off for their samples)."""
FAST_TARGET_RATIO: Final = 0.5
"""With the speed extra: at most this factor of the (standard library) floor, at every size."""

Decoder = Callable[[], object]


# ------------------------------------------------------------------ tokens


def salt_for(version: jwt.Version) -> str:
    """next-auth v4 uses no salt; Auth.js v5 salts with the session cookie's name."""
    return "" if version == 4 else session_cookie_name(version=5)


def session_claims(size: int, *, now: int) -> dict[str, Any]:
    """Claims like a real next-auth session, padded so the encoded JWT payload is ``size`` bytes."""
    claims: dict[str, Any] = {**USER_CLAIMS, "pad": ""}
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


def on_text(floor: Floor) -> Callable[[str], object]:
    """The floor handed the token as ours is, a ``str``: one ``encode`` of the whole token."""

    def decode(token: str) -> object:
        return floor(token.encode("ascii"))

    return decode


@dataclass(slots=True)
class Contender:
    case: Case
    name: str
    run: Decoder
    repeats: int = 1
    samples_ns: list[float] = field(default_factory=list)
    timer: Callable[[int], float] | None = None
    """Takes a sample itself (ns per call over that many calls; Node's rows); None: ``sample_ns``."""

    def sample(self, repeats: int) -> float:
        return sample_ns(self.run, repeats) if self.timer is None else self.timer(repeats)

    @property
    def median_us(self) -> float:
        return median(self.samples_ns) / 1_000


def candidate_api(candidate: Candidate) -> tuple[Any, Callable[[Mapping[str, str], str], str | None]]:
    """The candidate's ``TokenCodec`` and the ``read_session_cookie`` to pair it with: the
    package's own, or ours for a single file."""
    module = candidate.module
    if candidate.is_package:
        return module.jwt.TokenCodec, _cookies_module(module).read_session_cookie
    return module.TokenCodec, read_session_cookie


def _cookies_module(package: ModuleType) -> Any:
    """The candidate's cookie module: ``_request/cookies.py`` since the structure redesign,
    ``cookies.py`` before it."""
    for name in ("_request.cookies", "cookies"):
        try:
            return importlib.import_module(f"{package.__name__}.{name}")
        except ModuleNotFoundError:
            continue
    raise SystemExit(f"--candidate: {package.__name__} has no cookie module")


def contenders_for(
    case: Case, fnj: FastapiNextauthJwt | None, candidates: Sequence[Candidate] = (), node: NodeContenders | None = None
) -> list[Contender]:
    version, token, salt = case.version, case.token, salt_for(case.version)
    key = jwt.derive_key(SECRET, salt=salt, version=version)
    codec = jwt.TokenCodec(SECRET, salt=salt, version=version)
    floor = on_text(aes_gcm_floor(key) if version == 4 else aes_cbc_hs512_floor(key))
    enc = jwt.A256GCM if version == 4 else jwt.A256CBC_HS512
    cookies, name = case.cookies, case.cookie_name

    def decode_cookie(decode: Callable[[str], object], read: Callable[..., str | None] = read_session_cookie) -> object:
        value = read(cookies, name)
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
        codec_class, read = candidate_api(candidate)
        other = codec_class(SECRET, salt=salt, version=version)
        runs.append((f"{candidate.label} TokenCodec.decode", partial(other.decode, token)))
        runs.append(
            (f"{candidate.label} read_session_cookie + TokenCodec.decode", partial(decode_cookie, other.decode, read))
        )
    if fnj is not None:
        dependency = fnj.dependency(version, name)
        runs.append((FNJ, partial(fnj.decoder(dependency), token)))
        # The whole dependency: chunk joining (its own extract_token), decrypt, json, exp.
        runs.append((FNJ_COOKIES, partial(dependency, SimpleNamespace(cookies=cookies))))
    # Ours on the standard library only, whether or not the speed extra is installed.
    out = [Contender(case, label, run, timer=stdlib_timer(run) if label in STDLIB else None) for label, run in runs]
    if speedups.installed() == SPEED_EXTRA:
        fast_floor = on_text(aes_gcm_floor(key, fast=True) if version == 4 else aes_cbc_hs512_floor(key, fast=True))
        out.append(Contender(case, FAST_FLOOR, partial(fast_floor, token)))
        out.append(Contender(case, OURS_FAST, partial(codec.decode, token)))
    if node is not None:  # timed inside Node: each takes its own samples
        js = node.decoders(version=version, token=token, secret=SECRET, salt=salt)
        out.extend(Contender(case, label, decoder.decode, timer=decoder.sample) for label, decoder in js)
    return out


# ------------------------------------------------------------------ timing

SPEED_EXTRA: Final = ("pybase64", "orjson")
STDLIB: Final = frozenset({OURS_CODEC, OURS_FUNC, OURS_COOKIES})


def stdlib_timer(run: Decoder) -> Callable[[int], float]:
    """Samples ``run`` with the speed extra switched off (and back on after)."""

    def sample(repeats: int) -> float:
        with speedups.stdlib_only():
            return sample_ns(run, repeats)

    return sample


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
        per_call = contender.sample(repeats)
        if per_call * repeats >= target_ns / 8 or repeats >= 1 << 24:
            break
        repeats *= 4
    contender.repeats = max(1, round(target_ns / per_call))


def check(contender: Contender) -> None:
    case = contender.case
    if contender.run() != case.claims:
        raise AssertionError(f"{contender.name} decoded {case.format_label} {case.size_label} wrong")


def measure(groups: Sequence[Sequence[Contender]], *, rounds: int, target_ns: float) -> None:
    """Interleaved rounds (see ``_stats``): each group's contenders sampled back to back, so a
    contender and its row's floor are sampled within a few tens of milliseconds of each other
    in every round, and a burst of machine noise hits both, or neither."""
    for contender in itertools.chain.from_iterable(groups):
        check(contender)
    with gc_off():
        for contender in itertools.chain.from_iterable(groups):
            calibrate(contender, target_ns)
        for contender in interleaved_rounds(groups, rounds):
            contender.samples_ns.append(contender.sample(contender.repeats))


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


def rows(groups: Sequence[Sequence[Contender]]) -> list[Row]:
    out = []
    for group in groups:
        floor = next(c for c in group if c.name == FLOOR)
        for c in group:
            q1, ratio, q3 = quartiles(per_round_ratios(c.samples_ns, floor.samples_ns))
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
        mark = " **over**" if over_target(row) else ""
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
        out[dist] = version_of(dist, missing="not installed")
    return out


TARGETS: Final = (
    (OURS, TARGET_RATIO, "ours"),
    (frozenset({OURS_FAST}), FAST_TARGET_RATIO, "ours with the speed extra"),
)
"""(rows, at most this ratio to the floor, what to call them)."""


def over_target(row: Row) -> bool:
    return any(row.contender in names and row.ratio > limit for names, limit, _ in TARGETS)


def summary(result: Sequence[Row]) -> str:
    lines = []
    for names, limit, label in TARGETS:
        mine = [row for row in result if row.contender in names]
        if not mine:
            lines.append(f"target: {label} within {limit}x of the floor -> not measured (pip install '.[speed]')")
            continue
        over = [row for row in mine if row.ratio > limit]
        worst = max(mine, key=lambda row: row.ratio)
        head = f"target: {label} within {limit}x of the floor at every size -> "
        if not over:
            lines.append(head + f"met (worst {worst.ratio:.2f}x: {worst.format} {worst.size}, {worst.contender})")
        else:
            missed = ", ".join(f"{r.format} {r.size} {r.contender} {r.ratio:.2f}x" for r in over)
            lines.append(head + f"MISSED on {len(over)} row(s): {missed}")
    return "\n".join(lines)


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few short rounds (CI smoke test, under ~20 s)")
    parser.add_argument("--json", metavar="PATH", help="also write every sample and the environment as JSON")
    parser.add_argument(
        "--candidate",
        metavar="DIR_OR_PY",
        action="append",
        type=Path,
        default=[],
        help="also time TokenCodec from the asgi_withauth package in DIR (a modified copy of the repo, a git"
        " worktree of another commit), or from one modified module of the package, a .py file (repeatable)",
    )
    parser.add_argument(
        "--node", action="store_true", help="also time next-auth's decode() and jose in Node (needs Node >= 20, npm)"
    )
    parser.add_argument("--rounds", type=int, help="rounds (default 250, --quick 40)")
    parser.add_argument("--sample-ms", type=float, help="target length of one sample in ms (default 4, --quick 2)")
    args = parser.parse_args(argv)
    try:
        args.candidates = [load(path, index) for index, path in enumerate(args.candidate)]
    except CandidateError as exc:
        parser.error(f"--candidate: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rounds: int = args.rounds or (40 if args.quick else 250)
    sample_ms: float = args.sample_ms or (2.0 if args.quick else 4.0)
    began = time.perf_counter()
    now = int(time.time())
    fnj = FastapiNextauthJwt.load()
    try:
        node = NodeContenders.start() if args.node else None
    except NodeUnavailable as exc:
        raise SystemExit(f"--node: {exc}") from None
    cases = [make_case(version, label, size, now=now) for version in FORMATS for label, size in SIZES]
    groups = [contenders_for(case, fnj, args.candidates, node) for case in cases]
    env = versions() | (node.versions if node else {})
    print(
        f"{sum(map(len, groups))} contenders x {rounds} rounds of ~{sample_ms:g} ms; "
        + ", ".join(f"{k} {v}" for k, v in env.items()),
        file=sys.stderr,
    )
    if fnj is None:
        print("fastapi-nextauth-jwt is not installed: its rows are n/a (pip install fastapi-nextauth-jwt)")
    try:
        measure(groups, rounds=rounds, target_ns=sample_ms * 1e6)
    finally:
        if node is not None:
            node.close()
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
            "fast_target_ratio": FAST_TARGET_RATIO,
            "candidates": [str(path) for path in args.candidate],
            "seconds": round(elapsed, 1),
            "rows": [asdict(row) for row in result],
        }
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
