"""One submission, start to finish, inside the trusted host process.

Order matters for the trust argument: the learner's script runs first; then every learner
process of the run is killed; only then are checks.py's checks run (Lambda environments
they need start fresh from the runtime zygote). The verdict is built here from the host's
own observations and sent to the server over a pipe no learner process holds.
"""

from __future__ import annotations

import ast
import os
import signal
import time
from pathlib import Path
from typing import Any

from labs.sandbox import checker, lambda_runtime, warmup
from labs.sandbox.host import Host, RunnerGone
from labs.sandbox.isolation import Limits

ENTRY = "provision.py"
CHECKS_ROUTING_SEED = "coldstart-checks"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def base_result(mode: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "score": 0,
        "max_score": 0,
        "gradable": True,
        "reason": None,
        "status": "graded",
        "checks": [],
        "output": "",
        "inventory": {},
        "timings": {},
        "lambda_logs": [],
    }


def ungradable(mode: str, reason: str) -> dict[str, Any]:
    result = base_result(mode)
    result.update(gradable=False, status="ungradable", reason=reason)
    return result


def error_result(mode: str, reason: str) -> dict[str, Any]:
    result = base_result(mode)
    result.update(status="error", reason=reason)
    return result


def syntax_problem(files: dict[str, str]) -> str | None:
    for name, text in sorted(files.items()):
        if not name.endswith(".py"):
            continue
        try:
            ast.parse(text, filename=name)
        except SyntaxError as exc:
            where = f"{name}:{exc.lineno}" if exc.lineno else name
            return f"{where}: syntax error: {exc.msg}"
        except (ValueError, RecursionError, MemoryError) as exc:
            return f"{name}: cannot be compiled: {type(exc).__name__}: {exc}"
    return None


def _ending(finished: bool, status: int | None, seconds: float, limits: Limits) -> str:
    """A line telling the learner how their script ended, when it did not end normally."""
    if not finished:
        return f"\n[stopped: the script was still running after {seconds:g} s]\n"
    if status is None:
        return ""
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return "" if code == 0 else f"\n[the script exited with status {code}]\n"
    number = -code
    name = (
        signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
    )
    why = {
        "SIGXCPU": f" (CPU time limit of {limits.cpu_seconds} s)",
        "SIGXFSZ": f" (file size limit of {limits.file_size_mb} MB)",
        "SIGSEGV": " (segmentation fault)",
        "SIGKILL": "",
    }.get(name, "")
    return f"\n[the script was killed by {name}{why}]\n"


def execute(
    *,
    runner: Any,
    mode: str,
    files: dict[str, str],
    lab_dir: str | None,
    limits: Limits,
    wall_seconds: float,
) -> dict[str, Any]:
    started = time.monotonic()
    result = base_result(mode)
    timings: dict[str, float] = {}
    problem = syntax_problem(files)
    if problem:
        return ungradable(mode, problem)
    if ENTRY not in files:
        return ungradable(
            mode, f"The submission has no {ENTRY}: it is the script the sandbox runs."
        )
    checks: list[checker.CheckSpec] = []
    if mode == "grade":
        if lab_dir is None:
            return error_result(mode, "grading needs a lab folder")
        try:
            checks = checker.load_checks(Path(lab_dir) / "checks.py")
        except (checker.ChecksError, OSError) as exc:
            return error_result(mode, f"checks.py failed to load: {exc}")
    t = time.monotonic()
    warmup.fresh_account()
    host = Host(runner, limits, deadline=started + wall_seconds)
    runtime = lambda_runtime.Runtime(host=host)
    lambda_runtime.ACTIVE = runtime
    try:
        emulation = warmup.install_emulation(runtime.invoke)
        runtime.emulation = emulation
    except Exception as exc:
        lambda_runtime.ACTIVE = None
        return error_result(mode, f"the emulation layer failed to start: {exc!r}")
    timings["setup_ms"] = _ms(time.monotonic() - t)
    try:
        t = time.monotonic()
        script = host.spawn_script(files, ENTRY)
        script_seconds = min(limits.wall_seconds, wall_seconds)
        finished = host.pump(
            lambda: script.sock is None and script.out_fd is None, t + script_seconds
        )
        # Nothing the learner started survives into the checks: script, daemons, environments.
        exits = host.kill_all()
        runtime.close()
        output = script.take_output()
        if script.dropped:
            output += f"\n[output truncated: {script.dropped} more bytes were not kept]\n"
        if host.memory_exceeded:
            output += (
                f"\n[stopped: the run's processes used more than {limits.run_memory_mb} MB "
                "of memory together]\n"
            )
        else:
            output += _ending(finished, exits.get(script.pid), script_seconds, limits)
        result["output"] = output
        timings["provision_ms"] = _ms(time.monotonic() - t)
        timings["aws_requests"] = host.requests
        if mode == "grade":
            t = time.monotonic()
            if emulation is not None:
                # Every submission's checks see the same alias draws, whatever its script did.
                emulation.reseed(CHECKS_ROUTING_SEED)
            ctx = checker.CheckContext(
                files=dict(files),
                output=output,
                invoke_fn=runtime.invoke,
                client_factory=warmup.client,
                emulation=emulation,
            )
            result["checks"] = checker.run_checks(checks, ctx)
            if host.remaining() <= 0:
                return error_result(mode, f"grading took longer than {wall_seconds:g} s")
            result["max_score"] = sum(spec.points for spec in checks)
            result["score"] = sum(item["points"] for item in result["checks"])
            timings["checks_ms"] = _ms(time.monotonic() - t)
        t = time.monotonic()
        result["inventory"] = warmup.inventory()
        timings["inventory_ms"] = _ms(time.monotonic() - t)
        host.kill_all()
        runtime.close()
    except RunnerGone as exc:
        return error_result(mode, str(exc))
    finally:
        lambda_runtime.ACTIVE = None
    result["lambda_logs"] = [
        {"function": log.function, "request_id": log.request_id, "log": log.text}
        for log in runtime.logs
    ]
    timings["host_ms"] = _ms(time.monotonic() - started)
    result["timings"] = timings
    return result
