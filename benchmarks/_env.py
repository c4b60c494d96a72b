"""What a benchmark run records about where it ran: versions, the CPU, the measured commit."""

from __future__ import annotations

import contextlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path


def version_of(dist: str, *, missing: str = "n/a") -> str:
    """The installed version of the distribution ``dist``, or ``missing``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return missing


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_commit(root: Path) -> str:
    """The short commit of the repository at ``root``, noting a modified ``asgi_withauth/``."""

    def git(*args: str) -> str:
        command = ["git", "-C", str(root), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "asgi_withauth")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (asgi_withauth/ modified)" if dirty else "")
