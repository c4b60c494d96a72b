"""No request target reaches a protected handler without a session: a live matrix.

Five frameworks (``tests/matrix/*_app.py``: Starlette, FastAPI, Litestar, Django, Quart), each
behind the same ``WithAuth``, served by three server protocols (uvicorn with httptools, uvicorn
with h11, hypercorn), each with and without ``--root-path /base``: 30 real servers in child
processes on 127.0.0.1. Every hostile target of ``tests/matrix/targets.py`` is sent raw, over
HTTP and as a websocket handshake, without a session; none may be answered 2xx or 101, nor carry
a ``PROTECTED:`` marker. Positive controls keep it from passing vacuously: with a session the
canonical paths reach every protected handler, without one WithAuth (not a 404) refuses them,
and the public routes answer.

The hostile sweeps run in the background, all servers at once, from the moment the servers are
up; each test waits for its own (framework, server, root path) and fails once, listing every
target that got through. Run alone: ``python -m pytest -p no:cacheprovider tests/test_path_matrix.py``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from asgi_withauth import jwt
from tests import servers
from tests.asgi import cookie_header
from tests.matrix import PROTECTED, PUBLIC, ROOT_PATH, SECRET
from tests.matrix.targets import HTTP_PATHS, SOCKET_PATHS, Probe, anonymous_http_probes, anonymous_socket_probes
from tests.matrix.wire import Address, Reply, exchange
from tests.servers import SERVER_COMMANDS, ServerProcess, server_processes
from tests.servers import free_port as real_free_port

FRAMEWORKS = ("starlette", "fastapi", "litestar", "django", "quart")
SERVERS = tuple(SERVER_COMMANDS)
ROOTS = ("", ROOT_PATH)
SESSION = ("Cookie", cookie_header({"next-auth.session-token": jwt.encode({"sub": "42", "name": "Ada"}, SECRET)}))
SWEEP_TIMEOUT = 240.0
"""Seconds a test waits for its sweep (the whole matrix takes far less)."""


@dataclass(frozen=True)
class Combo:
    framework: str
    server: str
    root_path: str

    def __str__(self) -> str:
        root = "-root" + self.root_path.replace("/", "-") if self.root_path else ""
        return f"{self.framework}-{self.server}{root}"

    def canonical(self, path: str) -> str:
        """The target that reaches the app's route for ``path``. uvicorn prefixes its root path
        to the path the client sends (send ``/admin``, the app sees ``/base/admin``); hypercorn
        does not, so behind it the client sends the root path (``/base/admin``): Quart routes
        nothing else, the other frameworks route both."""
        return self.root_path + path if self.server == "hypercorn" else path


COMBOS = [Combo(f, s, r) for f in FRAMEWORKS for s in SERVERS for r in ROOTS]

EXPECTED_ROUTE = {
    "/admin": "admin",
    "/admin/x": "admin-section",
    "/admin/x/secret": "admin-secret",
    "/api/v1/users": "api-users",
    "/ws/admin": "ws-admin",
    "/ws/r/admin": "ws-room",
}


@dataclass(frozen=True)
class Sweep:
    """What the anonymous hostile probes got (the replies, by probe), and what a public page
    got after them (a server that died on the way would otherwise refuse every later probe)."""

    replies: list[tuple[Probe, Reply]]
    sent: int
    planned: int
    after: Reply

    def bypasses(self, *, websocket: bool) -> list[tuple[Probe, Reply]]:
        return [(p, r) for p, r in self.replies if p.websocket == websocket and reached_protected(r)]

    def statuses(self, *, websocket: bool) -> Counter[int]:
        return Counter(r.status for p, r in self.replies if p.websocket == websocket)


def reached_protected(reply: Reply) -> bool:
    """A success status (2xx, or 101 for a handshake), or a protected handler's marker in the body."""
    return 200 <= reply.status < 300 or reply.status == 101 or PROTECTED.encode() in reply.body


def sweep(address: Address, probes: Sequence[Probe], public: str, stop: threading.Event) -> Sweep:
    replies: list[tuple[Probe, Reply]] = []
    for probe in probes:
        if stop.is_set():
            break
        replies.append((probe, exchange(address, probe.method, probe.target, probe.headers, websocket=probe.websocket)))
    return Sweep(replies, len(replies), len(probes), exchange(address, "GET", public))


@dataclass
class Matrix:
    servers: dict[Combo, ServerProcess]
    sweeps: dict[Combo, Future[Sweep]]

    def address(self, combo: Combo) -> Address:
        """The server's address; fails the test if it did not start."""
        server = self.servers[combo]
        if server.error is not None:
            pytest.fail(server.error, pytrace=False)
        return server.address

    def sweep(self, combo: Combo) -> Sweep:
        self.address(combo)
        return self.sweeps[combo].result(timeout=SWEEP_TIMEOUT)


def selected_combos(session: pytest.Session) -> list[Combo]:
    """The combinations the collected tests use (all of them, unless ``-k`` picks some)."""
    specs = [getattr(item, "callspec", None) for item in session.items]
    used = {spec.params["combo"] for spec in specs if spec is not None and "combo" in spec.params}
    return [combo for combo in COMBOS if combo in used]


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    logs: Path = tmp_path_factory.mktemp("servers")
    servers = {
        combo: ServerProcess(
            combo.server,
            f"tests.matrix.{combo.framework}_app:app",
            root_path=combo.root_path,
            log=logs / f"{combo}.log",
        )
        for combo in selected_combos(request.session)
    }
    stop = threading.Event()
    started = server_processes(list(servers.values()), keep_going=True)
    with started, ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
        try:
            sweeps = {
                combo: pool.submit(
                    sweep,
                    server.address,
                    [
                        *anonymous_http_probes(server.port, combo.root_path),
                        *anonymous_socket_probes(server.port, combo.root_path),
                    ],
                    combo.canonical("/users"),
                    stop,
                )
                for combo, server in servers.items()
                if server.error is None
            }
            yield Matrix(servers, sweeps)
        finally:
            stop.set()


@pytest.fixture(params=COMBOS, ids=str)
def combo(request: pytest.FixtureRequest) -> Combo:
    return request.param  # type: ignore[no-any-return]


def shown(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


def report(combo: Combo, bypasses: list[tuple[Probe, Reply]], total: int, statuses: Counter[int]) -> str:
    lines = [
        f"{len(bypasses)} of {total} anonymous requests reached a protected handler on {combo}:",
        *(
            f"  {shown(str(probe))}  ->  {reply.status} {shown(reply.body.decode('latin-1'), 160)!r}"
            for probe, reply in bypasses
        ),
        f"statuses of all {total}: {dict(sorted(statuses.items()))}",
    ]
    return "\n".join(lines)


def check_sweep(matrix: Matrix, combo: Combo, *, websocket: bool) -> None:
    result = matrix.sweep(combo)
    assert result.sent == result.planned
    assert result.after.status == 200, f"the server stopped answering during the sweep: {result.after}"
    refused = [str(p) for p, r in result.replies if r.note == "ConnectionRefusedError"]
    assert not refused, f"the server refused connections (did it restart?): {refused[:20]}"
    statuses = result.statuses(websocket=websocket)
    total = sum(statuses.values())
    assert total > 0
    bypasses = result.bypasses(websocket=websocket)
    print(f"{combo}: {total} anonymous {'websocket' if websocket else 'HTTP'} requests, statuses {dict(statuses)}")
    assert not bypasses, report(combo, bypasses, total, statuses)


# ------------------------------------------------------------------ the matrix


def test_no_http_target_reaches_a_protected_handler_without_a_session(matrix: Matrix, combo: Combo) -> None:
    check_sweep(matrix, combo, websocket=False)


def test_no_websocket_handshake_reaches_a_protected_handler_without_a_session(matrix: Matrix, combo: Combo) -> None:
    check_sweep(matrix, combo, websocket=True)


# ------------------------------------------------------------------ positive controls


def test_public_routes_answer_without_a_session(matrix: Matrix, combo: Combo) -> None:
    address = matrix.address(combo)
    for path, name in (("/", "home"), ("/users", "users"), ("/pub/x", "pub")):
        reply = exchange(address, "GET", combo.canonical(path))
        assert reply.status == 200, (path, reply)
        assert f"{PUBLIC}{name} ".encode() in reply.body, (path, reply)


def test_a_session_reaches_every_protected_handler(matrix: Matrix, combo: Combo) -> None:
    address = matrix.address(combo)
    for path in HTTP_PATHS:
        reply = exchange(address, "GET", combo.canonical(path), [SESSION])
        assert reply.status == 200, (path, reply)
        assert f"{PROTECTED}{EXPECTED_ROUTE[path]} ".encode() in reply.body, (path, reply)
    for path in SOCKET_PATHS:
        reply = exchange(address, "GET", combo.canonical(path), [SESSION], websocket=True)
        assert reply.status == 101, (path, reply)
        assert f"{PROTECTED}{EXPECTED_ROUTE[path]} ".encode() in reply.body, (path, reply)


def test_withauth_refuses_the_canonical_paths_without_a_session(matrix: Matrix, combo: Combo) -> None:
    """WithAuth answers (a sign-in redirect, 401 on the API, 403 on the websocket), not the router."""
    address = matrix.address(combo)
    admin = exchange(address, "GET", combo.canonical("/admin/x/secret") + "?tab=1")
    assert admin.status == 307, admin
    assert b"/api/auth/signin?callbackUrl=" in admin.head, admin
    assert exchange(address, "GET", combo.canonical("/api/v1/users")).status == 401
    assert exchange(address, "GET", combo.canonical("/ws/admin"), websocket=True).status == 403


# ------------------------------------------------------------------ the raw client itself


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("response", "status", "body"),
    [
        (CHUNKED + b"4\r\nPROT\r\n6\r\nECTED:\r\n0\r\n\r\n", 200, PROTECTED.encode()),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcdef", 404, b"abc"),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the end", 200, b"until the end"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 101, b"\x81 hello"),
        (b"", 0, b""),
    ],
)
def test_raw_client_reads_what_servers_answer(response: bytes, status: int, body: bytes) -> None:
    """The sweep's verdicts rest on this parser: chunked bodies joined (a marker split across
    chunks is still found), lengths respected, a 101's first frame read, silence is no response."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)

        def answer() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(5)
                connection.recv(65536)
                connection.sendall(response)

        thread = threading.Thread(target=answer)
        thread.start()
        reply = exchange(listener.getsockname(), "GET", "/admin", timeout=5)
        thread.join(5)
    assert (reply.status, reply.body) == (status, body)


def test_a_server_never_takes_a_port_another_process_answers_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A free port may be taken before the server binds it: readiness must not be another
    process answering there (the matrix would then test that process), so the server is
    restarted on a new port."""
    with socket.create_server(("127.0.0.1", 0)) as foreign:
        taken = foreign.getsockname()[1]
        ports = iter([taken])
        monkeypatch.setattr(servers, "free_port", lambda: next(ports, 0) or real_free_port())
        accepted: list[socket.socket] = []

        def impostor() -> None:  # answers HTTP on the taken port, as another test's server would
            foreign.settimeout(10)
            with contextlib.suppress(OSError):
                while True:
                    connection, _ = foreign.accept()
                    accepted.append(connection)
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nimpostor")

        threading.Thread(target=impostor, daemon=True).start()
        server = ServerProcess("uvicorn-h11", "tests.matrix.starlette_app:app", log=tmp_path / "server.log")
        with server_processes([server]):
            assert server.port != taken
            assert f"{PUBLIC}home ".encode() in exchange(server.address, "GET", "/").body
        for connection in accepted:
            connection.close()
