"""The soak harness (``benchmarks/soak.py``) in a tiny mode, to keep it from rotting: it serves
the demo under uvicorn with two workers, sends a few hundred requests of its mix, checks every
answer, and stops the server, also when interrupted. No speed is asserted."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
TINY = ["--seconds", "60", "--requests", "400", "--distinct", "150", "--clients", "4", "--warmup", "60"]


def soak_command(*args: str) -> list[str]:
    return [sys.executable, "benchmarks/soak.py", *args]


def gone(pids: list[int], timeout: float = 10.0) -> bool:
    """Whether every process in ``pids`` has exited (and been reaped) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(sys.platform != "linux", reason="the harness reads /proc")
@pytest.mark.parametrize("mode", [[], ["--database"]], ids=["jwt", "database"])
def test_a_tiny_soak_checks_every_answer_and_stops_its_server(mode: list[str]) -> None:
    done = subprocess.run(
        soak_command(*mode, *TINY, "--sample", "1", "--json"),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["ok"], summary["failures"]
    assert (summary["wrong_decisions"], summary["server_errors"], summary["transport_errors"]) == (0, 0, 0)
    assert summary["server_log_errors"] == 0
    assert 0 < summary["requests"] <= 400
    assert summary["target_reached"] or summary["requests"] == 400
    # the mix reaches every kind of answer: pages, redirects, 401/403 JSON, 404s, websockets
    statuses = {key.rsplit(" ", 1)[1] for key in summary["statuses"]}
    assert statuses == {"101", "200", "307", "401", "403", "404"}
    workers = [worker["pid"] for worker in summary["memory"]["workers"]]
    assert len(workers) == 2
    assert summary["memory"]["within"]
    assert gone(workers)


@pytest.mark.skipif(sys.platform != "linux", reason="the harness reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_soak_stops_its_server(signum: int) -> None:
    with subprocess.Popen(
        soak_command("--seconds", "600", "--distinct", "10000000", "--clients", "2"),
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as soak:
        try:
            assert soak.stderr is not None
            line = ""
            for line in soak.stderr:  # "uvicorn <pid> (workers <pid>, <pid>) on 127.0.0.1:<port>"
                if line.startswith("uvicorn "):
                    break
            found = re.match(r"uvicorn (\d+) \(workers (\d+), (\d+)\)", line)
            assert found is not None, line
            time.sleep(0.5)  # under load
            os.kill(soak.pid, signum)
            soak.wait(timeout=60)
            assert gone([int(pid) for pid in found.groups()])
            assert soak.returncode == (130 if signum == signal.SIGINT else 128 + signal.SIGTERM)
        finally:
            if soak.poll() is None:
                soak.kill()
