"""Run the fuzzing harnesses for a bounded time: ``python tests/fuzz/run.py --seconds 60 [harness ...]``.

Each harness runs in its own process under libFuzzer (atheris) with ``-max_total_time``,
``-timeout=10`` and ``-rss_limit_mb=2048``, on a temporary copy of its seed corpus (the seeds
in the repository never change), with crash reproducers written to a temporary directory.
Prints each harness's executions and final coverage (``cov``/``ft``); exits 1, printing each
reproducer's bytes (``repr``) and the harness's report, if any harness crashed.

Without atheris: exits 2 when ``CI=true`` (CI must fuzz), else says how to install it and
exits 0. ``--parallel N`` runs N harnesses at once; ``--keep DIR`` keeps the grown corpora and
artifacts in ``DIR/<harness>/`` (to resume a long run, or to add its finds to the seeds).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

HERE: Final = Path(__file__).resolve().parent
HARNESSES: Final = ("codec", "get_token", "middleware", "matcher")
_PROGRESS: Final = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+)", re.MULTILINE)
_EXECUTED: Final = re.compile(r"stat::number_of_executed_units: (\d+)")
_ARTIFACTS: Final = ("crash-", "timeout-", "oom-", "leak-")


@dataclass
class Result:
    """What one harness run did."""

    harness: str
    seconds: float
    executions: int = 0
    cov: int = 0
    ft: int = 0
    returncode: int = 0
    artifacts: dict[str, bytes] = field(default_factory=dict)  # file name -> reproducer
    log: str = ""

    @property
    def crashed(self) -> bool:
        return bool(self.artifacts) or self.returncode != 0


def fuzz(harness: str, seconds: int, work: Path) -> Result:
    """Run one harness for ``seconds`` in ``work`` (its corpus and artifacts go there)."""
    corpus, artifacts = work / "corpus", work / "artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    if not corpus.exists():
        shutil.copytree(HERE / "corpus" / harness, corpus)
    command = [
        sys.executable,
        str(HERE / f"fuzz_{harness}.py"),
        f"-max_total_time={seconds}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
    ]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    result = Result(harness, time.monotonic() - started, returncode=done.returncode, log=done.stderr + done.stdout)
    progress = _PROGRESS.findall(result.log)
    if progress:
        _, cov, ft = progress[-1]
        result.cov, result.ft = int(cov), int(ft)
    executed = _EXECUTED.search(result.log)
    result.executions = int(executed.group(1)) if executed else int(progress[-1][0]) if progress else 0
    found = sorted(p for p in artifacts.iterdir() if p.name.startswith(_ARTIFACTS))
    result.artifacts = {p.name: p.read_bytes() for p in found}
    return result


def report(result: Result) -> None:
    status = "CRASHED" if result.crashed else "ok"
    print(
        f"{result.harness:<11} {result.seconds:7.0f} s  {result.executions:>10} execs  "
        f"cov {result.cov:>5}  ft {result.ft:>6}  {status}",
        flush=True,
    )
    if not result.crashed:
        return
    for name, data in result.artifacts.items():
        print(f"  reproducer {name}: {data!r}")
    tail = result.log[result.log.rfind("=== Uncaught") :] if "=== Uncaught" in result.log else result.log[-3000:]
    print("  " + tail.strip().replace("\n", "\n  "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="time per harness (default 60)")
    parser.add_argument("--parallel", type=int, default=1, help="harnesses run at once (default 1)")
    parser.add_argument("--keep", type=Path, help="keep corpora and artifacts in DIR/<harness>/")
    parser.add_argument("harnesses", nargs="*", metavar="harness", help=f"of {', '.join(HARNESSES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.harnesses) - set(HARNESSES))
    if unknown:
        parser.error(f"unknown harness(es) {unknown}: choose from {', '.join(HARNESSES)}")
    if importlib.util.find_spec("atheris") is None:
        print("atheris is not installed: pip install -e '.[fuzz]' (or pip install 'atheris>=2.3')")
        return 2 if os.environ.get("CI", "").lower() == "true" else 0
    names = args.harnesses or list(HARNESSES)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        root = args.keep or Path(scratch)
        with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
            results = list(pool.map(lambda name: fuzz(name, args.seconds, root / name), names))
    for result in results:
        report(result)
    return 1 if any(r.crashed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
