"""HTTP/1.1 and websocket handshakes over a plain socket, request targets sent byte for byte.

``http.client`` and the websocket clients normalise the target (or refuse it); these send
exactly what they are given, and every socket operation has a deadline.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

Address = tuple[str, int]
Headers = Sequence[tuple[str, str]]

NO_RESPONSE = 0
"""The status of an exchange the server closed (or let time out) without a response."""


@dataclass(frozen=True)
class Reply:
    """A response: its status, header block and body (for a 101, the first websocket message)."""

    status: int
    head: bytes = b""
    body: bytes = b""
    note: str = ""


class _Reader:
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.eof = False

    def more(self) -> bool:
        """Read what arrives next; False at the end of the stream."""
        if self.eof:
            return False
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        self.eof = not data
        self.buffer += data
        return bool(data)

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self.more():
                return None
        found, _, self.buffer = self.buffer.partition(marker)
        return found

    def exactly(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            if not self.more():
                return None
        found, self.buffer = self.buffer[:size], self.buffer[size:]
        return found

    def rest(self) -> bytes:
        while self.more():
            pass
        found, self.buffer = self.buffer, b""
        return found


def request_bytes(method: str, target: str, address: Address, headers: Headers = ()) -> bytes:
    """An HTTP/1.1 request with ``target`` as is (latin-1, so any byte can be spelled)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {address[0]}:{address[1]}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _status(head: bytes) -> int:
    parts = head.split(b"\r\n", 1)[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {head[:80]!r}")
    return int(parts[1])


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _body(reader: _Reader, head: bytes, method: str, status: int) -> bytes:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b""
    if (_header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        chunks: list[bytes] = []
        while (size_line := reader.until(b"\r\n")) is not None:
            size = int(size_line.split(b";")[0], 16)
            chunk = reader.exactly(size + 2)
            if size == 0 or chunk is None:
                break
            chunks.append(chunk[:-2])
        return b"".join(chunks)
    length = _header(head, b"content-length")
    if length is not None:
        return reader.exactly(int(length)) or reader.buffer
    return reader.rest()


def _websocket_message(reader: _Reader) -> bytes:
    """The payload of the first frame the server sends (servers do not mask)."""
    start = reader.exactly(2)
    if start is None:
        return b""
    size = start[1] & 0x7F
    if size in (126, 127):
        extended = reader.exactly(2 if size == 126 else 8) or b""
        size = int.from_bytes(extended, "big")
    payload = reader.exactly(size) or b""
    return bytes([start[0]]) + b" " + payload  # the opcode byte first: 0x81 text, 0x88 close


def exchange(
    address: Address,
    method: str,
    target: str,
    headers: Headers = (),
    *,
    websocket: bool = False,
    timeout: float = 5.0,
) -> Reply:
    """Send one request (a websocket handshake if ``websocket``) on a new connection; the reply.

    A 101 is followed by the first websocket frame, returned as the body.
    """
    if websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
            *headers,
        ]
    else:
        headers = [("Connection", "close"), *headers]
    return send_raw(address, request_bytes(method, target, address, headers), method, timeout=timeout)


def send_raw(address: Address, request: bytes, method: str, *, timeout: float = 5.0) -> Reply:
    """Send ``request`` (whole, as bytes) on a new connection; the reply (for a 101, the first
    websocket frame as its body). ``method`` tells whether a body can follow (HEAD)."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.sendall(request)
            reader = _Reader(sock, deadline)
            head = reader.until(b"\r\n\r\n")
            if head is None:
                return Reply(NO_RESPONSE, note="closed without a response")
            status = _status(head)
            try:
                content = _websocket_message(reader) if status == 101 else _body(reader, head, method.upper(), status)
            except (TimeoutError, ConnectionError) as exc:  # the status stands; the body is what came
                return Reply(status, head, reader.buffer, note=f"body cut short: {type(exc).__name__}")
            return Reply(status, head, content)
    except TimeoutError:
        return Reply(NO_RESPONSE, note="timed out")
    except ConnectionError as exc:
        return Reply(NO_RESPONSE, note=type(exc).__name__)
