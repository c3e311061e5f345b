"""Entry points for callers (Celery tasks, management commands, tests, benchmarks).

`grade()` and `run()` hand a submission to this process's warm sandbox server, started
lazily as a clean subprocess (`python -m labs.sandbox.server`, never forked from the
caller, which may be a Django process with open database connections). The boto3 and moto
import cost is paid once per calling process. Results are plain dicts (the result contract
in docs/LABS.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from labs.sandbox import frames
from labs.sandbox.isolation import Limits

MAX_FILES = 20
MAX_FILE_BYTES = 200 * 1024
MAX_TOTAL_BYTES = 1024 * 1024
DEFAULT_WALL_SECONDS = 30.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SandboxUnavailable(RuntimeError):
    """The sandbox server could not be started."""


def submission_problem(files: Any) -> str | None:
    """Why a submission cannot be run at all (limits, names), or None."""
    if not isinstance(files, dict) or not files:
        return "The submission contains no files."
    if len(files) > MAX_FILES:
        return f"The submission has {len(files)} files; at most {MAX_FILES} are allowed."
    total = 0
    for name, text in files.items():
        if not isinstance(name, str) or not isinstance(text, str):
            return "Every submitted file needs a text name and text content."
        parts = name.split("/")
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or "\x00" in name
            or any(part in ("", ".", "..") for part in parts)
            or len(name) > 200
        ):
            return (
                f"{name!r} is not an allowed file name (use plain relative names like lib/util.py)."
            )
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_FILE_BYTES:
            return f"{name} is {size // 1024} KB; each file may be at most {MAX_FILE_BYTES // 1024} KB."
        total += size
    if total > MAX_TOTAL_BYTES:
        return f"The submission is {total // 1024} KB in total; at most {MAX_TOTAL_BYTES // 1024} KB are allowed."
    return None


def _ungradable(mode: str, reason: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "score": 0,
        "max_score": 0,
        "gradable": False,
        "reason": reason,
        "status": "ungradable",
        "checks": [],
        "output": "",
        "inventory": {},
        "timings": {},
        "lambda_logs": [],
    }


def _error(mode: str, reason: str) -> dict[str, Any]:
    result = _ungradable(mode, reason)
    result.update(gradable=True, status="error")
    return result


class Engine:
    """One warm sandbox server (a subprocess) and the pipe to it; thread-safe."""

    def __init__(self, python: str | None = None) -> None:
        self.python = python or sys.executable
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.lock = threading.Lock()

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.process = subprocess.Popen(
            [self.python, "-m", "labs.sandbox.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=str(PROJECT_ROOT),
            env=env,
            close_fds=True,
        )
        try:
            meta, _ = frames.recv(self.process.stdout.fileno(), timeout=60)  # type: ignore[union-attr]
        except frames.FrameError as exc:
            self.stop()
            raise SandboxUnavailable(f"the sandbox server did not start: {exc}") from exc
        self.info = meta

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()
        self.process = None

    def submit(
        self,
        mode: str,
        files: dict[str, str],
        lab_dir: Path | None,
        limits: Limits | None = None,
        wall_seconds: float = DEFAULT_WALL_SECONDS,
    ) -> dict[str, Any]:
        problem = submission_problem(files)
        if problem:
            return _ungradable(mode, problem)
        request = {
            "op": mode,
            "lab_dir": str(Path(lab_dir).resolve()) if lab_dir is not None else None,
            "limits": asdict(limits or Limits()),
            "wall_seconds": wall_seconds,
        }
        body = json.dumps(files).encode()
        with self.lock:
            for attempt in (1, 2):
                try:
                    self.start()
                    assert self.process is not None
                    frames.send(self.process.stdin.fileno(), request, body)  # type: ignore[union-attr]
                    meta, _ = frames.recv(self.process.stdout.fileno(), timeout=wall_seconds + 30)  # type: ignore[union-attr]
                    return meta["result"]
                except (frames.FrameError, OSError, SandboxUnavailable, KeyError) as exc:
                    # A dead server is restarted for the next request; this one is an error
                    # unless the server was already gone before we sent it.
                    self.stop()
                    if attempt == 2 or isinstance(exc, frames.FrameTimeout):
                        return _error(mode, f"the sandbox failed: {exc}")
        return _error(mode, "the sandbox failed")


_engine: Engine | None = None
_engine_pid: int | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """This process's warm engine (a forked child gets its own, never its parent's)."""
    global _engine, _engine_pid
    with _engine_lock:
        if _engine is None or _engine_pid != os.getpid():
            _engine = Engine()
            _engine_pid = os.getpid()
        return _engine


def grade(
    lab_dir: Path,
    files: dict[str, str],
    *,
    limits: Limits | None = None,
    wall_seconds: float = DEFAULT_WALL_SECONDS,
) -> dict[str, Any]:
    """Run the submission and the lab's checks.py; returns the result contract."""
    return get_engine().submit("grade", files, Path(lab_dir), limits, wall_seconds)


def run(
    files: dict[str, str],
    lab_dir: Path | None = None,
    *,
    limits: Limits | None = None,
    wall_seconds: float = DEFAULT_WALL_SECONDS,
) -> dict[str, Any]:
    """Run the submission without checks: output, inventory and Lambda logs, no score."""
    return get_engine().submit("run", files, lab_dir, limits, wall_seconds)
