"""The sandbox server: `python -m labs.sandbox.server`, started by `engine.get_engine()`.

Boot order is the heart of the design (see docs/SANDBOX.md):
1. import boto3 and our learner-side code, preload the standard library;
2. fork the *runtime zygote* (no moto in it, ever), which hides the filesystem and forks a
   runner per run, which forks the learner processes;
3. only then import moto, our Lambda hook and the checker, warm them up and become the
   *host zygote*, which forks one trusted host per submission.
The server speaks frames on its stdin/stdout with the engine in the calling process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from labs.sandbox import frames, isolation, learner, zygote

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def _hidden_paths() -> tuple[list[str], list[str]]:
    """What learner processes must not see, and which Python directories they still need."""
    keep = sorted(
        {
            path
            for path in sys.path
            if path and os.path.isdir(path) and ("site-packages" in path or "dist-packages" in path)
        }
    )
    hide = [PROJECT_ROOT, "/work", "/home", "/root", "/srv", "/mnt", "/media", "/run", "/var/run"]
    return [
        path for path in dict.fromkeys(hide) if os.path.isdir(path) and not os.path.islink(path)
    ], keep


def boot() -> tuple[socket.socket, int, list[str], int | None]:
    uid: int | None = None
    if isolation.is_root():
        uid, _lock_fd = isolation.acquire_uid_slot()  # held open for the server's life
    learner.install_transport()
    zygote.preload()
    ctl_host, ctl_runtime = socket.socketpair()
    hide, keep = _hidden_paths()
    pid = os.fork()
    if pid == 0:
        ctl_host.close()
        try:
            zygote.serve_runtime(ctl_runtime, uid, hide, keep)
        finally:
            os._exit(1)
    ctl_runtime.close()
    ready, _ = frames.recv(ctl_host.fileno(), timeout=30)
    return ctl_host, pid, list(ready.get("missing", [])), uid


def main() -> None:
    started = time.monotonic()
    # The engine talks to us on fds 0 and 1; nothing we fork may inherit them.
    chan_in = os.dup(0)
    chan_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.set_inheritable(chan_in, False)
    os.set_inheritable(chan_out, False)
    ctl, runtime_pid, missing, uid = boot()

    # Only now may moto enter this process (see the module docstring).
    from labs.sandbox import grading, warmup

    warmup.prepare()
    boot_ms = round((time.monotonic() - started) * 1000, 1)
    if uid is None:
        missing = [*missing, "unprivileged uid (not running as root)"]
    frames.send(
        chan_out,
        {
            "op": "ready",
            "pid": os.getpid(),
            "boot_ms": boot_ms,
            "uid": uid,
            "missing_isolation": missing,
            "emulation": warmup.emulation_problem or "installed",
        },
    )
    while True:
        try:
            meta, body = frames.recv(chan_in)
        except frames.FrameError:
            break
        try:
            reply = serve_one(ctl, meta, body, grading)
        except Exception as exc:
            traceback.print_exc()
            reply = grading.error_result(str(meta.get("op")), f"sandbox server failure: {exc}")
        frames.send(chan_out, {"result": reply})
        if _exited(runtime_pid):
            # Without its runtime zygote this server can run nothing: exit, and the engine
            # starts a fresh one for the next submission.
            break
    with contextlib.suppress(ProcessLookupError):
        os.kill(runtime_pid, signal.SIGKILL)


def _exited(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done != 0


def serve_one(
    ctl: socket.socket, meta: dict[str, Any], body: bytes, grading: Any
) -> dict[str, Any]:
    import json

    op = meta.get("op")
    if op == "ping":
        return {"status": "ok", "pid": os.getpid()}
    if op not in ("grade", "run"):
        return grading.error_result(str(op), f"unknown request {op!r}")
    files = json.loads(body)
    limits = isolation.Limits(**meta.get("limits", {}))
    wall = float(meta.get("wall_seconds", 30.0))
    started = time.monotonic()
    ours, theirs = socket.socketpair()
    frames.send_fds(ctl, {"op": "run", "limits": meta.get("limits", {})}, [theirs.fileno()])
    theirs.close()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            ctl.close()
            result = grading.execute(
                runner=ours,
                mode=op,
                files=files,
                lab_dir=meta.get("lab_dir"),
                limits=limits,
                wall_seconds=wall,
            )
            frames.send(write_fd, {"result": result})
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    ours.close()
    os.close(write_fd)
    result: dict[str, Any] | None = None
    try:
        # The watchdog: a host that does not answer in time is killed and the run is an
        # error, never a pass.
        reply, _ = frames.recv(read_fd, timeout=wall + 5)
        result = reply.get("result")
    except frames.FrameTimeout:
        result = grading.error_result(
            op, f"grading took longer than {wall + 5:g} s and was stopped"
        )
    except frames.FrameError:
        result = None
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if result is None:
        result = grading.error_result(
            op, f"the grading process failed (exit status {os.waitstatus_to_exitcode(status)})"
        )
    # Wait until the runner has killed and reaped every process of this run.
    frames.send_fds(ctl, {"op": "sync"}, [])
    frames.recv_fds(ctl, max_fds=0, timeout=10)
    result.setdefault("timings", {})["total_ms"] = round((time.monotonic() - started) * 1000, 2)
    return result


if __name__ == "__main__":
    main()
