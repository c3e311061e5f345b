"""Code that runs inside learner processes (the provisioning script and Lambda execution
environments). It is imported by the runtime zygote, which never imports moto: a learner
process holds no emulator state and no checks, so nothing it patches or prints can reach
the grade. Its only door to the emulated account is `Channel`, which ships each botocore
request to the trusted host as a frame and returns the host's answer.

Everything here is learner-controlled once learner code starts: the host trusts none of it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import runpy
import sys
import threading
import time
import traceback
import zipfile
from io import BytesIO
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSResponse

from labs.sandbox import frames

IPC_FD = 3


class _RawBody(BytesIO):
    def stream(self, **_kwargs: Any):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


class Channel:
    """The learner process's single connection to the trusted host."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lock = threading.Lock()

    def request(self, meta: dict[str, Any], body: bytes = b"") -> tuple[dict[str, Any], bytes]:
        with self.lock:
            frames.send(self.fd, meta, body)
            return frames.recv(self.fd)


_channel: Channel | None = None


def _send_to_host(request: Any, **_kwargs: Any) -> AWSResponse | None:
    """botocore `before-send` handler: answer every AWS request through the host."""
    if _channel is None:
        return None
    body = request.body
    if body is None:
        data = b""
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body.read()
        if isinstance(data, str):
            data = data.encode()
    headers = {
        key: value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for key, value in request.headers.items()
    }
    try:
        meta, reply = _channel.request(
            {"op": "aws", "method": request.method, "url": request.url, "headers": headers},
            data,
        )
    except frames.FrameError as exc:
        raise ConnectionError(f"the sandbox closed the connection: {exc}") from exc
    return AWSResponse(
        request.url, int(meta.get("status", 500)), meta.get("headers", {}), _RawBody(reply)
    )


def install_transport() -> None:
    """Route every botocore session created from now on through `_send_to_host`; must run
    before any session exists (handlers are copied into each session at creation)."""
    entry = ("before-send", _send_to_host)
    if entry not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(entry)


def _reopen_std_streams() -> None:
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = io.TextIOWrapper(
        os.fdopen(1, "wb", buffering=0, closefd=False),
        line_buffering=True,
        errors="backslashreplace",
    )
    sys.stderr = io.TextIOWrapper(
        os.fdopen(2, "wb", buffering=0, closefd=False),
        line_buffering=True,
        errors="backslashreplace",
    )


def write_files(files: dict[str, str]) -> None:
    for name, text in files.items():
        parent = os.path.dirname(name)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)


def run_script(files: dict[str, str], entry: str) -> int:
    """Run the learner's provisioning script as __main__; returns its exit code."""
    global _channel
    _reopen_std_streams()
    write_files(files)
    _channel = Channel(IPC_FD)
    sys.path.insert(0, os.getcwd())
    sys.argv = [entry]
    try:
        runpy.run_path(entry, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as exc:
        # Show the learner their own frames, not the sandbox's runner and runpy.
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != entry:
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


class LambdaContext:
    """The context object a Python Lambda handler receives, with the same attribute names."""

    def __init__(self, config: dict[str, Any], request_id: str, invoked_arn: str, timeout_ms: int):
        self.function_name = config["function_name"]
        self.function_version = config["version"]
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = int(config["memory_mb"])
        self.aws_request_id = request_id
        self.log_group_name = config["log_group"]
        self.log_stream_name = config["log_stream"]
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "",
            "stackTrace": stack or [],
        }
    ).encode()


def _extract(data: bytes, target: str) -> None:
    os.makedirs(target, exist_ok=True)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for member in archive.infolist():
            # Zip entries cannot leave the target: names are resolved and checked.
            path = os.path.realpath(os.path.join(target, member.filename))
            if not path.startswith(os.path.realpath(target) + os.sep):
                continue
            archive.extract(member, target)


def _load_handler(handler: str, task_root: str) -> tuple[Any, bytes | None, str | None]:
    module_name, _, function_name = (handler or "").rpartition(".")
    if not module_name or not function_name:
        message = f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)"
        return None, _error("Runtime.MalformedHandlerName", message), "Runtime.MalformedHandlerName"
    module_name = module_name.replace("/", ".")
    try:
        module = __import__(module_name, fromlist=["_"])
    except SyntaxError as exc:
        message = f"Syntax error in module '{module_name}': {exc}"
        return None, _error("Runtime.UserCodeSyntaxError", message), "Runtime.UserCodeSyntaxError"
    except Exception as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        return None, _error("Runtime.ImportModuleError", message), "Runtime.ImportModuleError"
    function = getattr(module, function_name, None)
    if not callable(function):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, _error("Runtime.HandlerNotFound", message), "Runtime.HandlerNotFound"
    return function, None, None


def run_lambda(config: dict[str, Any], code: bytes) -> int:
    """An execution environment: unpack the code, then serve invocations until the host
    closes the connection. Module state survives between invocations (a warm start)."""
    global _channel
    _reopen_std_streams()
    scratch = os.getcwd()
    task_root = os.path.join(scratch, "task")
    opt_root = os.path.join(scratch, "opt")
    offset = 0
    for index, size in enumerate(config.get("layer_sizes", [])):
        try:
            _extract(code[offset : offset + size], opt_root)
        except (zipfile.BadZipFile, OSError) as exc:
            print(f"[WARNING] layer {index + 1} could not be unpacked: {exc}", file=sys.stderr)
        offset += size
    function_zip = code[offset:]
    unpack_error = None
    try:
        _extract(function_zip, task_root)
    except (zipfile.BadZipFile, OSError) as exc:
        unpack_error = _error(
            "Runtime.InvalidEntrypoint", f"Could not unzip the function code: {exc}"
        )
    os.makedirs(os.path.join(scratch, "tmp"), exist_ok=True)
    os.environ.update(config["environment"])
    os.environ.update(
        {
            "LAMBDA_TASK_ROOT": task_root,
            "TMPDIR": os.path.join(scratch, "tmp"),
            "PYTHONPATH": f"{task_root}:{opt_root}/python",
        }
    )
    sys.path[:0] = [task_root, os.path.join(opt_root, "python")]
    os.chdir(task_root if os.path.isdir(task_root) else scratch)
    channel = _channel = Channel(IPC_FD)
    request_ids = _install_lambda_logging()
    handler = None
    init_error: bytes | None = unpack_error
    init_type: str | None = "Runtime.InvalidEntrypoint" if unpack_error else None
    initialised = False
    while True:
        with channel.lock:
            try:
                meta, payload = frames.recv(channel.fd)
            except frames.FrameError:
                return 0
        if meta.get("op") != "invoke":
            return 0
        init_ms = None
        if not initialised:
            started = time.perf_counter()
            if init_error is None:
                handler, init_error, init_type = _load_handler(config["handler"], task_root)
            init_ms = (time.perf_counter() - started) * 1000
            initialised = True
        reply: dict[str, Any] = {"op": "result", "init_ms": init_ms}
        if init_error is not None:
            body = init_error
            reply.update(ok=False, error_type=init_type)
            print(f"[ERROR] {json.loads(body)['errorMessage']}", file=sys.stderr)
        else:
            context = LambdaContext(
                config, str(meta["request_id"]), str(meta["invoked_arn"]), int(meta["timeout_ms"])
            )
            request_ids.request_id = context.aws_request_id
            body, reply = _call(handler, payload, context, reply)
        sys.stdout.flush()
        sys.stderr.flush()
        with channel.lock:
            try:
                frames.send(channel.fd, reply, body)
            except frames.FrameError:
                return 0


class _RequestId(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_lambda_logging() -> _RequestId:
    """The root logger as the Python runtime sets it up: WARNING and above to stdout,
    tab-separated with the request id, so `logger.setLevel(logging.INFO)` in a handler
    makes its info lines appear in the function's logs."""
    request_ids = _RequestId()
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(request_ids)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    return request_ids


def _call(handler: Any, payload: bytes, context: LambdaContext, reply: dict[str, Any]):
    try:
        event = json.loads(payload) if payload else {}
    except ValueError:
        event = payload.decode("utf-8", "replace")
    try:
        result = handler(event, context)
    except Exception as exc:
        stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
        print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)
        reply.update(ok=False, error_type=type(exc).__name__)
        body = json.dumps(
            {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": context.aws_request_id,
                "stackTrace": stack,
            },
            default=str,
        ).encode()
        return body, reply
    try:
        body = json.dumps(result).encode()
    except (TypeError, ValueError) as exc:
        reply.update(ok=False, error_type="Runtime.MarshalError")
        return _error("Runtime.MarshalError", f"Unable to marshal response: {exc}"), reply
    reply.update(ok=True)
    return body, reply
