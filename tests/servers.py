"""Real servers on 127.0.0.1 for tests that speak HTTP and websockets: uvicorn in a thread
(``running``), or any server in a child process (``ServerProcess``, ``server_processes``)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import uvicorn


@contextlib.contextmanager
def running(app: Any, *, ws: str = "websockets-sansio", timeout: float = 10) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields ``"127.0.0.1:<port>"``, stops on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws=ws))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)


# ---------------------------------------------------------------- servers in subprocesses

REPOSITORY = Path(__file__).resolve().parents[1]

SERVER_COMMANDS: dict[str, tuple[str, ...]] = {
    "uvicorn-httptools": ("uvicorn", "--http", "httptools", "--ws", "websockets-sansio", "--no-access-log"),
    "uvicorn-h11": ("uvicorn", "--http", "h11", "--ws", "wsproto", "--no-access-log"),
    "hypercorn": ("hypercorn", "--workers", "0"),  # no worker processes: the server is the child itself
}
"""``python -m`` arguments of each server protocol (before the app, the address and the root path).

uvicorn hands a websocket handshake to its own websocket implementation, so each uvicorn HTTP
protocol is paired with a different one; hypercorn speaks h11 and wsproto."""


def server_command(server: str, app: str, port: int, *, root_path: str = "") -> list[str]:
    """The command that serves ``app`` (``module:attribute``) with ``server`` on 127.0.0.1:``port``."""
    name, *options = SERVER_COMMANDS[server]
    if name == "uvicorn":
        address = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    else:
        address = ["--bind", f"127.0.0.1:{port}", "--log-level", "WARNING"]
    root = ["--root-path", root_path] if root_path else []
    return [sys.executable, "-m", name, *options, *address, *root, app]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _answers_http(port: int, timeout: float) -> bool:
    """Whether something on the port answers ``GET /`` with an HTTP response."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


def _listens(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` itself holds the socket listening on 127.0.0.1:``port`` (another
    process may have taken a free port meanwhile); None where ``/proc`` cannot tell (not Linux)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        table = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None if sys.platform != "linux" else False
    inodes = set()
    for fd in fds:
        with contextlib.suppress(OSError):  # closed meanwhile
            inodes.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    wanted = f"0100007F:{port:04X}"
    return any(
        fields[1] == wanted and fields[3] == "0A" and f"socket:[{fields[9]}]" in inodes  # 0A: LISTEN
        for fields in (line.split() for line in table)
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the server gets SIGTERM if the test process dies without stopping it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServerProcess:
    """One server in a child process on a free loopback port; ``log`` collects its output."""

    def __init__(self, server: str, app: str, *, root_path: str = "", log: Path) -> None:
        self.server = server
        self.app = app
        self.root_path = root_path
        self.log = log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.error: str | None = None
        """Why it did not start (``server_processes(..., keep_going=True)``)."""

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self) -> None:
        self.port = free_port()
        command = server_command(self.server, self.app, self.port, root_path=self.root_path)
        with self.log.open("ab") as out:
            out.write(f"$ {' '.join(command)}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                command,
                cwd=REPOSITORY,  # the apps' modules (and this tree's asgi_withauth) come first on sys.path
                stdin=subprocess.DEVNULL,
                stdout=out,  # a file, never a pipe: a full pipe would block the server
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal is the test run's, not the server's
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def wait_ready(self, deadline: float, *, attempts: int = 3) -> None:
        """Wait until the server answers HTTP; restart it (new port) if it exits while starting
        (another process may have taken the port); raise with its log if it never comes up."""
        for attempt in range(attempts):
            while self.process is not None and self.process.poll() is None:
                if _listens(self.process.pid, self.port) is not False and _answers_http(self.port, timeout=1.0):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.describe()} did not answer in time:\n{self.output()}")
                time.sleep(0.05)
            if attempt + 1 < attempts:
                self.start()
        raise RuntimeError(f"{self.describe()} exited while starting:\n{self.output()}")

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL to its process group if it is still there after ``timeout``."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is its id
            process.wait(timeout)

    def describe(self) -> str:
        root = f" --root-path {self.root_path}" if self.root_path else ""
        return f"{self.server} {self.app}{root} on 127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@contextlib.contextmanager
def server_processes(
    servers: Sequence[ServerProcess], *, timeout: float = 90, keep_going: bool = False
) -> Iterator[None]:
    """Start every server at once, wait until all answer, and stop them all on exit (also when
    starting fails or the body raises). A server that does not start raises, or with
    ``keep_going`` is stopped and has its ``error`` set while the others serve."""
    try:
        for server in servers:
            server.start()
        deadline = time.monotonic() + timeout
        for server in servers:
            try:
                server.wait_ready(deadline)
            except RuntimeError as exc:
                if not keep_going:
                    raise
                server.error = str(exc)
                server.stop()
        yield
    finally:
        for server in servers:
            if server.process is not None:
                server.process.terminate()
        for server in servers:
            server.stop()
