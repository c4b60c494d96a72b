"""``--candidate``: another copy of asgi_withauth, imported beside the measured one.

A candidate is a directory holding an ``asgi_withauth/`` package (a modified copy of the
repository, or a git worktree of another commit: ``git worktree add ../base HEAD~5``). Its
package is imported under another module name, so both copies live in one process; this
works because the package imports itself relatively. A single ``.py`` file (a modified
copy of one module, ``jwt.py`` say) is accepted too: it is imported as a submodule of the
measured package, so its relative imports (``from .errors import ...``) find the measured
package's modules.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Final

PACKAGE: Final = "asgi_withauth"
MODULE_PREFIX: Final = "asgi_withauth_candidate"


class CandidateError(Exception):
    """A ``--candidate`` path that holds no importable asgi_withauth (the message says why)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A loaded candidate: ``label`` names its rows, ``module`` is its package (or its file)."""

    label: str
    path: Path
    module: ModuleType

    @property
    def is_package(self) -> bool:
        """A whole package (else one module, its siblings being the measured package's)."""
        return self.path.is_dir()


def package_root(path: Path) -> Path:
    """``path`` itself if it holds ``asgi_withauth/__init__.py``; else a CandidateError."""
    root = path.resolve()
    if not (root / PACKAGE / "__init__.py").is_file():
        raise CandidateError(f"{root} has no {PACKAGE}/__init__.py")
    return root


def load_package(root: Path, name: str = MODULE_PREFIX) -> ModuleType:
    """The ``asgi_withauth`` package under ``root``, imported as ``name``."""
    init = package_root(root) / PACKAGE / "__init__.py"
    return _execute(name, init, package=True)


def load(path: Path, index: int = 0) -> Candidate:
    """The candidate at ``path`` (a directory with the package, or one ``.py`` file).

    ``index`` tells apart several candidates of one run (their module names and labels)."""
    resolved = path.resolve()
    if resolved.is_dir():
        module = load_package(resolved, _module_name(index))
    elif resolved.suffix == ".py" and resolved.is_file():
        name = f"{PACKAGE}._candidate_{index + 1}_{_identifier(resolved.stem)}"
        module = _execute(name, resolved, package=False)
    else:
        raise CandidateError(f"{path} is neither a directory holding {PACKAGE}/ nor a .py file")
    name = resolved.name if resolved.is_dir() else resolved.stem
    return Candidate(label=f"candidate {name}", path=resolved, module=module)


def _module_name(index: int) -> str:
    return MODULE_PREFIX if index == 0 else f"{MODULE_PREFIX}_{index + 1}"


def _identifier(text: str) -> str:
    return re.sub(r"\W", "_", text)


def _execute(name: str, path: Path, *, package: bool) -> ModuleType:
    locations = [str(path.parent)] if package else None
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=locations)
    if spec is None or spec.loader is None:
        raise CandidateError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # relative imports and dataclasses look the module up by name
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        del sys.modules[name]
        raise CandidateError(f"cannot import {path}: {exc}") from exc
    return module
