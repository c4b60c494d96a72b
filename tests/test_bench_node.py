"""``benchmarks/bench_decode.py --node`` in a tiny run, to keep it from rotting: next-auth's own
decode() and jose with a pre-derived key appear in every row group, timed inside Node, with the
Node and package versions recorded. Skips without Node (fails with ASGI_WITHAUTH_REQUIRE_NODE=1)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.nodebridge import INSTALL_HINT, find_node_bridge
from tests.npm import NpmUnavailable

REPOSITORY = Path(__file__).resolve().parent.parent
NODE_ROWS = ("next-auth decode() (Node)", "jose jwtDecrypt, pre-derived key (Node)")


def test_bench_decode_node_rows(tmp_path: Path) -> None:
    try:
        find_node_bridge()  # installs interop/node_modules when needed
    except NpmUnavailable as exc:
        pytest.skip(f"Node unavailable: {exc}; {INSTALL_HINT}")
    out = tmp_path / "bench.json"
    command = [sys.executable, "benchmarks/bench_decode.py", "--node", "--rounds", "2", "--sample-ms", "0.5"]
    done = subprocess.run(
        [*command, "--json", str(out)], cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert document["versions"]["node"].startswith("v")
    assert document["versions"]["next-auth"].startswith("4.")
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in document["rows"]:
        groups.setdefault((row["format"], row["size"]), {})[row["contender"]] = row
    assert len(groups) == 6
    for group in groups.values():
        for name in NODE_ROWS:
            row = group[name]
            assert 0.5 < row["median_us"] < 100_000, row
            assert math.isfinite(row["ratio"]), row
            assert row["ratio"] > 0.05, row
            assert len(row["rounds_us"]) == 2
        assert NODE_ROWS[0] in done.stdout
