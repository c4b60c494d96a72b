"""``bench_decode.py --node``: the JavaScript original on the same tokens, timed inside Node.

Two contenders per token, run by the real packages through ``interop/bridge.mjs`` (op
``benchSample``, ``interop/ops_bench.mjs``): next-auth's own ``decode()`` (v4 ``next-auth/jwt``,
v5 ``@auth/core/jwt``), which derives its key on every call, and ``jwtDecrypt`` from the jose
that version uses, with the key derived once beforehand. Node times ``repeats`` back-to-back
awaited calls with ``process.hrtime.bigint()``, so the pipe and the JSON around a request do not
count. The bridge client and the ``npm ci`` of ``interop/node_modules`` are the tests' own
(``tests/nodebridge.py``, ``tests/npm.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from tests.nodebridge import NodeBridge

REPOSITORY: Final = Path(__file__).resolve().parent.parent

NEXTAUTH: Final = "next-auth decode() (Node)"
JOSE: Final = "jose jwtDecrypt, pre-derived key (Node)"
CONTENDERS: Final = {NEXTAUTH: "next-auth", JOSE: "jose"}
"""Row label -> the ``contender`` parameter of the ``benchSample`` op."""
INSTALL_HINT: Final = "install Node >= 20 with npm (then `npm ci` in interop/ runs by itself)"


class NodeUnavailable(Exception):
    """Node, npm or the interop packages are missing: ``str(err)`` says what to install."""


@dataclass(frozen=True, slots=True)
class NodeDecoder:
    """One Node contender on one token."""

    bridge: NodeBridge
    contender: str
    version: int
    token: str
    secret: str
    salt: str

    def _call(self, repeats: int, *, claims: bool) -> dict[str, Any]:
        params = {"version": self.version, "token": self.token, "secret": self.secret, "salt": self.salt}
        result: dict[str, Any] = self.bridge.call(
            "benchSample", contender=self.contender, repeats=repeats, claims=claims, **params
        )
        return result

    def decode(self) -> object:
        """The claims Node decoded (one call), for the check before timing."""
        return json.loads(self._call(1, claims=True)["claims_json"])

    def sample(self, repeats: int) -> float:
        """Nanoseconds per call over ``repeats`` back-to-back calls, as timed inside Node."""
        return float(self._call(repeats, claims=False)["ns_per_call"])


class NodeContenders:
    """The bridge process and the Node rows for each token; ``close()`` ends the process."""

    def __init__(self, bridge: NodeBridge) -> None:
        self.bridge = bridge
        node = subprocess.run([bridge.node, "--version"], capture_output=True, text=True, timeout=30, check=True)
        self.versions: dict[str, str] = {"node": node.stdout.strip(), **bridge.call("versions")}
        """Node's version and the interop packages' (next-auth, @auth/core, both jose copies...)."""

    @classmethod
    def start(cls) -> NodeContenders:
        """Start the bridge, installing ``interop/node_modules`` from its lockfile when missing;
        NodeUnavailable when that cannot be done."""
        if str(REPOSITORY) not in sys.path:
            sys.path.insert(0, str(REPOSITORY))
        try:
            from tests.nodebridge import find_node_bridge
            from tests.npm import NpmUnavailable
        except ImportError as exc:
            raise NodeUnavailable(f"tests/nodebridge.py cannot be imported ({exc}): pip install -e '.[test]'") from exc
        try:
            bridge = find_node_bridge()
        except NpmUnavailable as exc:
            raise NodeUnavailable(f"{exc}; {INSTALL_HINT}") from exc
        except RuntimeError as exc:  # ASGI_WITHAUTH_REQUIRE_NODE=1: the message says it all
            raise NodeUnavailable(str(exc)) from exc
        try:
            return cls(bridge)
        except BaseException:
            bridge.close()
            raise

    def decoders(self, *, version: int, token: str, secret: str, salt: str) -> list[tuple[str, NodeDecoder]]:
        """``(row label, decoder)`` for each Node contender on ``token``."""
        return [
            (label, NodeDecoder(self.bridge, contender, version, token, secret, salt))
            for label, contender in CONTENDERS.items()
        ]

    def close(self) -> None:
        self.bridge.close()
