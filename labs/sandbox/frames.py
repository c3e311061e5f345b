"""Length-prefixed frames: the only language spoken between the sandbox's processes.

A frame is a 12-byte header (magic, JSON length, body length), a UTF-8 JSON object and raw
bytes. Nothing is ever unpickled: a learner process can send us bytes, never objects.
Every read has a size limit and a deadline, and any malformed frame raises `FrameError`,
after which the connection is dropped (we never try to resynchronise a stream an untrusted
peer may have garbled on purpose).
"""

from __future__ import annotations

import array
import json
import os
import select
import socket
import struct
import time
from typing import Any

MAGIC = 0x43534246  # "CSBF"
HEADER = struct.Struct(">III")
MAX_JSON = 2 * 1024 * 1024
MAX_BODY = 16 * 1024 * 1024


class FrameError(Exception):
    """The peer sent something that is not a well-formed frame, or went away."""


class FrameTimeout(FrameError):
    """No complete frame arrived before the deadline."""


def encode(meta: dict[str, Any], body: bytes = b"") -> bytes:
    data = json.dumps(meta, separators=(",", ":")).encode()
    if len(data) > MAX_JSON or len(body) > MAX_BODY:
        raise FrameError(f"frame too large ({len(data)} + {len(body)} bytes)")
    return HEADER.pack(MAGIC, len(data), len(body)) + data + body


def send(fd: int, meta: dict[str, Any], body: bytes = b"") -> None:
    _write_all(fd, encode(meta, body))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise FrameError("peer closed the connection") from exc
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FrameTimeout("timed out waiting for a frame")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise FrameTimeout("timed out waiting for a frame")
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            select.select([fd], [], [], 0.05)
            continue
        except (ConnectionResetError, OSError) as exc:
            raise FrameError(f"read failed: {exc}") from exc
        if not chunk:
            raise FrameError("peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv(
    fd: int,
    timeout: float | None = None,
    *,
    max_json: int = MAX_JSON,
    max_body: int = MAX_BODY,
) -> tuple[dict[str, Any], bytes]:
    """Read one frame; `timeout` bounds the whole frame, not each byte."""
    deadline = None if timeout is None else time.monotonic() + timeout
    magic, json_len, body_len = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if magic != MAGIC:
        raise FrameError("bad frame magic")
    if json_len > max_json or body_len > max_body:
        raise FrameError(f"frame over the size limit ({json_len} + {body_len} bytes)")
    raw = _read_exact(fd, json_len, deadline)
    body = _read_exact(fd, body_len, deadline) if body_len else b""
    try:
        meta = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameError("frame metadata is not JSON") from exc
    if not isinstance(meta, dict):
        raise FrameError("frame metadata is not an object")
    return meta, body


def send_fds(sock: socket.socket, meta: dict[str, Any], fds: list[int], body: bytes = b"") -> None:
    """Send a frame whose first byte carries file descriptors (SCM_RIGHTS)."""
    data = encode(meta, body)
    if not fds:
        sock.sendall(data)
        return
    sock.sendmsg([data[:1]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    if len(data) > 1:
        sock.sendall(data[1:])


def recv_fds(
    sock: socket.socket, max_fds: int, timeout: float | None = None
) -> tuple[dict[str, Any], bytes, list[int]]:
    """Receive a frame sent with `send_fds`; only trusted peers use this."""
    if timeout is not None:
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            raise FrameTimeout("timed out waiting for a frame")
    fds = array.array("i")
    msg, ancdata, _flags, _addr = sock.recvmsg(1, socket.CMSG_LEN(max_fds * fds.itemsize))
    if not msg:
        raise FrameError("peer closed the connection")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    rest = _read_exact(
        sock.fileno(), HEADER.size - 1, None if timeout is None else time.monotonic() + timeout
    )
    magic, json_len, body_len = HEADER.unpack(msg + rest)
    if magic != MAGIC or json_len > MAX_JSON or body_len > MAX_BODY:
        raise FrameError("bad control frame")
    meta = json.loads(_read_exact(sock.fileno(), json_len, None))
    body = _read_exact(sock.fileno(), body_len, None) if body_len else b""
    return meta, body, list(fds)
