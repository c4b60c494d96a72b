"""Node packages for the tests: ``npm ci`` in a directory of the repository when its
``node_modules`` is missing or was installed from another ``package-lock.json``.

The README's test command is ``pip install -e '.[test]' && python -m pytest``: the tests
install what they need from the committed lockfiles, so the command works as documented with
Node (everything runs) and without it (those tests skip, or fail with ASGI_WITHAUTH_REQUIRE_NODE=1).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
from pathlib import Path

__all__ = ["NpmUnavailable", "ensure_node_modules"]

_MARKER = ".package-lock.sha256"
_LOCK = threading.Lock()


class NpmUnavailable(Exception):
    """Node or npm is missing, or ``npm ci`` failed: ``str(err)`` says which and what to do."""


def _lock_hash(directory: Path) -> str:
    return hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_modules(directory: Path, *, timeout: float = 600) -> None:
    """``npm ci`` in ``directory`` unless its ``node_modules`` matches its lockfile; raises
    :class:`NpmUnavailable` when that cannot be done."""
    with _LOCK:
        modules = directory / "node_modules"
        wanted = _lock_hash(directory)
        marker = modules / _MARKER
        if marker.is_file() and marker.read_text().strip() == wanted:
            return
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            if modules.is_dir():
                return  # installed by hand, no npm to check it with: use it as it is
            raise NpmUnavailable(f"`{'node' if node is None else 'npm'}` is not on PATH (needs Node >= 20 and npm)")
        command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise NpmUnavailable(f"`npm ci` in {directory} took longer than {timeout:.0f} s") from None
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise NpmUnavailable(f"`npm ci` in {directory} failed (exit {done.returncode}):\n{tail}")
        marker.write_text(wanted + "\n")
