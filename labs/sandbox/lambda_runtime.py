"""Host side of the Lambda runtime: execution environments for learner handlers.

Every moto path that runs a function (Invoke, event source mappings, ...) ends in
`moto.awslambda.models.LambdaFunction.invoke`; `install_moto_hook()` replaces that one
method so the function's zip runs in a warm execution environment: a learner process
(spawned by the run's runner, confined like the provisioning script) per function
version and configuration. The host only sends it the event and reads its answer; the
durations, the timeout and the REPORT line are measured here, not taken from the learner.
"""

from __future__ import annotations

import base64
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID

from labs.sandbox.contracts import InvokeOutcome

if TYPE_CHECKING:
    from labs.sandbox.host import Connection, Host

LOG_TAIL_BYTES = 4096
# More concurrent environments than this in one run means runaway recursion (a function
# invoking itself); AWS would throttle it too, so we answer 429 TooManyRequestsException.
MAX_ENVIRONMENTS = 10
MAX_LOG_CHARS = 64 * 1024


@dataclass
class Environment:
    key: tuple[Any, ...]
    conn: Connection
    config: dict[str, Any]
    busy: bool = False
    invocations: int = 0


@dataclass
class LambdaLog:
    function: str
    request_id: str
    text: str


@dataclass
class Runtime:
    """The Lambda service of one run; lives in the trusted host process."""

    host: Host
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT_ID
    environments: list[Environment] = field(default_factory=list)
    logs: list[LambdaLog] = field(default_factory=list)
    log_chars: int = 0

    # The InvokeFn of labs.sandbox.contracts, handed to the emulation layer.
    def invoke(self, function: str, payload: bytes, qualifier: str | None = None) -> InvokeOutcome:
        region, account = self.region, self.account_id
        if function.startswith("arn:"):
            parts = function.split(":")
            region, account = parts[3], parts[4]
        try:
            fn = lambda_backends[account][region].get_function(function, qualifier)
        except LambdaClientError as exc:
            body = json.dumps({"Type": "User", "message": exc.message}).encode()
            return InvokeOutcome(status=exc.code, payload=body, error_type=exc.error_type)
        arn = fn.function_arn if not qualifier else f"{fn.function_arn}:{qualifier}"
        return self.invoke_version(fn, payload, invoked_arn=arn)

    def invoke_version(
        self, fn: LambdaFunction, payload: bytes, invoked_arn: str | None = None
    ) -> InvokeOutcome:
        env, cold = self._environment(fn)
        env.busy = True
        try:
            return self._run(fn, env, payload, invoked_arn or fn.function_arn, cold)
        finally:
            env.busy = False

    def close(self) -> None:
        for env in self.environments:
            env.conn.close()
        self.environments.clear()

    def _environment(self, fn: LambdaFunction) -> tuple[Environment, bool]:
        layers = [layer["Arn"] for layer in fn.layers]
        key = (
            fn.function_arn,
            fn.version,
            fn.code_sha_256,
            fn.handler,
            json.dumps(fn.environment_vars, sort_keys=True),
            int(fn.memory_size),
            int(fn.timeout),
            tuple(layers),
        )
        # Configuration or code changed: the old environments are never used again.
        for env in list(self.environments):
            if env.key[:2] == key[:2] and env.key != key and not env.busy:
                env.conn.close()
                self.environments.remove(env)
        for env in self.environments:
            if env.key == key and not env.busy and not env.conn.dead:
                return env, False
        self.environments = [env for env in self.environments if not env.conn.dead]
        if len(self.environments) >= MAX_ENVIRONMENTS:
            error = LambdaClientError("TooManyRequestsException", "Rate Exceeded.")
            error.code = 429
            raise error
        backend = lambda_backends[fn.account_id][fn.region]
        layer_zips = [backend.layers_versions_by_arn(arn).code_bytes for arn in layers]
        config = {
            "function_name": fn.function_name,
            "version": fn.version,
            "handler": fn.handler,
            "memory_mb": int(fn.memory_size),
            "log_group": fn.logs_group_name,
            "log_stream": f"{time.strftime('%Y/%m/%d')}/[{fn.version}]{uuid.uuid4().hex}",
            "layer_sizes": [len(data) for data in layer_zips],
            "environment": {
                **{str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
                "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
                "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            },
        }
        conn = self.host.spawn_lambda(config, b"".join([*layer_zips, fn.code_bytes or b""]))
        env = Environment(key=key, conn=conn, config=config)
        self.environments.append(env)
        return env, True

    def _run(
        self, fn: LambdaFunction, env: Environment, payload: bytes, invoked_arn: str, cold: bool
    ) -> InvokeOutcome:
        request_id = str(uuid.uuid4())
        timeout_s = int(fn.timeout)
        budget = min(float(timeout_s), self.host.remaining())
        conn = env.conn
        conn.result = None
        conn.take_output()
        started = time.monotonic()
        try:
            conn.send(
                {
                    "op": "invoke",
                    "request_id": request_id,
                    "invoked_arn": invoked_arn,
                    "timeout_ms": int(budget * 1000),
                },
                payload,
            )
        except OSError:
            conn.dead = True
        finished = not conn.dead and self.host.pump(
            lambda: conn.result is not None or conn.dead, started + budget
        )
        duration_ms = (time.monotonic() - started) * 1000
        self.host.drain(conn)
        captured = conn.take_output()
        env.invocations += 1
        init_ms = None
        error_type = None
        function_error = None
        if finished and conn.result is not None:
            meta, body = conn.result
            init_ms = meta.get("init_ms") if cold else None
            if not meta.get("ok"):
                function_error = "Unhandled"
                error_type = str(meta.get("error_type") or "Unhandled")[:200]
        else:
            function_error = "Unhandled"
            if not finished:
                error_type = "Sandbox.Timedout"
                message = f"{_utc_now()} {request_id} Task timed out after {timeout_s:.2f} seconds"
                captured += f"{message}\n"
            else:
                error_type = "Runtime.ExitError"
                message = (
                    f"RequestId: {request_id} Error: Runtime exited without providing a reason"
                )
                captured += f"{message}\n"
            body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
            # A timed-out or crashed environment is discarded, as on AWS.
            self.host.kill_learner(conn)
            self.environments.remove(env)
        log = self._log_text(fn, request_id, captured, duration_ms, init_ms, conn)
        self._record(fn, request_id, log)
        return InvokeOutcome(
            status=200,
            payload=body,
            function_error=function_error,
            error_type=error_type,
            log_tail=log,
            cold_start=cold,
            duration_ms=round(duration_ms, 3),
        )

    def _log_text(
        self,
        fn: LambdaFunction,
        request_id: str,
        captured: str,
        duration_ms: float,
        init_ms: float | None,
        conn: Connection,
    ) -> str:
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\t"
            f"Memory Size: {fn.memory_size} MB\tMax Memory Used: {conn.max_memory_mb()} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {float(init_ms):.2f} ms"
        if captured and not captured.endswith("\n"):
            captured += "\n"
        return (
            f"START RequestId: {request_id} Version: {fn.version}\n{captured}"
            f"END RequestId: {request_id}\n{report}\n"
        )

    def _record(self, fn: LambdaFunction, request_id: str, log: str) -> None:
        if self.log_chars < MAX_LOG_CHARS:
            text = log[: MAX_LOG_CHARS - self.log_chars]
            self.log_chars += len(text)
            self.logs.append(LambdaLog(fn.function_name, request_id, text))
        try:
            if fn.logs_group_name not in fn.logs_backend.groups:
                fn.logs_backend.create_log_group(fn.logs_group_name, {})
            fn.save_logs(log)
        except Exception:  # noqa: S110 - CloudWatch copies are a convenience, never a failure
            pass


ACTIVE: Runtime | None = None


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _patched_invoke(
    self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any
) -> bytes:
    if ACTIVE is None:
        raise RuntimeError("Lambda invoked outside a sandbox run")
    if isinstance(body, bytes):
        payload = body
    elif isinstance(body, str):
        payload = body.encode()
    else:
        payload = json.dumps(body if body is not None else {}).encode()
    headers = {str(k).lower(): v for k, v in dict(request_headers or {}).items()}
    outcome = ACTIVE.invoke_version(self, payload)
    response_headers["x-amz-executed-version"] = str(self.version)
    if outcome.function_error:
        response_headers["x-amz-function-error"] = outcome.function_error
    if headers.get("x-amz-invocation-type", "RequestResponse") != "RequestResponse":
        return b""
    tail = outcome.log_tail.encode("utf-8", "replace")[-LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return outcome.payload


HOOKED: tuple[type, str] = (LambdaFunction, "invoke")
_original: Callable[..., Any] | None = None


def install_moto_hook() -> None:
    """Replace the one method every moto path uses to run a function (idempotent)."""
    global _original
    if LambdaFunction.invoke is not _patched_invoke:
        _original = LambdaFunction.invoke
        LambdaFunction.invoke = _patched_invoke  # type: ignore[method-assign]
