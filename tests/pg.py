"""A real PostgreSQL server for the tests: ``initdb`` and ``pg_ctl`` in a temporary directory.

The server listens on a Unix socket in that directory and on 127.0.0.1 at a free port (for
Node's ``pg``), with ``trust`` authentication for the ``postgres`` superuser. When the tests
run as root, PostgreSQL's programs run as the ``postgres`` user (``initdb`` refuses root).

Fixtures (registered in tests/conftest.py):

- ``pg_server`` (session): the running :class:`PgServer`; stopped at the end of the session.
- ``pg_database`` (module): a fresh database with @auth/pg-adapter's ``schema.sql`` applied
  (tests/fixtures/pg-adapter-schema.sql); ``.conninfo`` for psycopg, ``.url`` for Node's ``pg``.

They skip when PostgreSQL is not installed, unless ``ASGI_WITHAUTH_REQUIRE_POSTGRES=1`` (then
they fail)::

    def test_rows(pg_database: PgDatabase) -> None:
        pg_database.psql('insert into users (name) values ($$Ada$$)')
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_POSTGRES_ENV = "ASGI_WITHAUTH_REQUIRE_POSTGRES"
INSTALL_HINT = "install PostgreSQL (Debian: apt-get install postgresql) so initdb and pg_ctl are found"
PG_ADAPTER_SCHEMA = Path(__file__).resolve().parent / "fixtures" / "pg-adapter-schema.sql"
SUPERUSER = "postgres"

# Settings for a throwaway server: quick to start, nothing worth keeping on disk (commits still
# reach the WAL before they return, so an immediate stop loses nothing a test wrote).
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "16MB",
    "log_min_messages": "warning",
    "TimeZone": "UTC",
}


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed or does not start; the message says why."""


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).resolve().parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    candidates.sort(key=lambda p: int(re.sub(r"\D", "", Path(p).parts[-3]) or 0))
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs PostgreSQL's programs as a user they accept."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root, but runuser is missing to run PostgreSQL as the postgres user")
    return [runuser, "-u", SUPERUSER, "--"]


@dataclass(frozen=True)
class PgDatabase:
    """One database on a :class:`PgServer`."""

    server: PgServer
    name: str

    @property
    def conninfo(self) -> str:
        """libpq key/value conninfo over the Unix socket (for psycopg)."""
        return self.server.conninfo(self.name)

    @property
    def url(self) -> str:
        """``postgresql://`` URL over TCP on 127.0.0.1 (for Node's ``pg``)."""
        return self.server.url(self.name)

    def psql(self, sql: str) -> str:
        """Run ``sql`` with psql (stop at the first error); returns its unaligned output."""
        return self.server.psql(sql, dbname=self.name)


class PgServer:
    """A PostgreSQL cluster in a temporary directory; :meth:`start` / :meth:`stop` it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="asgi-withauth-pg-"))
        self.datadir = self.root / "data"
        self.socket_dir = self.root  # short path: Unix socket paths are limited to ~100 bytes
        self.logfile = self.root / "server.log"
        self.port = 0
        self._prefix = _as_server_user()
        if self._prefix:
            shutil.chown(self.root, user=SUPERUSER)
        self._run("initdb", "-D", self.datadir, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, program: str, *args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*self._prefix, str(self.bindir / program), *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if check and done.returncode != 0:
            raise PostgresUnavailable(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
        return done

    @property
    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", self.datadir, check=False).returncode == 0

    def start(self) -> None:
        """Start on a free port (the same one again after a :meth:`stop`); waits until it accepts."""
        for _attempt in range(3):
            port = self.port or free_port()
            settings = {**SERVER_SETTINGS, "port": str(port), "unix_socket_directories": str(self.socket_dir)}
            options = " ".join(f"-c {key}={value}" for key, value in settings.items())
            done = self._run(
                "pg_ctl", "start", "-w", "-t", "60", "-D", self.datadir, "-l", self.logfile, "-o", options, check=False
            )
            if done.returncode == 0:
                self.port = port
                return
            self.port = 0  # the port may have been taken meanwhile: try another
        raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()}\n{self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: smart, fast or immediate); a stopped server is left alone."""
        if self.datadir.exists() and self.running:
            self._run("pg_ctl", "stop", "-w", "-D", self.datadir, "-m", mode)

    def destroy(self) -> None:
        """Stop the server and remove its directory."""
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, *, dbname: str = "postgres", files: Sequence[Path] = ()) -> str:
        """Run ``sql`` (then ``files``) with psql as the superuser; raises on the first error."""
        command = [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        command += ["-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, "-d", dbname]
        if sql:
            command += ["-c", sql]
        for file in files:
            command += ["-f", str(file)]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, prefix: str = "test", *, schema: Path | None = PG_ADAPTER_SCHEMA) -> PgDatabase:
        """A new, empty database (named after ``prefix``), with ``schema`` applied if given."""
        name = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] + "_" + uuid.uuid4().hex[:8]
        self.psql(f'CREATE DATABASE "{name}"')
        if schema is not None:
            self.psql("", dbname=name, files=[schema])
        return PgDatabase(server=self, name=name)

    def drop_database(self, database: PgDatabase) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def postgres_unavailable(reason: str) -> NoReturn:
    """Skip (or fail, with ASGI_WITHAUTH_REQUIRE_POSTGRES=1) the test that needs PostgreSQL."""
    message = f"PostgreSQL unavailable: {reason}"
    if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {message}", pytrace=False)
    pytest.skip(f"{message} (set {REQUIRE_POSTGRES_ENV}=1 to fail instead)")


@contextlib.contextmanager
def started_server() -> Iterator[PgServer]:
    """A new running server; stopped and removed on exit (and at interpreter exit, whatever happens)."""
    bindir = find_bindir()
    if bindir is None:
        postgres_unavailable(f"no initdb on PATH or in /usr/lib/postgresql/*/bin: {INSTALL_HINT}")
    try:
        server = PgServer(bindir)
    except (PostgresUnavailable, OSError, subprocess.TimeoutExpired) as exc:
        postgres_unavailable(f"initdb failed: {exc}")
    atexit.register(server.destroy)
    try:
        try:
            server.start()
        except (PostgresUnavailable, subprocess.TimeoutExpired) as exc:
            postgres_unavailable(str(exc))
        yield server
    finally:
        server.destroy()
        atexit.unregister(server.destroy)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The tests' PostgreSQL server, shared by the whole session."""
    with started_server() as server:
        yield server


@pytest.fixture(scope="module")
def pg_database(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[PgDatabase]:
    """A fresh database for the test module, with @auth/pg-adapter's schema.sql applied."""
    database = pg_server.create_database(request.module.__name__.rsplit(".", 1)[-1])
    try:
        yield database
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            if pg_server.running:
                pg_server.drop_database(database)
