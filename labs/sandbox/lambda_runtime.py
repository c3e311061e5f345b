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
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import make_function_arn
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
    # The run's labs.sandbox.emulation.Emulation (None without it): its alias_target draws
    # the version a weighted alias sends each direct Invoke to.
    emulation: Any = None

    # The InvokeFn of labs.sandbox.contracts, handed to the emulation layer and ctx.invoke.
    def invoke(self, function: str, payload: bytes, qualifier: str | None = None) -> InvokeOutcome:
        region, account = self.region, self.account_id
        if function.startswith("arn:"):
            parts = function.split(":")
            region, account = parts[3], parts[4]
        try:
            fn, invoked_arn = self.resolve(lambda_backends[account][region], function, qualifier)
        except LambdaClientError as exc:
            body = json.dumps({"Type": "User", "message": exc.message}).encode()
            return InvokeOutcome(status=exc.code, payload=body, error_type=exc.error_type)
        return self.invoke_version(fn, payload, invoked_arn=invoked_arn)

    def resolve(
        self, backend: LambdaBackend, function: str, qualifier: str | None
    ) -> tuple[LambdaFunction, str]:
        """The function version a call to `function` (name, `name:qualifier` or ARN) with
        `qualifier` runs, and the ARN the caller invoked (the handler's
        `invoked_function_arn`). A weighted alias sends the call to a version drawn by the
        emulation, as Lambda does; moto alone always runs the alias's primary version."""
        named = backend.get_function(function, qualifier)  # unknown names raise here
        rest = function.rsplit(":function:", 1)[-1]  # the name and qualifier of an ARN
        if ":" in rest:  # a qualifier in the name wins over the parameter, as in moto
            qualifier = rest.split(":", 1)[1]
        unqualified = make_function_arn(named.region, named.account_id, named.function_name)
        invoked_arn = f"{unqualified}:{qualifier}" if qualifier else unqualified
        if self.emulation is None or not qualifier:
            return named, invoked_arn
        target, version = self.emulation.alias_target(unqualified, qualifier)
        if version == qualifier:
            return named, invoked_arn
        return backend.get_function(target, version), invoked_arn

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
            # moto numbers published versions with ints; Lambda's context has strings.
            "version": str(fn.version),
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


def _payload_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body if body is not None else {}).encode()


def _answer(
    fn: LambdaFunction,
    body: Any,
    request_headers: Any,
    response_headers: Any,
    invoked_arn: str | None = None,
) -> bytes:
    """Run `fn` for an Invoke request and fill in Lambda's response headers."""
    if ACTIVE is None:
        raise RuntimeError("Lambda invoked outside a sandbox run")
    headers = {str(k).lower(): v for k, v in dict(request_headers or {}).items()}
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type == "DryRun":
        # DryRun only checks that the call would be allowed; the function does not run.
        return b""
    outcome = ACTIVE.invoke_version(fn, _payload_bytes(body), invoked_arn=invoked_arn)
    if invocation_type != "RequestResponse":
        # Event: Lambda answers 202 with an empty body; whatever the handler did (raised,
        # timed out) ends up in its logs, never in the caller's response.
        return b""
    response_headers["x-amz-executed-version"] = str(fn.version)
    if outcome.function_error:
        response_headers["x-amz-function-error"] = outcome.function_error
    tail = outcome.log_tail.encode("utf-8", "replace")[-LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return outcome.payload


def _patched_invoke(
    self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any
) -> bytes:
    """LambdaFunction.invoke: where every other moto path that runs a function ends."""
    return _answer(self, body, request_headers, response_headers)


def _patched_backend_invoke(
    self: LambdaBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> bytes:
    """LambdaBackend.invoke (the Invoke API): moto swaps an alias for its primary version
    before LambdaFunction.invoke, so weights and the invoked alias ARN are decided here."""
    if ACTIVE is None:
        assert _original_backend_invoke is not None
        return _original_backend_invoke(
            self, function_name, qualifier, body, headers, response_headers
        )
    fn, invoked_arn = ACTIVE.resolve(self, function_name, qualifier)
    payload = _answer(fn, body, headers, response_headers, invoked_arn)
    response_headers["Content-Length"] = str(len(payload))
    return payload


def _patched_response_invoke(self: LambdaResponse) -> Any:
    """LambdaResponse.invoke reads the query parameter as `qualifier`, but botocore sends
    `Qualifier`, so moto ran $LATEST for `Qualifier="2"` (and would take a `qualifier` key
    of the JSON payload instead). Hand it the real parameter, or None."""
    self.querystring["qualifier"] = [self.querystring.get("Qualifier", [None])[0]]
    assert _original_response_invoke is not None
    return _original_response_invoke(self)


HOOKED: tuple[type, str] = (LambdaFunction, "invoke")
# Also replaced: the Invoke API's way in (qualifier and weighted aliases).
HOOKED_INVOKE_API: tuple[tuple[type, str], ...] = (
    (LambdaBackend, "invoke"),
    (LambdaResponse, "invoke"),
)
_original: Callable[..., Any] | None = None
_original_backend_invoke: Callable[..., Any] | None = None
_original_response_invoke: Callable[..., Any] | None = None


def install_moto_hook() -> None:
    """Replace the one method every moto path uses to run a function, and the Invoke API's
    qualifier handling in front of it (idempotent)."""
    global _original, _original_backend_invoke, _original_response_invoke
    if LambdaFunction.invoke is not _patched_invoke:
        _original = LambdaFunction.invoke
        LambdaFunction.invoke = _patched_invoke  # type: ignore[method-assign]
    if LambdaBackend.invoke is not _patched_backend_invoke:
        _original_backend_invoke = LambdaBackend.invoke
        LambdaBackend.invoke = _patched_backend_invoke  # type: ignore[method-assign]
    if LambdaResponse.invoke is not _patched_response_invoke:
        _original_response_invoke = LambdaResponse.invoke
        LambdaResponse.invoke = _patched_response_invoke  # type: ignore[method-assign]
