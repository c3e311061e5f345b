"""The checker API lab authors write `checks.py` against (documented in docs/LABS.md).

Checks run only in the trusted host process, after every learner process of the run has
been killed, against the run's emulated account. A check passes by returning; it fails
through `ctx.require`, ends with partial credit through `ctx.partial`, and any exception it
raises (an AWS error such as ResourceNotFoundException included) fails that one check with
a readable message instead of breaking the grade.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from labs.sandbox.contracts import InvokeFn, InvokeOutcome

CheckFn = Callable[["CheckContext"], "str | None"]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    points: float
    hint: str | None
    after: tuple[str, ...]
    function: Callable[..., Any]
    line: int

    @property
    def key(self) -> str:
        return self.function.__name__


def check(
    name: str,
    *,
    points: float = 1,
    hint: str | None = None,
    after: list[str] | tuple[str, ...] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Mark a function of checks.py as a check worth `points`, shown to learners as `name`.

    `hint` is shown when the check does not pass; `after` names the functions (of the same
    checks.py) that must pass first, otherwise this one fails as "skipped: needs <name>"."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a check needs a non-empty name")
    if not isinstance(points, int | float) or points <= 0:
        raise ValueError(f"check {name!r}: points must be a positive number")
    if isinstance(after, str):
        after = (after,)

    def register(function: CheckFn) -> CheckFn:
        function.__check__ = CheckSpec(  # type: ignore[attr-defined]
            name=name,
            points=points,
            hint=hint,
            after=tuple(after),
            function=function,
            line=function.__code__.co_firstlineno,
        )
        return function

    return register


class CheckFailed(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CheckPartial(Exception):
    def __init__(self, points: float, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.points = points
        self.message = message
        self.hint = hint


class InvokeError(Exception):
    """ctx.invoke could not invoke the function at all (e.g. it does not exist)."""


class EmulationMissing(RuntimeError):
    """ctx.http/deliver_events/advance_clock need labs.sandbox.emulation, absent here."""


class ChecksError(Exception):
    """checks.py could not be loaded: an authoring error, reported with file and line."""


@dataclass
class CheckContext:
    """What a check can see and do. `files` and `output` are the learner's submission and
    script output (plain data); everything else acts on the run's emulated account."""

    files: dict[str, str]
    output: str
    invoke_fn: InvokeFn
    client_factory: Callable[[str], Any]
    emulation: Any = None
    account_id: str = "123456789012"
    region: str = "us-east-1"
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.client_factory(service)
        return self._clients[service]

    def invoke(
        self, function: str, payload: Any = None, qualifier: str | None = None
    ) -> InvokeOutcome:
        """Invoke a function synchronously (like Invoke with RequestResponse). A function
        that does not exist raises InvokeError, which fails the check with AWS's message;
        a function that ran and raised returns an outcome with function_error "Unhandled"."""
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload if payload is not None else {}).encode()
        outcome = self.invoke_fn(function, data, qualifier)
        if outcome.status >= 400:
            try:
                message = json.loads(outcome.payload).get("message", "")
            except (ValueError, AttributeError):
                message = outcome.payload.decode("utf-8", "replace")
            raise InvokeError(f"Invoke failed: {outcome.error_type}: {message}")
        return outcome

    def _emulation(self, what: str) -> Any:
        if self.emulation is None:
            raise EmulationMissing(
                f"ctx.{what} needs the emulation layer (labs.sandbox.emulation), "
                "which is not installed in this sandbox"
            )
        return self.emulation

    def http(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        return self._emulation("http").http(method, url, headers=headers, body=body)

    def deliver_events(self, max_rounds: int = 50, **options: Any) -> Any:
        """Run the event-source pollers until idle (options such as settle=True go to
        the emulation layer unchanged)."""
        return self._emulation("deliver_events").deliver_events(max_rounds=max_rounds, **options)

    def advance_clock(self, seconds: float) -> Any:
        emulation = self._emulation("advance_clock")
        if hasattr(emulation, "advance_clock"):
            return emulation.advance_clock(seconds)
        return emulation.clock.advance(seconds)

    @staticmethod
    def require(condition: Any, message: str, hint: str | None = None) -> None:
        if not condition:
            raise CheckFailed(message, hint)

    @staticmethod
    def partial(points: float, message: str, hint: str | None = None) -> None:
        raise CheckPartial(points, message, hint)


def load_checks(path: Path) -> list[CheckSpec]:
    """Import checks.py under a private module name and return its checks in file order."""
    module_name = f"_lab_checks_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ChecksError(f"{path}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ChecksError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    except Exception as exc:
        # Point at the line of checks.py that failed, not at a frame inside a helper.
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [frame for frame in frames if frame.filename == str(path)] or frames
        where = f"{ours[-1].filename}:{ours[-1].lineno}"
        raise ChecksError(f"{where}: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.modules.pop(module_name, None)
    checks = sorted(
        (
            value.__check__
            for value in vars(module).values()
            if isinstance(getattr(value, "__check__", None), CheckSpec)
        ),
        key=lambda spec: spec.line,
    )
    if not checks:
        raise ChecksError(f"{path}: defines no @check functions")
    names = {spec.key for spec in checks}
    for spec in checks:
        for needed in spec.after:
            if needed not in names:
                raise ChecksError(
                    f"{path}:{spec.line}: check {spec.key!r} runs after unknown check {needed!r}"
                )
    return checks


def describe_error(exc: BaseException) -> str:
    """A message a learner can act on, from whatever a check raised."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "request")
        return (
            f"{operation} failed: {error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(
                ": "
            )
        )
    if isinstance(exc, EmulationMissing | InvokeError):
        return str(exc)
    return f"The check could not finish: {type(exc).__name__}: {exc}"


def run_checks(checks: list[CheckSpec], ctx: CheckContext) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    passed: dict[str, bool] = {}
    for spec in checks:
        missing = [needed for needed in spec.after if not passed.get(needed)]
        if missing:
            names = ", ".join(_display(checks, needed) for needed in missing)
            results.append(_result(spec, 0, f"skipped: needs {names}", spec.hint))
            passed[spec.key] = False
            continue
        try:
            message = spec.function(ctx)
        except CheckFailed as exc:
            results.append(_result(spec, 0, exc.message, exc.hint or spec.hint))
        except CheckPartial as exc:
            points = max(0.0, min(float(exc.points), float(spec.points)))
            results.append(_result(spec, points, exc.message, exc.hint or spec.hint))
        except Exception as exc:
            results.append(_result(spec, 0, describe_error(exc), spec.hint))
        else:
            results.append(_result(spec, spec.points, str(message) if message else "Passed.", None))
        passed[spec.key] = results[-1]["passed"]
    return results


def _display(checks: list[CheckSpec], key: str) -> str:
    for spec in checks:
        if spec.key == key:
            return spec.name
    return key


def _result(spec: CheckSpec, points: float, message: str, hint: str | None) -> dict[str, Any]:
    return {
        "name": spec.name,
        "points": points,
        "max_points": spec.points,
        "passed": points >= spec.points,
        "message": message,
        "hint": None if points >= spec.points else hint,
    }
