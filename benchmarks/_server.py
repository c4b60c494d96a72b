"""Servers and load: uvicorn serving one variant of the app, wrk loading it, the pinning."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from _apps import HOST, STATS_PATH, VARIANT_ENV, VARIANTS, CheckFailed

HERE: Final = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Pinning:
    """``taskset`` prefixes for the server and for wrk (empty when not pinning)."""

    server: tuple[str, ...]
    wrk: tuple[str, ...]
    note: str


def pinning() -> Pinning:
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    taskset = shutil.which("taskset")
    if taskset is None or len(cores) < 2:
        why = "taskset not found" if taskset is None else f"only {len(cores)} usable core(s)"
        return Pinning((), (), f"not pinned ({why})")
    server, load = cores[0], cores[1]
    return Pinning(
        (taskset, "-c", str(server)), (taskset, "-c", str(load)), f"server on core {server}, wrk on core {load}"
    )


def event_loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


# ================================================================== wrk

WRK_SCRIPT: Final = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p99":%d,"mean":%.1f},"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, table.concat(parts, ",")))
end
"""
"""Counts every response status (wrk's own count calls a 307 a success) and prints one JSON line."""


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    match = re.search(r"wrk (\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


@dataclass(frozen=True, slots=True)
class Wrk:
    """wrk with one thread and ``connections`` connections, its Lua script in ``script``."""

    command: tuple[str, ...]  # the taskset prefix and the wrk executable
    script: Path
    connections: int

    def run(self, port: int, path: str, headers: Mapping[str, str], seconds: float) -> dict[str, Any]:
        """Load ``path`` for ``seconds`` (whole seconds, at least 1): what the script printed."""
        duration = max(1, round(seconds))
        command = [*self.command, "-t1", f"-c{self.connections}", f"-d{duration}s", "--timeout", "5s"]
        command += ["-s", str(self.script)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(f"http://{HOST}:{port}{path}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("WRK_JSON "):
                result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
                return result
        raise CheckFailed(f"wrk printed no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


# ================================================================== uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(port: int, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request with a real HTTP client (``http.client``, redirects not followed)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Server:
    """uvicorn serving one variant of the app, on a free port of 127.0.0.1.

    The server imports the asgi_withauth found first on ``package_root``, then on this
    process's ``PYTHONPATH``: the very one this process measures, or a ``--candidate`` copy."""

    def __init__(self, variant: str, pin: Sequence[str], loop: str, package_root: Path) -> None:
        self.variant = variant
        self.port = free_port()
        self.command = [
            *pin,
            sys.executable,
            "-m",
            "uvicorn",
            "_apps:server_app",
            "--factory",
            "--app-dir",
            str(HERE),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--http",
            "httptools",
            "--loop",
            loop,
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        path = os.pathsep.join(p for p in (str(package_root), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, VARIANT_ENV: VARIANTS[variant], "PYTHONPATH": path}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(self.command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CheckFailed(f"{self.variant} server exited at start-up:\n{self.output()}")
            with contextlib.suppress(OSError):
                if http_get(self.port, STATS_PATH)[0] == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise CheckFailed(f"{self.variant} server did not answer within {timeout:.0f} s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def counts(self) -> dict[str, Any]:
        """What the bare app counted so far (``/_bench/stats``)."""
        status, _, body = http_get(self.port, STATS_PATH)
        if status != 200:
            raise CheckFailed(f"{self.variant}: {STATS_PATH} answered {status}")
        counts: dict[str, Any] = json.loads(body)
        return counts

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
