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
