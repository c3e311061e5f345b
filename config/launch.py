"""Start Coldstart's processes side by side; Ctrl-C stops them all.

`python -m config.launch` (`make run`, the embedded default): one Celery worker with beat
inside it, and gunicorn. `python -m config.launch production` (`make serve-prod`): prepare
the PostgreSQL database, cache table, static files, content and demo accounts, then serve
with gunicorn, WORKERS Celery workers and exactly one beat, against PostgreSQL and Redis
(docs/DEPLOY.md).

Every child runs in its own process group; on SIGINT/SIGTERM, or when any child exits, the
others are stopped too, so no orphan worker keeps consuming the queue.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from config.env import ConfigError, env_int, env_str

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent

# What `make serve-prod` runs against when the environment names nothing else: the local
# PostgreSQL and Redis, as a single-machine production deployment would.
PRODUCTION_DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/coldstart",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "COLDSTART_STATIC_MANIFEST": "1",
}
PREPARE = [
    ["migrate", "--noinput"],
    ["createcachetable"],
    ["collectstatic", "--noinput", "-v0"],
    ["import_content"],
    ["setup_demo"],
    # Prints what production settings still lack (warnings do not stop the start).
    ["check", "--deploy"],
]


def gunicorn_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """The one gunicorn command line: make run, make serve-prod, ops.stack and the load
    benchmark all start the web server with it."""
    return [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        # gunicorn 27's control socket defaults to one path per user, which several servers
        # on one machine (web + the test and benchmark stacks) would fight over; unused here.
        "--no-control-socket",
    ]


def _celery_worker(
    *, name: str | None, concurrency: int, queues: str | None, beat: bool
) -> list[str]:
    command = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
    ]
    if name:  # several workers on one machine need distinct names
        command += ["-n", f"{name}@%h"]
    if queues:
        command += ["-Q", queues]
    if beat:
        command.append("--beat")
    return command


def embedded_commands() -> dict[str, list[str]]:
    return {
        # One machine, one worker on both queues; beat runs inside it (the sweeper, closing
        # expired exam attempts).
        "worker": _celery_worker(name=None, concurrency=2, queues="grading,maintenance", beat=True),
        "web": gunicorn_command(
            host=env_str("HOST", "127.0.0.1"),
            port=env_int("PORT", 8000, minimum=1),
            workers=2,
            threads=4,
        ),
    }


def production_commands() -> dict[str, list[str]]:
    # Two web processes per core (each with threads for requests waiting on the database),
    # capped so a big machine does not open more database connections than PostgreSQL allows.
    cores = os.cpu_count() or 1
    commands = {
        "web": gunicorn_command(
            host=env_str("HOST", "127.0.0.1"),
            port=env_int("PORT", 8000, minimum=1),
            workers=env_int("WEB_WORKERS", min(2 * cores, 8), minimum=1),
            threads=env_int("WEB_THREADS", 4, minimum=1),
        ),
        # Exactly one beat per deployment: two would schedule every periodic task twice.
        "beat": [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO"],
    }
    concurrency = env_int("WORKER_CONCURRENCY", 2, minimum=1)
    for number in range(1, env_int("WORKERS", 1, minimum=1) + 1):
        commands[f"worker{number}"] = _celery_worker(
            name=f"worker{number}",
            concurrency=concurrency,
            queues="grading,maintenance",
            beat=False,
        )
    return commands


def ensure_postgres_database(url: str) -> None:
    """Create the database DATABASE_URL names if the server does not have it yet."""
    import psycopg  # only production needs the driver loaded here
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        return
    name = parts.path.lstrip("/")
    if not name:
        raise ConfigError(f"DATABASE_URL={url!r} names no database")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Created PostgreSQL database {name!r}", flush=True)


def prepare_production() -> None:
    for name, value in PRODUCTION_DEFAULTS.items():
        if not os.environ.get(name, "").strip():
            os.environ[name] = value
    ensure_postgres_database(os.environ["DATABASE_URL"])
    for args in PREPARE:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def supervise(commands: dict[str, list[str]], banner: str) -> int:
    children = {
        name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        for name, cmd in commands.items()
    }
    print(banner, flush=True)

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
            # Each main process shuts its own pool down (warm shutdown); the whole group is
            # killed only if it has not finished within the deadline below.
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    return exit_code


def main(argv: list[str]) -> int:
    profile = argv[0] if argv else "embedded"
    host, port = env_str("HOST", "127.0.0.1"), env_int("PORT", 8000, minimum=1)
    if profile == "embedded":
        return supervise(
            embedded_commands(),
            f"Coldstart is serving on http://{host}:{port}/ (Ctrl-C stops web and worker)",
        )
    if profile == "production":
        prepare_production()
        commands = production_commands()
        workers = sum(name.startswith("worker") for name in commands)
        return supervise(
            commands,
            f"Coldstart (production) is serving on http://{host}:{port}/ with {workers} "
            "Celery worker(s) and one beat (Ctrl-C stops them all)",
        )
    print(f"usage: python -m config.launch [embedded|production], not {profile!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
