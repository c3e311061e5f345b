"""The trusted host: one process per submission, forked from the warm host zygote.

It holds the run's moto state and the checks. Learner processes (spawned through the run's
runner in the runtime zygote) talk to it only in frames: AWS requests in, AWS responses out
(Lambda environments additionally answer invocations). While the host waits for an
invocation it keeps serving every learner connection, so a handler that calls DynamoDB
while a check (or the script) waits for it works, at any nesting depth.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import moto.backend_index
from botocore.awsrequest import AWSPreparedRequest
from botocore.compat import HTTPHeaders
from moto.core.models import botocore_stubber

from labs.sandbox import frames
from labs.sandbox.isolation import Limits

# The services learner code may call. Everything else, moto's control API (/moto-api:
# reset, state dumps, canned Lambda results) included, is refused.
ALLOWED_SERVICES = frozenset(
    {
        "apigateway",
        "awslambda",
        "cognitoidp",
        "dynamodb",
        "dynamodbstreams",
        "iam",
        "logs",
        "sqs",
        "sts",
    }
)
LEARNER_FRAME_BODY = 8 * 1024 * 1024
LEARNER_FRAME_JSON = 256 * 1024


class RunnerGone(Exception):
    """The runner in the runtime zygote stopped answering: our machinery failed."""


@dataclass
class Connection:
    """One learner process as the host sees it: its request socket and its output pipe."""

    kind: str
    pid: int
    sock: socket.socket | None
    out_fd: int | None
    output_cap: int
    output: bytearray = field(default_factory=bytearray)
    dropped: int = 0
    dead: bool = False
    result: tuple[dict[str, Any], bytes] | None = None

    def send(self, meta: dict[str, Any], body: bytes = b"") -> None:
        if self.sock is None:
            raise OSError(errno.EPIPE, "connection closed")
        try:
            frames.send(self.sock.fileno(), meta, body)
        except frames.FrameError as exc:
            self.close_socket()
            raise OSError(errno.EPIPE, str(exc)) from exc

    def add_output(self, data: bytes) -> None:
        room = self.output_cap - len(self.output)
        if room > 0:
            self.output += data[:room]
        self.dropped += max(0, len(data) - max(room, 0))

    def take_output(self) -> str:
        text = self.output.decode("utf-8", "replace")
        self.output.clear()
        return text

    def close_socket(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.dead = True

    def close(self) -> None:
        self.close_socket()
        if self.out_fd is not None:
            os.close(self.out_fd)
            self.out_fd = None

    def max_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError):
            pass
        return 0


def service_of(url: str) -> str | None:
    parts = urlsplit(url)
    clean = f"{parts.scheme}://{parts.netloc}{parts.path}"
    for service, pattern in moto.backend_index.backend_url_patterns:
        if pattern.match(clean):
            return service
    return None


def _error_reply(status: int, code: str, message: str) -> tuple[dict[str, Any], bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    return (
        {
            "status": status,
            "headers": {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code},
        },
        body,
    )


class Host:
    """Serves one run's learner processes and exposes what the checks need."""

    def __init__(self, runner: socket.socket, limits: Limits, deadline: float) -> None:
        self.runner = runner
        self.limits = limits
        self.deadline = deadline
        self.connections: list[Connection] = []
        self.requests = 0
        self.memory_exceeded = False

    # -- runner (runtime zygote side) -------------------------------------------------
    def _runner_call(
        self, meta: dict[str, Any], fds: list[int], body: bytes = b""
    ) -> dict[str, Any]:
        try:
            frames.send_fds(self.runner, meta, fds, body)
            reply, _, _ = frames.recv_fds(self.runner, max_fds=0, timeout=10)
        except (frames.FrameError, OSError) as exc:
            raise RunnerGone(f"the sandbox runner failed: {exc}") from exc
        return reply

    def _spawn(self, kind: str, meta: dict[str, Any], body: bytes, output_cap: int) -> Connection:
        ours, theirs = socket.socketpair()
        out_read, out_write = os.pipe()
        try:
            reply = self._runner_call(
                {"op": "spawn", "kind": kind, **meta}, [theirs.fileno(), out_write], body
            )
        finally:
            theirs.close()
            os.close(out_write)
        flags = fcntl.fcntl(out_read, fcntl.F_GETFL)
        fcntl.fcntl(out_read, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        conn = Connection(
            kind=kind,
            pid=int(reply.get("pid", 0)),
            sock=ours,
            out_fd=out_read,
            output_cap=output_cap,
        )
        self.connections.append(conn)
        return conn

    def spawn_script(self, files: dict[str, str], entry: str) -> Connection:
        body = json.dumps(files).encode()
        return self._spawn("script", {"entry": entry}, body, self.limits.output_bytes)

    def spawn_lambda(self, config: dict[str, Any], code: bytes) -> Connection:
        return self._spawn("lambda", {"config": config}, code, 256 * 1024)

    def kill_learner(self, conn: Connection) -> None:
        """Kill one learner process (a timed-out Lambda environment) and forget it."""
        self._runner_call({"op": "kill", "pid": conn.pid}, [])
        conn.close()
        if conn in self.connections:
            self.connections.remove(conn)

    def kill_all(self) -> dict[int, int]:
        """Kill every learner process of this run (and whatever they forked); returns the
        wait status of each learner process the runner has collected so far."""
        reply = self._runner_call({"op": "kill_all"}, [])
        for conn in self.connections:
            self.drain(conn)
            conn.close_socket()
        self.memory_exceeded = self.memory_exceeded or bool(reply.get("memory_exceeded"))
        exits = reply.get("exits", {})
        return {int(pid): int(status) for pid, status in exits.items() if str(pid).isdigit()}

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    # -- serving ----------------------------------------------------------------------
    def pump(self, until: Callable[[], bool], deadline: float) -> bool:
        """Serve learner requests until `until()` holds (True) or `deadline` passes
        (False). Re-entrant: handling a request may invoke a function, which pumps again."""
        deadline = min(deadline, self.deadline)
        while not until():
            watched: dict[int, tuple[Connection, str]] = {}
            for conn in self.connections:
                if conn.sock is not None:
                    watched[conn.sock.fileno()] = (conn, "ipc")
                if conn.out_fd is not None:
                    watched[conn.out_fd] = (conn, "out")
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not watched:
                time.sleep(min(left, 0.01))
                continue
            ready, _, _ = select.select(list(watched), [], [], left)
            for fd in ready:
                conn, what = watched[fd]
                if what == "out":
                    self._read_output(conn)
                elif conn.sock is not None and conn.sock.fileno() == fd:
                    self._read_frame(conn)
                if until():
                    return True
        return True

    def drain(self, conn: Connection) -> None:
        while conn.out_fd is not None and self._read_output(conn):
            pass

    def _read_output(self, conn: Connection) -> bool:
        if conn.out_fd is None:
            return False
        try:
            data = os.read(conn.out_fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            os.close(conn.out_fd)
            conn.out_fd = None
            return False
        conn.add_output(data)
        return True

    def _read_frame(self, conn: Connection) -> None:
        assert conn.sock is not None
        try:
            meta, body = frames.recv(
                conn.sock.fileno(),
                timeout=2.0,
                max_json=LEARNER_FRAME_JSON,
                max_body=LEARNER_FRAME_BODY,
            )
        except frames.FrameError:
            # A closed, garbled or oversized stream ends this process's conversation.
            conn.close_socket()
            return
        op = meta.get("op")
        if op == "aws":
            reply, reply_body = self.handle_aws(meta, body)
            with contextlib.suppress(OSError):
                conn.send({"op": "aws_reply", **reply}, reply_body)
        elif op == "result" and conn.kind == "lambda" and conn.result is None:
            conn.result = (meta, body)
        else:
            conn.close_socket()

    def handle_aws(self, meta: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        self.requests += 1
        url = meta.get("url")
        method = meta.get("method")
        headers = meta.get("headers")
        if not isinstance(url, str) or not isinstance(method, str) or not isinstance(headers, dict):
            return _error_reply(400, "InvalidRequest", "malformed request")
        path = urlsplit(url).path
        service = service_of(url)
        if (
            service not in ALLOWED_SERVICES
            or "moto-api" in path
            or not re.match(r"^https?://", url)
        ):
            return _error_reply(
                403,
                "AccessDeniedException",
                f"The sandbox does not offer this service or endpoint ({urlsplit(url).netloc})",
            )
        http_headers = HTTPHeaders()
        for key, value in headers.items():
            http_headers[str(key)] = str(value)
        request = AWSPreparedRequest(
            method=method, url=url, headers=http_headers, body=body, stream_output=False
        )
        try:
            answer = botocore_stubber.process_request(request)
        except Exception as exc:  # moto bugs on odd input must not take the run down
            return _error_reply(
                500, "InternalFailure", f"The emulator failed on this request: {type(exc).__name__}"
            )
        if answer is None:
            return _error_reply(404, "UnknownOperationException", "Not supported by the sandbox")
        status, reply_headers, reply_body = answer
        if isinstance(reply_body, str):
            reply_body = reply_body.encode()
        elif reply_body is None:
            reply_body = b""
        return (
            {
                "status": int(status),
                "headers": {str(k): str(v) for k, v in dict(reply_headers or {}).items()},
            },
            bytes(reply_body),
        )
