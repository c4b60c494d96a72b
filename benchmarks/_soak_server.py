"""The soak's server side: the demo as uvicorn factories, its process group, its workers'
memory and CPU from ``/proc``, and the database the ``--database`` mode serves.

``uvicorn _soak_server:jwt_app --factory --workers 2`` runs ``asgi_withauth.demo.build_app``
with the secret in ``SOAK_SECRET``; ``database_app`` with the SQLite file in ``SOAK_DATABASE``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

HOST: Final = "127.0.0.1"
HERE: Final = Path(__file__).resolve().parent
SECRET_ENV: Final = "SOAK_SECRET"
DATABASE_ENV: Final = "SOAK_DATABASE"


# ----------------------------------------------------------------------------- the app


def jwt_app() -> Any:
    """The demo in its JWT mode (uvicorn ``--factory``)."""
    from asgi_withauth.demo import build_app

    return build_app(secret=os.environ[SECRET_ENV])


def database_app() -> Any:
    """The demo in its database mode, over the soak's SQLite file (uvicorn ``--factory``)."""
    from asgi_withauth.demo import build_app

    return build_app(database=os.environ[DATABASE_ENV])


# ----------------------------------------------------------------------------- /proc


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def rss_bytes(pid: int) -> int:
    """Resident memory (``VmRSS``) of ``pid``."""
    return _status_kib(pid, "VmRSS") * 1024


def thread_count(pid: int) -> int:
    """How many threads ``pid`` runs."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """Seconds of CPU time spent busy and in total on all cores so far (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return sorted(found)


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the server gets SIGTERM if the soak dies without stopping it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# ----------------------------------------------------------------------------- the server


def _websocket_option() -> list[str]:
    """``--ws`` as ``asgi-withauth demo`` chooses it (wsproto when installed)."""
    from asgi_withauth.demo.app import websocket_options

    return [f"--{name}={value}" for name, value in websocket_options().items()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class DemoServer:
    """uvicorn serving the demo with ``workers`` worker processes on 127.0.0.1, in a process
    group of its own that :meth:`stop` (and leaving the ``with`` block, however) kills."""

    def __init__(self, *, factory: str, workers: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.workers = workers
        self.command = [
            sys.executable,
            "-m",
            "uvicorn",
            f"_soak_server:{factory}",
            "--factory",
            "--app-dir",
            str(HERE),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            *_websocket_option(),
        ]
        self._env = {**os.environ, **env}
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.process: subprocess.Popen[bytes] | None = None
        self.worker_pids: list[int] = []

    def __enter__(self) -> DemoServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=HERE.parent,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as one
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited at start-up:\n{self.output()}")
            self.worker_pids = self.find_workers()
            if len(self.worker_pids) == self.workers and self._answers():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start within {timeout:.0f} s:\n{self.output()}")
            time.sleep(0.1)

    def find_workers(self) -> list[int]:
        """The worker processes (uvicorn's children started by multiprocessing's spawn)."""
        if self.process is None:
            return []
        if self.workers == 1:  # no supervisor: the server is the process itself
            return [self.process.pid]
        return [pid for pid in children(self.process.pid) if "spawn_main" in _cmdline(pid)]

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as sock:
                sock.sendall(b"GET /p/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return sock.recv(16).startswith(b"HTTP/1.1 404")
        except OSError:
            return False

    def errors(self) -> list[str]:
        """The server's log lines that report an error (a traceback, an ERROR), in order."""
        from asgi_withauth.demo.app import HANDSHAKE_NOISE  # uvicorn's websockets: a refusal, not an error

        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").splitlines()
        return [line for line in lines if ("ERROR" in line or "Traceback" in line) and HANDSHAKE_NOISE not in line]

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-6000:]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the whole process group, then SIGKILL to it if anything is left."""
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # workers that outlived the supervisor
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
        if not self._log.closed:
            self._log.close()


# ----------------------------------------------------------------------------- the database


@contextlib.contextmanager
def soak_database(valid: int, expired: int, token: Any) -> Iterator[tuple[str, float]]:
    """A temporary SQLite file in the demo's tables (created by the demo's own sign-in) with
    ``valid`` users and their sessions, a quarter of them admins, and ``expired`` sessions
    past their expiry; ``token(n, pool=...)`` makes session ``n``'s token. Yields the path
    and the seconds it took."""
    import anyio
    from _soak_traffic import is_admin

    from asgi_withauth.adapters import PG_ADAPTER as L
    from asgi_withauth.demo.modes import DatabaseMode

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="asgi-withauth-soak-") as directory:
        path = str(Path(directory) / "soak.db")
        mode = DatabaseMode(path)

        async def create_tables() -> None:
            await mode.sign_in(name="setup", email="setup@soak.test", role="user", previous=None)
            await mode.aclose()

        anyio.run(create_tables)
        now_ms = int(time.time() * 1000)
        later, before = now_ms + 30 * 86400 * 1000, now_ms - 86400 * 1000
        users, sessions = f'"{L.users_table}"', f'"{L.sessions_table}"'
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("PRAGMA synchronous=OFF")
            db.execute("BEGIN")
            db.execute(f"DELETE FROM {sessions}")  # noqa: S608 (names from the Layout)
            db.execute(f"DELETE FROM {users}")  # noqa: S608
            db.execute("DELETE FROM demo_roles")
            db.executemany(
                f'INSERT INTO {users} ("{L.user_id}", "{L.user_name}", "{L.user_email}") VALUES (?, ?, ?)',  # noqa: S608
                ((n + 1, f"Soak U{n}", f"soak.u{n}@soak.test") for n in range(valid + expired)),
            )
            db.executemany(
                'INSERT INTO demo_roles ("userId", role) VALUES (?, ?)',
                ((str(n + 1), "admin" if is_admin(n) else "user") for n in range(valid + expired)),
            )
            db.executemany(
                f'INSERT INTO {sessions} ("{L.session_token}", "{L.session_user_id}", "{L.session_expires}")'  # noqa: S608
                " VALUES (?, ?, ?)",
                (
                    (token(n) if n < valid else token(n - valid, pool="expired"), n + 1, later if n < valid else before)
                    for n in range(valid + expired)
                ),
            )
            db.execute("COMMIT")
        yield path, time.perf_counter() - started


# ----------------------------------------------------------------------------- caches and their bounds

_SLOT: Final = 330  # a dict slot, the key tuple and the value tuple around an entry (measured: ~200-330 B)
_MiB: Final = 1024 * 1024
_PAGE: Final = 4096 + 256  # an SQLite page and its pcache header
_TCACHE: Final = 7 * sum(32 + 16 * size for size in range(64))  # 240,128 B per thread


def deep_size(obj: object, seen: set[int] | None = None) -> int:
    """``sys.getsizeof`` of ``obj`` and of everything it holds (containers, slots), each once."""
    seen = set() if seen is None else seen
    if id(obj) in seen or obj is None or isinstance(obj, bool):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(deep_size(item, seen) for item in obj)
    else:
        slots: tuple[str, ...] = getattr(type(obj), "__slots__", ())
        size += sum(deep_size(getattr(obj, name, None), seen) for name in slots)
    return size


def _str(length: int) -> int:
    return sys.getsizeof("x" * length)


def _bytes(length: int) -> int:
    return sys.getsizeof(b"x" * length)


def _decoded(claims: dict[str, Any]) -> int:
    from asgi_withauth.sessions.tokens import DecodedToken

    return deep_size(DecodedToken(claims))


# Every cache that holds per-request data in a worker: its name, where it lives (in asgi_withauth,
# unless said), its maxsize, the modes that fill it, and the most bytes one entry can take,
# whatever the request (rough: the key and value objects, and the dict slot around them).
# The last two are native memory that the database mode fills, and bounds too.
# urllib.parse.urlsplit's lru_cache (128) and re's (512) see only the app's constant strings.
CACHES: Final = (
    # paths of <= 1024 chars (4 B each at worst), their raw bytes (<= 12 per char, %-encoded)
    ("route memo", "_middleware.withauth.WithAuth._routes", 1024, "both", _SLOT + 4 * _str(1024) + _bytes(12288)),
    # Cookie headers of <= 16 KiB, the session token found in one, and what it decoded to
    # (claims at <= 35 B per token char; often the very object the decoded-token cache holds)
    (
        "cookie-header memo",
        "sessions.reader.TokenReader._seen",
        256,
        "both",
        _SLOT + _bytes(16384) + _str(16384) + 35 * 16384,
    ),
    # only tokens that decrypt with the secret, <= 64 KiB; claims take <= 35 B per token char (nested lists)
    ("decoded-token cache", "sessions.tokens.TokenCache", 1024, "jwt", _SLOT + _str(65536) + 35 * 65536),
    # header segments of <= 1024 chars, stored once checked (JSON at <= 35 B per char)
    ("JOSE header cache", "_codec.compact._HEADERS", 128, "both", _SLOT + _str(1024) + 35 * 1024),
    # (enc, kid, flag) per codec, a kid from a header of <= 1024 chars; 3 codecs (v4, v5, v5 __Secure-)
    ("key plans", "_codec.codec.TokenCodec._plans", 3 * 64, "both", _SLOT + _str(1024)),
    # Host values of <= 260 chars, and the origin made of one
    ("origin memo", "_request.urls._checked_origin", 256, "both", _SLOT + 2 * _str(270)),
    # an origin (as above), the root path and the sign-in page (configuration)
    ("sign-in URL memo", "_request.urls._page", 256, "both", _SLOT + 3 * _str(300)),
    # keyed by the app's callbacks: the demo has one
    ("callback-style memo", "sessions._callbacks._dict_style", 256, "both", _SLOT),
    # tokens of <= 255 chars, the user and session rows (as large as the database's rows: 8 KiB here)
    ("session hits", "sessions.database.DatabaseSessions._hits", 1024, "database", _SLOT + _str(255) + 8192),
    # tokens of <= 255 chars, and a time
    ("session misses", "sessions.database.DatabaseSessions._misses", 1024, "database", _SLOT + _str(255)),
    # client IP addresses (the soak has one)
    ("proxy-trust memo", "uvicorn ProxyHeadersMiddleware._trusts", 4096, "both", _SLOT + _str(45)),
    # native, database mode only: the SQLite adapter's connection keeps 2,000 KiB of 4 KiB pages
    # (PRAGMA cache_size -2000) with a header each; the rows of the sessions it read
    ("SQLite page cache", "sqlite3, SQLiteAdapter's connection", 500, "database", _PAGE),
    # glibc keeps up to 7 freed chunks of each of its 64 sizes (<= 1,032 B) per thread: the anyio
    # worker threads (<= 40) that run the queries. Measured: with GLIBC_TUNABLES=glibc.malloc.tcache_count=0
    # the database mode's slow RSS creep is gone
    ("glibc tcache", "malloc, anyio worker threads", 40, "database", _TCACHE),
)
# what the soak's traffic can put in the caches it cannot fill: its 4 JOSE headers and their plans
_SOAK_FILLS: Final = {"callback-style memo": 1, "proxy-trust memo": 1, "JOSE header cache": 4, "key plans": 4}


def cache_bounds(mode: str, largest: Any) -> list[dict[str, Any]]:
    """Each cache of ``mode`` with its maxsize, bytes per entry for any request (``worst_entry``)
    and for the largest request this soak sent (``soak_entry``), and full of either."""
    from _soak_traffic import user_claims

    claims = {**user_claims(10**9, admin=True), "pad": "p" * largest.pad, "iat": 2**31, "exp": 2**31}
    claims["jti"] = "00000000-0000-4000-8000-000000000000"
    user = {"id": 10**9, "name": "Soak U1000000000", "email": "soak.u1000000000@soak.test", "image": None}
    session = {"user": user, "session": {"userId": 10**9, "expires": "2030-01-01T00:00:00.000Z"}}
    soak = {
        "route memo": _SLOT + _str(largest.path) + _bytes(largest.path),
        "cookie-header memo": _SLOT + _bytes(largest.cookie) + _str(largest.token) + 2 * _str(30) + _decoded(claims),
        "decoded-token cache": _SLOT + _str(largest.token) + _decoded(claims),
        "JOSE header cache": _SLOT + _str(200) + 1200,
        "key plans": _SLOT + _str(100),
        "origin memo": _SLOT + 2 * _str(largest.host),
        "sign-in URL memo": _SLOT + 3 * _str(largest.host + 20),
        "callback-style memo": _SLOT,
        "session hits": _SLOT + _str(64) + _decoded(session),
        "session misses": _SLOT + _str(64),
        "proxy-trust memo": _SLOT + _str(9),
        "SQLite page cache": _PAGE,
        "glibc tcache": _TCACHE,
    }
    rows = []
    for name, where, maxsize, modes, worst in CACHES:
        if modes in ("both", mode):
            filled = _SOAK_FILLS.get(name, maxsize)
            row = {"cache": name, "where": where, "maxsize": maxsize, "worst_entry": worst, "worst": maxsize * worst}
            rows.append(row | {"soak_entry": soak[name], "soak": filled * soak[name]})
    return rows


def memory_summary(
    mode: str, largest: Any, workers: list[int], samples: list[tuple[float, list[int]]]
) -> dict[str, Any]:
    """Each worker's resident memory (first sample, last, highest), the caches' bounds, and
    whether every worker stayed within the caches full of this soak's largest entries."""
    caches = cache_bounds(mode, largest)
    bound = sum(c["soak"] for c in caches)
    found = []
    for index, pid in enumerate(workers):
        series = [values[index] for _, values in samples]
        start, end, peak = series[0], series[-1], max(series)
        found.append(
            {"pid": pid, "start": start, "end": end, "max": peak, "growth": end - start, "peak_growth": peak - start}
        )
    return {
        "workers": found,
        "soak_bound": bound,
        "worst_bound": sum(c["worst"] for c in caches),
        "within": all(w["peak_growth"] <= bound for w in found),
        "samples": [(round(t, 1), values) for t, values in samples],
        "caches": caches,
    }


def _mib(value: float) -> str:
    return f"{value / _MiB:,.1f} MiB"


def memory_lines(memory: dict[str, Any]) -> list[str]:
    """The memory part of the report: the workers, the caches' table, the check."""
    lines = [
        f"resident memory (VmRSS) per worker; the caches can hold {_mib(memory['soak_bound'])} of this soak's "
        f"largest entries, {_mib(memory['worst_bound'])} of the largest entries any request can make"
    ]
    for w, threads in zip(memory["workers"], memory["threads"], strict=True):
        growth, peak = w["growth"] / _MiB, w["peak_growth"] / _MiB
        lines.append(
            f"  worker {w['pid']}: start {_mib(w['start'])}, end {_mib(w['end'])}, max {_mib(w['max'])}, "
            f"growth {growth:+.1f} MiB (peak {peak:+.1f} MiB), at most {threads} threads"
        )
    lines += ["", "| cache | where | maxsize | bytes/entry, soak | bytes/entry, any | full, soak | full, any |"]
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for c in memory["caches"]:
        sizes = (
            f"{c['maxsize']:,} | {c['soak_entry']:,} | {c['worst_entry']:,} | {_mib(c['soak'])} | {_mib(c['worst'])}"
        )
        lines.append(f"| {c['cache']} | `{c['where']}` | {sizes} |")
    peak = max(w["peak_growth"] for w in memory["workers"]) / _MiB
    verdict = "ok" if memory["within"] else "OVER THE BOUND"
    lines.append(
        f"memory check: largest growth of a worker {peak:+.1f} MiB <= {_mib(memory['soak_bound'])} "
        f"(the caches full of this soak's entries): {verdict}"
    )
    return lines
