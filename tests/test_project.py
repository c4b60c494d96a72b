"""The project's promises about itself: CI runs the README's test command, the package is typed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = readme_commands()
    assert len(commands) == 2, "README's set-up is two commands: try it, and run the tests"
    test_command = commands[1]
    assert "pytest" in test_command
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_package_ships_py_typed() -> None:
    assert (ROOT / "asgi_withauth" / "py.typed").exists()
    assert "py.typed" in (ROOT / "pyproject.toml").read_text()


# --------------------------------------------------------------------------- the package's shape

PACKAGE = ROOT / "asgi_withauth"

# Each part of the package, by layer: a part imports only parts of lower layers (or itself).
LAYERS: dict[str, int] = {
    "errors": 0,
    "_cache": 0,
    "_logging": 0,
    "_codec": 1,
    "jwt": 2,
    "adapters": 2,
    "options": 3,
    "_request": 3,
    "_matcher": 4,
    "crosssite": 4,
    "sessions": 4,
    "_middleware": 5,
    "_token": 5,
    "_server_session": 5,
    "_session_route": 5,
    "requirements": 5,
    "fastapi": 6,
    "starlette_auth": 6,
    "__init__": 6,
    "demo": 7,
    "cli": 8,
    "__main__": 9,
}


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part_of(module: Path) -> str:
    parts = module.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported_parts(module: Path) -> set[str]:
    """The parts of the package that ``module`` imports (relative or absolute)."""
    import ast

    package = module.relative_to(ROOT).with_suffix("").parts[:-1]  # ("asgi_withauth", "sessions")
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        names: list[tuple[str, ...]] = []
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            target = (*base, *(node.module.split(".") if node.module else ()))
            names = [(*target, alias.name) for alias in node.names] if not node.module else [target]
        elif isinstance(node, ast.Import):
            names = [tuple(alias.name.split(".")) for alias in node.names]
        for name in names:
            if len(name) >= 2 and name[0] == "asgi_withauth":
                found.add(name[1])
            elif name == ("asgi_withauth",):
                found.add("__init__")
    return found


def test_every_module_belongs_to_a_layer() -> None:
    assert {part_of(module) for module in package_modules()} <= set(LAYERS)


def test_imports_run_down_the_layers_only() -> None:
    upward = [
        f"{module.relative_to(ROOT)} imports {part}"
        for module in package_modules()
        for part in imported_parts(module)
        if part in LAYERS
        and part != part_of(module)
        and LAYERS[part] >= LAYERS[part_of(module)]
        and part_of(module) != "__init__"
    ]
    assert upward == []


def test_no_source_file_is_over_500_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in package_modules() if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


def test_every_cache_is_a_bounded_cache() -> None:
    """One bounded-cache helper (``asgi_withauth._cache``): no ``functools`` caches, which
    would be module-level and outlive the objects whose secrets they hold."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in package_modules()
        if "lru_cache" in p.read_text() or "functools.cache" in p.read_text()
    ]
    assert offenders == []


def test_the_environment_is_read_in_one_place() -> None:
    """NEXTAUTH_SECRET, AUTH_SECRET, NEXTAUTH_URL, AUTH_URL, VERCEL: asgi_withauth.options only."""
    readers = [
        str(p.relative_to(ROOT))
        for p in package_modules()
        if ("os.environ" in p.read_text() or "getenv" in p.read_text()) and p.name != "options.py"
    ]
    assert readers == []
