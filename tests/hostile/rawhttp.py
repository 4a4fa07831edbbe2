"""A bare HTTP/1.1 client on a socket, to send what no polite client would.

aiohttp's client refuses to send invalid header bytes, lies in
Content-Length or a body that stops half way; these tests need all three.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request_head(
    method: str, path: str, port: int, headers: list[tuple[str, bytes | str]]
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), f"Host: 127.0.0.1:{port}".encode()]
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(name.encode() + b": " + raw)
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


def exchange(port: int, data: bytes, *, timeout: float = 30.0) -> RawAnswer:
    """Send ``data`` as it is, read the answer until the hub closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_answer(sock, timeout)


def read_answer(sock: socket.socket, timeout: float) -> RawAnswer:
    """Read one answer: its head, then Content-Length bytes or until EOF."""
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += _recv(sock, deadline)
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(rest) < length:
        chunk = _recv(sock, deadline, eof_ok=True)
        if not chunk:
            break
        rest += chunk
    return RawAnswer(int(status_line.split()[1]), headers, rest[: max(length, 0)])


def _recv(sock: socket.socket, deadline: float, *, eof_ok: bool = False) -> bytes:
    sock.settimeout(max(deadline - time.monotonic(), 0.01))
    chunk = sock.recv(65536)
    if not chunk and not eof_ok:
        raise ConnectionError("the hub closed the connection without an answer")
    return chunk
