"""Plain types shared between the Lambda runtime (which runs learner handlers in isolated
processes) and the emulation layer (API Gateway routing, event sources, Cognito triggers),
which only needs a way to invoke a function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class InvokeOutcome:
    """What one synchronous invocation produced, shaped like Lambda's Invoke API response.

    `status` is 200 for an invocation that ran (even when the handler raised), as on AWS;
    `function_error` is "Unhandled" when the handler raised or the runtime failed, else None;
    `payload` is the JSON response (or the AWS-shaped error document); `error_type` names
    the runtime error ("Runtime.ImportModuleError", "Runtime.HandlerNotFound",
    "Sandbox.Timedout", ...) when there is one; `log_tail` is the invocation's log text
    (the caller base64-encodes the last 4 KB for LogType=Tail)."""

    status: int
    payload: bytes
    function_error: str | None = None
    error_type: str | None = None
    log_tail: str = ""
    cold_start: bool = False
    duration_ms: float = 0.0


# invoke(function_name_or_arn, payload, qualifier) -> InvokeOutcome
InvokeFn = Callable[[str, bytes, "str | None"], InvokeOutcome]
