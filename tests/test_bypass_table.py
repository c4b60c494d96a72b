"""The bypass table (``tests/bypass/cases.py``), sent to each framework's real app behind WithAuth.

Each case is a request shape with its credentials, its expected outcome and the reason; each
runs against the five matrix apps (Starlette, FastAPI, Litestar, Django, Quart), served by
uvicorn with httptools, and, where the answer depends on the server's parser, also by uvicorn
with h11 and by hypercorn (cases under a root path: uvicorn and hypercorn with ``--root-path
/base``). One test per (case, framework), named ``<case>[<framework>]``, checks every server
the case runs on.

The servers start once for the module and every request goes out at once on a small thread
pool; each test waits for its own. Run alone:
``python -m pytest -p no:cacheprovider tests/test_bypass_table.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bypass.cases import CASES
from tests.bypass.client import send
from tests.bypass.model import EVERY_SERVER, FORBIDDEN, Case, Expect, sign_in
from tests.bypass.table_paths import ADMIN, BAD, NOT_FOUND, TO_ADMIN
from tests.bypass.verdict import Result, describe, header, problems, same_origin_path
from tests.matrix import PROTECTED, PUBLIC, ROOT_PATH
from tests.matrix.wire import Address, Reply, exchange
from tests.servers import ServerProcess, server_processes

FRAMEWORKS = ("starlette", "fastapi", "litestar", "django", "quart")
WORKERS = 6
RESULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Deployment:
    """One framework's app on one server, mounted under a root path or not."""

    framework: str
    server: str
    root_path: str = ""

    def __str__(self) -> str:
        return f"{self.framework}@{self.server}" + (f" --root-path {self.root_path}" if self.root_path else "")

    def follow(self, location: str) -> str:
        """The target that requests ``location``: uvicorn adds its root path itself."""
        if self.root_path and self.server.startswith("uvicorn") and location.startswith(self.root_path + "/"):
            return location[len(self.root_path) :]
        return location


def deployments(case: Case, framework: str) -> list[Deployment]:
    return [Deployment(framework, server, case.root_path) for server in case.servers]


def run(case: Case, deployment: Deployment, address: Address) -> Result:
    """Send the case; follow a 308 to a same-origin path once when the case expects it."""
    reply = send(case, address)
    location = header(reply, "location")
    expect = case.expected(deployment.framework, deployment.server)
    if expect.then is None or reply.status != 308 or location is None or not same_origin_path(location):
        return Result(deployment.server, address, reply)
    return Result(deployment.server, address, reply, send(case, address, deployment.follow(location)))


@dataclass
class Table:
    servers: dict[Deployment, ServerProcess]
    results: dict[tuple[str, Deployment], Future[Result]]

    def address(self, deployment: Deployment) -> Address:
        server = self.servers[deployment]
        if server.error is not None:
            pytest.fail(server.error, pytrace=False)
        return server.address

    def result(self, case: Case, deployment: Deployment) -> Result:
        self.address(deployment)
        return self.results[case.id, deployment].result(timeout=RESULT_TIMEOUT)


def selected(session: pytest.Session) -> list[tuple[Case, str]]:
    """The (case, framework) pairs of the collected tests (all, unless ``-k`` picks some)."""
    ours = [item for item in session.items if getattr(item, "function", None) is test_request_shape]
    return [(item.callspec.params["case"], item.callspec.params["framework"]) for item in ours]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Table]:
    pairs = selected(request.session)
    needed = list(dict.fromkeys(d for case, framework in pairs for d in deployments(case, framework)))
    logs: Path = tmp_path_factory.mktemp("bypass-servers")
    servers = {
        d: ServerProcess(
            d.server,
            f"tests.matrix.{d.framework}_app:app",
            root_path=d.root_path,
            log=logs / f"{d.framework}-{d.server}{d.root_path.replace('/', '-')}.log",
        )
        for d in needed
    }
    with server_processes(list(servers.values()), keep_going=True):
        pool = ThreadPoolExecutor(max_workers=WORKERS)
        try:
            results = {
                (case.id, d): pool.submit(run, case, d, servers[d].address)
                for case, framework in pairs
                for d in deployments(case, framework)
                if servers[d].error is None
            }
            yield Table(servers, results)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


PARAMS = [pytest.param(case, framework, id=f"{case.id}[{framework}]") for case in CASES for framework in FRAMEWORKS]


@pytest.mark.parametrize(("case", "framework"), PARAMS)
def test_request_shape(table: Table, case: Case, framework: str) -> None:
    failures = []
    for deployment in deployments(case, framework):
        result = table.result(case, deployment)
        expect = case.expected(framework, deployment.server)
        got = describe(result.reply) + (f", then {describe(result.followed)}" if result.followed else "")
        failures += [f"  {deployment}: {problem}\n    got {got}" for problem in problems(result, expect)]
    report = [f"{case}", f"  why: {case.why}", f"  expected: {case.expect}", *failures]
    assert not failures, "\n".join(report)


def test_every_server_still_answers_after_the_table(table: Table) -> None:
    """No request of the table took a server down (a dead server would refuse every later one)."""
    for future in table.results.values():
        future.result(timeout=RESULT_TIMEOUT)
    for deployment, server in table.servers.items():
        if server.error is not None:
            continue
        assert server.process is not None, f"{deployment} was stopped"
        assert server.process.poll() is None, f"{deployment} exited"
        public = ROOT_PATH + "/users" if deployment.root_path and deployment.server == "hypercorn" else "/users"
        reply = exchange(table.address(deployment), "GET", public)
        assert f"{PUBLIC}users ".encode() in reply.body, (str(deployment), reply)


# ------------------------------------------------------------------ the verdict and the table themselves

ADDRESS = ("127.0.0.1", 8000)
OWN = "http://127.0.0.1:8000/api/auth/signin?callbackUrl="


def reply(status: int, *headers: str, body: bytes = b"") -> Reply:
    lines = [f"HTTP/1.1 {status} X", *headers, "Cache-Control: no-store"]
    return Reply(status, "\r\n".join(lines).encode(), body)


@pytest.mark.parametrize(
    ("got", "expect", "flag"),
    [
        (reply(200, body=b"PROTECTED:admin path='/admin'"), ADMIN, "BYPASS"),
        (reply(404, body=b"PROTECTED:admin path='/admin'"), NOT_FOUND, "BYPASS"),
        (reply(101, body=b"\x81 x"), FORBIDDEN, "BYPASS"),
        (reply(502), BAD, "SERVER ERROR"),
        (reply(308, "Location: //evil.example/admin"), TO_ADMIN, "OPEN REDIRECT"),
        (reply(308, "Location: /\\evil.example"), TO_ADMIN, "OPEN REDIRECT"),
        (reply(307, "Location: http://evil.example/api/auth/signin?callbackUrl=%2Fadmin"), ADMIN, "OPEN REDIRECT"),
        (reply(307, f"Location: {OWN}%2F%2Fevil.example"), ADMIN, "OPEN REDIRECT"),
        (reply(307, f"Location: {OWN}http%3A%2F%2Fevil.example"), ADMIN, "OPEN REDIRECT"),
        (reply(307, f"Location: {OWN}%2Fadmin&callbackUrl=%2F%2Fevil"), ADMIN, "OPEN REDIRECT"),
        (reply(307, f"Location: {OWN}%2Fadmin"), sign_in("/admin/x"), "expected callbackUrl"),
        (Reply(307, f"HTTP/1.1 307 X\r\nLocation: {OWN}%2Fadmin".encode()), ADMIN, "no-store"),
        (reply(400), ADMIN, "expected 307, got 400"),
        (Reply(0, note="timed out"), BAD, "got no response"),
    ],
)
def test_the_verdict_flags_what_it_must(got: Reply, expect: Expect, flag: str) -> None:
    """The table's verdicts rest on this: a bypass, an open redirect or a 5xx is never missed."""
    found = problems(Result("server", ADDRESS, got), expect)
    assert any(flag in problem for problem in found), found


def test_the_verdict_passes_what_is_expected() -> None:
    assert not problems(Result("server", ADDRESS, reply(307, f"Location: {OWN}%2Fadmin")), ADMIN)
    followed = Result("server", ADDRESS, reply(308, "Location: /admin"), reply(307, f"Location: {OWN}%2Fadmin"))
    assert not problems(followed, TO_ADMIN)
    assert problems(Result("server", ADDRESS, reply(308, "Location: /admin")), TO_ADMIN) == [
        "the redirect was not followed"
    ]


def test_the_table_is_large_named_and_explained() -> None:
    ids = [case.id for case in CASES]
    duplicates = [name for name, count in Counter(ids).items() if count > 1]
    assert not duplicates
    assert len(CASES) >= 100
    assert all(case.why.strip() for case in CASES)
    categories = Counter(case.category for case in CASES)
    assert min(categories.values()) >= 4, categories
    assert all(set(case.servers) <= set(EVERY_SERVER) for case in CASES)


def test_every_unauthenticated_case_expects_no_handler() -> None:
    """Only cases that carry a credential may expect a protected handler to answer."""
    for case in CASES:
        for expect in (case.expect, *(e for _, e in case.vary)):
            chain = [expect, *([expect.then] if expect.then else [])]
            reaches = [e.marker for e in chain if e.outcome == "allowed" and e.marker and PROTECTED in e.marker]
            assert not reaches or case.credentials.headers, case
