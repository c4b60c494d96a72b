"""The Next.js apps of the end-to-end tests: installed from their lockfiles, built, and served
on 127.0.0.1 by ``next start``.

Both steps are cached between runs: ``npm ci`` runs when ``node_modules`` was installed from
another ``package-lock.json`` (:func:`tests.npm.ensure_node_modules`), ``next build`` when
``.next/.source-hash`` does not hold the hash of the app's sources and lockfile. Node and npm
are required like the interop tests' (skip with a clear message, or fail with
``ASGI_WITHAUTH_REQUIRE_NODE=1``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from tests.nodebridge import REQUIRE_NODE_ENV
from tests.npm import NpmUnavailable, ensure_node_modules

E2E_DIR = Path(__file__).resolve().parent
SHARED_DIR = E2E_DIR / "shared"  # what both apps import: users, callbacks, the magic-link "mailer"
SOURCE_HASH = ".next/.source-hash"
LOCK_FILE = ".e2e-lock"
GENERATED = frozenset({"node_modules", ".next", "next-env.d.ts", LOCK_FILE})
INSTALL_TIMEOUT = 600.0
BUILD_TIMEOUT = 600.0
START_TIMEOUT = 60.0
AUTH_ENV = ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "AUTH_TRUST_HOST", "VERCEL")


@dataclass(frozen=True)
class NextApp:
    """One app under ``tests/e2e/<name>``: ``version`` is its next-auth major (4 or 5);
    ``host`` is the name the browser uses for both apps (the servers listen on 127.0.0.1)."""

    name: str
    version: Literal[4, 5]
    cookie_name: str
    host: str = "127.0.0.1"

    @property
    def path(self) -> Path:
        return E2E_DIR / self.name

    def source_hash(self) -> str:
        """The hash of every file of the app but the generated ones, and of ``shared/``, names
        included."""
        digest = hashlib.sha256()
        for file in sorted(self.sources()):
            digest.update(file.relative_to(E2E_DIR).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
        return digest.hexdigest()

    def sources(self) -> Iterator[Path]:
        for entry in [*self.path.iterdir(), SHARED_DIR]:
            if entry.name in GENERATED:
                continue
            yield from (file for file in entry.rglob("*") if file.is_file()) if entry.is_dir() else [entry]

    @contextlib.contextmanager
    def prepared(self) -> Iterator[None]:
        """``npm ci`` and ``next build``, each only when its inputs changed since it last ran;
        the build is then kept (a shared lock) until exit. Another test run on the same tree
        waits for an install or a build in progress, and does not rebuild under a server."""
        required_program("node")
        with (self.path / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                ensure_node_modules(self.path, timeout=INSTALL_TIMEOUT)
            except NpmUnavailable as exc:
                unavailable(f"{exc}: the end-to-end tests need Node.js >= 20 and npm")
            if _stamp(self.path / SOURCE_HASH) != self.source_hash():
                _run([self.next_bin, "build"], cwd=self.path, timeout=BUILD_TIMEOUT, what="next build")
                (self.path / SOURCE_HASH).write_text(self.source_hash())
            fcntl.flock(lock, fcntl.LOCK_SH)
            yield

    @property
    def next_bin(self) -> str:
        return str(self.path / "node_modules" / ".bin" / "next")


NEXT4 = NextApp("next4", version=4, cookie_name="next-auth.session-token")
# Next.js's NextURL spells 127.0.0.1 "localhost", and Auth.js 5 builds its form actions from it:
# its sign-in form on 127.0.0.1 would post to localhost, without the CSRF cookie set for
# 127.0.0.1. So the browser reaches this app (and the Python app beside it) as localhost.
NEXT5 = NextApp("next5", version=5, cookie_name="authjs.session-token", host="localhost")


def required_program(name: str) -> str:
    """The program's path; skips (or fails with ASGI_WITHAUTH_REQUIRE_NODE=1) when it is missing."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"`{name}` is not on PATH: the end-to-end tests need Node.js >= 20 and npm")
    assert path is not None
    return path


def unavailable(message: str) -> None:
    """Skip the test saying what is missing, or fail with ASGI_WITHAUTH_REQUIRE_NODE=1."""
    if os.environ.get(REQUIRE_NODE_ENV) == "1":
        pytest.fail(f"{REQUIRE_NODE_ENV}=1 but {message}", pytrace=False)
    pytest.skip(f"{message} (set {REQUIRE_NODE_ENV}=1 to fail instead)")


def _stamp(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in AUTH_ENV}
    return env | {"NEXT_TELEMETRY_DISABLED": "1"} | extra


def _run(command: list[str], *, cwd: Path, timeout: float, what: str) -> None:
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=cwd, env=_environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} in {cwd} failed ({result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")
    print(f"\n{what} in {cwd.name}: {time.monotonic() - started:.1f} s", file=sys.stderr)


@contextlib.contextmanager
def next_server(
    app: NextApp, *, port: int, secret: str, python_origin: str, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``next start`` on 127.0.0.1:``port`` with the secret, the Python app's origin and ``env``;
    yields its origin (``http://<app.host>:<port>``) once it answers, and stops its process
    group on exit."""
    origin = f"http://{app.host}:{port}"
    env = _environment(
        NEXTAUTH_URL=origin,
        AUTH_URL=f"{origin}/api/auth",
        NEXTAUTH_SECRET=secret,
        AUTH_SECRET=secret,
        AUTH_TRUST_HOST="true",
        E2E_PYTHON_ORIGIN=python_origin,
        **(env or {}),
    )
    command = [app.next_bin, "start", "-H", "127.0.0.1", "-p", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=app.path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_answers(f"http://127.0.0.1:{port}", process, log)
        yield origin
    finally:
        _stop_group(process)


def _wait_until_answers(address: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"next start exited ({process.returncode}):\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{address}/api/auth/csrf", timeout=2):  # noqa: S310 (http://127.0.0.1)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"next start did not answer within {START_TIMEOUT} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _stop_group(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM to the server's process group (next start forks), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):  # whatever is left of the group
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout)
