"""Send a :class:`~tests.bypass.model.Case` byte for byte: its request line, its ``Host``
headers (any number, any value), its credentials and body; read the reply as
``tests/matrix/wire.py`` does (its ``send_raw``)."""

from __future__ import annotations

import base64
import os

from tests.bypass.model import Case
from tests.matrix.wire import Address, Reply, send_raw

TIMEOUT = 5.0


def fill(text: str, address: Address) -> str:
    """``text`` with ``{host}`` and ``{port}`` replaced by the server's."""
    return text.replace("{host}", f"{address[0]}:{address[1]}").replace("{port}", str(address[1]))


def request_bytes(case: Case, address: Address, target: str | None = None) -> bytes:
    """The request ``case`` describes (``target`` instead of the case's, to follow a redirect)."""
    line = f"{case.method} {fill(target or case.target, address)}"
    lines = [f"{line} {case.version}" if case.version else line]
    lines += [f"Host: {fill(host, address)}".rstrip() for host in case.host]
    if case.websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    else:
        lines.append("Connection: close")
    lines += [f"{name}: {fill(value, address)}" for name, value in (*case.credentials.headers, *case.headers)]
    if case.body:
        lines.append(f"Content-Length: {len(case.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + case.body


def send(case: Case, address: Address, target: str | None = None) -> Reply:
    """Send the request on a new connection; the reply (for a 101, with the first websocket
    frame as its body), or a :data:`~tests.matrix.wire.NO_RESPONSE` reply with a note."""
    return send_raw(address, request_bytes(case, address, target), case.method, timeout=TIMEOUT)
