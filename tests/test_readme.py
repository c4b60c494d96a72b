"""README.md's Python code blocks run as written.

The convention, for whoever writes README.md:

- Every ```` ```python ```` block runs, in the order it appears. The blocks under one heading
  (the nearest ``#`` line above them) share one namespace, in order: a later block may use
  what an earlier one of the same section defined (the Starlette recipe's second block uses
  its first block's imports). A block's test runs the earlier blocks of its section first.
- A block preceded by ``<!-- not-run: why -->`` (blank lines between allowed) is skipped, and
  the test says why. Use it only for what cannot run in a test; prefer a block that runs.
- The environment is a real app's: ``NEXTAUTH_SECRET`` and ``AUTH_SECRET`` are set,
  ``uvicorn.run`` only records its call (a block that serves is built, not served), and
  Django is configured as for the recipes (a real project has its settings module).
- After a block runs, what it built is built for real: a Starlette or FastAPI app builds its
  middleware stack (so ``WithAuth`` is constructed with its options, a wrong option fails
  here), and every ``Middleware(...)`` it made (in a name, in a list, or as the block's last
  expression) is instantiated around a no-op app.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware

from tests.recipes.frameworks import configure_django

README = Path(__file__).resolve().parent.parent / "README.md"
SECRET = "readme-test-secret"
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->")

NEEDS_README_EDIT: dict[str, str] = {}
"""Blocks that do not run as written yet, by test id: each is an ``xfail(strict=True)`` until
README.md gets the edit that makes it run (then the test passes, and its entry must go)."""


@dataclass(frozen=True)
class Block:
    """One ```` ```python ```` block of README.md."""

    section: str  # the slug of the heading above it
    index: int  # 1, 2, ... within its section
    line: int  # the README line of its first line of code
    code: str
    not_run: str | None  # the reason of a ``<!-- not-run: ... -->`` before it

    @property
    def id(self) -> str:
        return f"{self.section}-{self.index}"


def slug(heading: str) -> str:
    """``withauth`` for ``### `WithAuth(app, **options)` ``: a signature's arguments left out, so
    that ids stay put while the arguments change."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lstrip("#").split("(")[0].lower()).strip("-")


def readme_blocks(text: str) -> list[Block]:
    """Every Python block, with its section and any ``not-run`` note right before it."""
    blocks: list[Block] = []
    section, counts = "top", {"top": 0}
    lines = text.splitlines()
    fence: str | None = None  # the language of the fenced block we are in
    start = 0
    for number, line in enumerate(lines, start=1):
        if fence is None:
            if line.startswith("```"):
                fence, start = line[3:].strip(), number
            elif line.startswith("#"):
                section = slug(line)
                counts.setdefault(section, 0)
        elif line.startswith("```"):
            if fence == "python":
                counts[section] += 1
                code = "\n".join(lines[start : number - 1]) + "\n"
                blocks.append(Block(section, counts[section], start + 1, code, _note_before(lines, start - 1)))
            fence = None
    return blocks


def _note_before(lines: list[str], fence_index: int) -> str | None:
    """The reason of a ``<!-- not-run: ... -->`` line above ``lines[fence_index]`` (blank lines between)."""
    for line in reversed(lines[:fence_index]):
        if line.strip():
            match = NOT_RUN.fullmatch(line.strip())
            return match.group(1) if match else None
    return None


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def cases() -> Iterator[Any]:
    for block in BLOCKS:
        marks = []
        if block.id in NEEDS_README_EDIT:
            marks.append(pytest.mark.xfail(reason=NEEDS_README_EDIT[block.id], strict=True))
        yield pytest.param(block, id=block.id + ("-not-run" if block.not_run else ""), marks=marks)


# ----------------------------------------------------------------------------- running a block


async def _noop_app(scope: Any, receive: Any, send: Any) -> None:
    return None


def run_block(block: Block, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute ``block`` in ``namespace``; what it defined or changed (its last expression as ``_``).

    Tracebacks point at README.md's own lines."""
    tree = ast.parse(block.code, filename=str(README))
    ast.increment_lineno(tree, block.line - 1)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    before = dict(namespace)
    exec(compile(tree, str(README), "exec"), namespace)  # noqa: S102 - README.md is ours
    if isinstance(last, ast.Expr):
        namespace["_"] = eval(compile(ast.Expression(last.value), str(README), "eval"), namespace)  # noqa: S307
    return {name: value for name, value in namespace.items() if name not in before or before[name] is not value}


def build(value: Any) -> list[Any]:
    """Build what a block made: Starlette/FastAPI middleware stacks, ``Middleware`` entries."""
    if isinstance(value, Middleware):
        cls, args, kwargs = value
        return [cls(_noop_app, *args, **kwargs)]
    if isinstance(value, Starlette):  # FastAPI too
        return [value.build_middleware_stack()]
    if isinstance(value, list | tuple):
        return [built for item in value for built in build(item)]
    return []


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """A real app's environment; the calls to ``uvicorn.run`` (which never serves here)."""
    monkeypatch.setenv("NEXTAUTH_SECRET", SECRET)
    monkeypatch.setenv("AUTH_SECRET", SECRET)
    calls: list[tuple[Any, ...]] = []

    def run(app: Any, *args: Any, **kwargs: Any) -> None:
        calls.append((app, args, kwargs))
        build(app)

    monkeypatch.setattr(uvicorn, "run", run)
    configure_django()
    return calls


@pytest.mark.parametrize("block", list(cases()))
def test_readme_block_runs(block: Block, served: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch) -> None:
    if block.not_run:
        pytest.skip(f"README.md line {block.line}: not-run: {block.not_run}")
    # A module of its own, as a real app's file is (Litestar looks its handlers' module up).
    module = ModuleType(f"readme_{block.section.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for earlier in BLOCKS:
        if earlier.section == block.section and earlier.index < block.index and not earlier.not_run:
            run_block(earlier, namespace)
    for value in run_block(block, namespace).values():
        build(value)


def test_the_readme_has_python_blocks_and_the_exceptions_name_real_ones() -> None:
    assert len(BLOCKS) >= 10
    assert len({block.id for block in BLOCKS}) == len(BLOCKS)
    assert set(NEEDS_README_EDIT) <= {block.id for block in BLOCKS}


def test_blocks_and_notes_are_found_as_documented() -> None:
    text = "\n".join(
        [
            "# Top",
            "```python",
            "a = 1",
            "```",
            "## Section `one`",
            "<!-- not-run: needs a database -->",
            "",
            "```python",
            "b = a",
            "```",
            "```sh",
            "echo no",
            "```",
            "```python",
            "c = 3",
            "```",
        ]
    )
    blocks = readme_blocks(text)
    assert [(b.id, b.line, b.code, b.not_run) for b in blocks] == [
        ("top-1", 3, "a = 1\n", None),
        ("section-one-1", 9, "b = a\n", "needs a database"),
        ("section-one-2", 15, "c = 3\n", None),
    ]


def test_a_block_that_serves_is_built_not_served(served: list[tuple[Any, ...]]) -> None:
    text = "\n".join(
        [
            "```python",
            "import uvicorn",
            "from starlette.applications import Starlette",
            "from starlette.middleware import Middleware",
            "from asgi_withauth import WithAuth",
            "",
            "app = Starlette(middleware=[Middleware(WithAuth, matcher=['/admin'])])",
            "uvicorn.run(app, host='127.0.0.1', port=8000)",
            "```",
        ]
    )
    [block] = readme_blocks(text)
    run_block(block, {"__name__": "readme_serving"})
    [(app, _, kwargs)] = served
    assert isinstance(app, Starlette)
    assert kwargs == {"host": "127.0.0.1", "port": 8000}
    [broken] = readme_blocks(text.replace("matcher=", "matchers="))
    with pytest.raises(TypeError, match="matchers"):  # built at uvicorn.run: WithAuth refuses the option
        run_block(broken, {"__name__": "readme_serving"})
