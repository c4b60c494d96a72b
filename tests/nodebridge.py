"""Talk to the real next-auth packages through ``interop/bridge.mjs``.

One ``node`` process serves newline-delimited JSON requests (the ops are described in
``interop/README.md``). Tests get it through the session-scoped ``nextauth_bridge``
fixture, which installs ``interop/node_modules`` from its lockfile when needed and skips
when Node or npm is missing (set ``ASGI_WITHAUTH_REQUIRE_NODE=1`` to fail instead)::

    def test_roundtrip(nextauth_bridge: NodeBridge) -> None:
        jwt = nextauth_bridge.call("encode", version=4, token={"sub": "1"}, secret="s")
        claims = nextauth_bridge.call("decode", version=4, token=jwt, secret="s")
        assert claims["sub"] == "1"
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.npm import NpmUnavailable, ensure_node_modules

INTEROP_DIR = Path(__file__).resolve().parent.parent / "interop"
BRIDGE_SCRIPT = INTEROP_DIR / "bridge.mjs"
REQUIRE_NODE_ENV = "ASGI_WITHAUTH_REQUIRE_NODE"
INSTALL_HINT = "install Node >= 20 with npm (the tests run `npm ci --prefix interop` themselves)"
DEFAULT_TIMEOUT = 30.0

# next-auth reads these for defaults. The bridge scrubs them too; a request opts in
# with env={...}.
_AUTH_ENV = ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL", "VERCEL")


class NodeBridgeError(Exception):
    """The real package raised: ``str(err)`` is ``"<ErrorName>: <message>"``."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # e.g. jose's "ERR_JWT_EXPIRED", when the error has one


class NodeBridgeProcessError(RuntimeError):
    """The bridge process failed: could not start, died, timed out or spoke garbage."""


class NodeBridge:
    """A ``node interop/bridge.mjs`` process; ``call()`` starts it when needed."""

    def __init__(self, node: str = "node", *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.node = node
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=50)
        self._lock = threading.Lock()
        self._next_id = 0

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self.close()
        env = {k: v for k, v in os.environ.items() if k not in _AUTH_ENV}
        try:
            self._proc = subprocess.Popen(
                [self.node, str(BRIDGE_SCRIPT)],
                cwd=INTEROP_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as exc:
            raise NodeBridgeProcessError(f"cannot start {self.node}: {exc}") from exc
        self._lines = queue.Queue()
        self._stderr.clear()
        stdout, stderr = self._proc.stdout, self._proc.stderr
        assert stdout is not None
        assert stderr is not None
        threading.Thread(target=self._pump, args=(stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(stderr,), daemon=True).start()

    def close(self, *, grace: float = 5.0) -> None:
        """End the process: close its input, then kill it after ``grace`` seconds."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # the bridge exits at end of input
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def call(self, op: str, **params: Any) -> Any:
        """Run ``op`` and return its result; NodeBridgeError if the package raised."""
        with self._lock:
            self.start()
            proc = self._proc
            assert proc is not None
            assert proc.stdin is not None
            self._next_id += 1
            request_id = self._next_id
            line = json.dumps({"op": op, **params, "id": request_id})
            try:
                proc.stdin.write(line + "\n")
                proc.stdin.flush()
                reply = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                self.close(grace=0)
                raise NodeBridgeProcessError(f"no reply to {op!r} within {self.timeout} s") from None
            except OSError as exc:
                raise NodeBridgeProcessError(f"bridge is gone ({exc}){self._stderr_tail()}") from exc
            if reply is None:
                self.close()
                raise NodeBridgeProcessError(f"bridge exited while running {op!r}{self._stderr_tail()}")
            try:
                response = json.loads(reply)
            except ValueError:
                self.close()
                raise NodeBridgeProcessError(f"not a JSON reply: {reply[:200]!r}") from None
            if not isinstance(response, dict) or response.get("id") != request_id:
                self.close()
                raise NodeBridgeProcessError(f"reply out of step: {reply[:200]!r}")
        if response.get("ok"):
            return response.get("result")
        raise NodeBridgeError(str(response.get("error")), response.get("code"))

    @staticmethod
    def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
        with stream:  # closed at end of output, so no pipe outlives the process
            for line in stream:
                lines.put(line)
        lines.put(None)

    def _drain(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self._stderr.append(line.rstrip("\n"))

    def _stderr_tail(self) -> str:
        return ("\nnode stderr:\n" + "\n".join(self._stderr)) if self._stderr else ""


def find_node_bridge() -> NodeBridge:
    """A (not yet started) bridge; installs interop/node_modules from its lockfile when needed
    (:func:`tests.npm.ensure_node_modules`). Raises :class:`~tests.npm.NpmUnavailable` saying
    what is missing, or RuntimeError with ASGI_WITHAUTH_REQUIRE_NODE=1."""
    node = shutil.which("node")
    try:
        if node is None:
            raise NpmUnavailable("`node` is not on PATH")
        ensure_node_modules(INTEROP_DIR)
    except NpmUnavailable as exc:
        if os.environ.get(REQUIRE_NODE_ENV) == "1":
            raise RuntimeError(f"{REQUIRE_NODE_ENV}=1 but {exc}: {INSTALL_HINT}") from None
        raise
    return NodeBridge(node)


@contextlib.contextmanager
def running_bridge() -> Iterator[NodeBridge]:
    """A started NodeBridge, closed on exit; skips the test when Node is unavailable."""
    try:
        bridge = find_node_bridge()
    except NpmUnavailable as exc:
        pytest.skip(f"next-auth interop bridge unavailable: {exc}; {INSTALL_HINT}")
    bridge.start()
    try:
        yield bridge
    finally:
        bridge.close()


@pytest.fixture(scope="session")
def nextauth_bridge() -> Iterator[NodeBridge]:
    """The real next-auth v4/v5 behind a NodeBridge; skips the test when unavailable."""
    with running_bridge() as bridge:
        yield bridge
