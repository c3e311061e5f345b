"""`make run`: a Celery worker and the web server side by side; Ctrl-C stops both.

Both run as child processes in their own process groups; on SIGINT/SIGTERM, or when either
exits, the other is stopped too, so no orphan worker keeps the broker folder busy.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config.env import env_int, env_str

BIN = Path(sys.executable).parent


def main() -> int:
    port = env_int("PORT", 8000, minimum=1)
    host = env_str("HOST", "127.0.0.1")
    commands = {
        "worker": [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            # One machine, one worker: beat runs inside it (close expired exam attempts).
            "--beat",
            "--without-gossip",
            "--without-mingle",
        ],
        "web": [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ],
    }
    children = {
        name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()
    }
    print(
        f"Coldstart is serving on http://{host}:{port}/ (Ctrl-C stops web and worker)", flush=True
    )

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping", flush=True)
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.3)
    for child in children.values():
        if child.poll() is None:
            # The main process shuts its own pool down (warm shutdown); the whole group is
            # killed only if it has not finished within the deadline below.
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
