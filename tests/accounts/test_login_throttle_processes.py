"""The sign-in throttle holds across processes: ten web-like processes try one username at
the same moment against one shared cache, and exactly the limit reach the password check.

Production's store is Redis (its own test database here); the embedded default's is the
database cache in a SQLite file all processes open (the test database would not do: it
lives inside this process's transaction)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROCESSES = 10
LIMIT = 4

# One Django start-up, then PROCESSES forked children: each opens its own cache connection
# (nothing is connected before the fork), waits at the barrier, and tries once.
RACE = """
import multiprocessing, sys
import django
django.setup()
from django.core.cache import caches
from accounts import login_throttle

def racer(barrier, results):
    caches["default"].get("warm-up")  # connect first, so the race is the counting itself
    barrier.wait(timeout=60)
    try:
        login_throttle.reserve_sign_in(username="racer", address="192.0.2.1")
        results.put("checked")
    except login_throttle.SignInThrottled:
        results.put("throttled")

n = int(sys.argv[1])
fork = multiprocessing.get_context("fork")
barrier, results = fork.Barrier(n), fork.Queue()
children = [fork.Process(target=racer, args=(barrier, results)) for _ in range(n)]
for child in children:
    child.start()
outcomes = sorted(results.get(timeout=60) for _ in children)
for child in children:
    child.join(timeout=60)
    assert child.exitcode == 0, child.exitcode
print(" ".join(outcomes))
"""


def _race(env: dict) -> list[str]:
    env = {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "COLDSTART_LOGIN_FAILURES_PER_USERNAME": str(LIMIT),
        "COLDSTART_LOGIN_FAILURES_PER_ADDRESS": "100",
        # A day-long window: the race never straddles two windows.
        "COLDSTART_LOGIN_WINDOW_SECONDS": "86400",
    }
    race = subprocess.run(
        [sys.executable, "-c", RACE, str(PROCESSES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert race.returncode == 0, race.stderr
    return race.stdout.split()


def test_processes_sharing_redis_let_exactly_the_limit_through(redis_url, tmp_path):
    outcomes = _race({"CACHE_URL": redis_url, "COLDSTART_VAR_DIR": str(tmp_path / "var")})
    assert outcomes == ["checked"] * LIMIT + ["throttled"] * (PROCESSES - LIMIT)


def test_processes_sharing_the_sqlite_database_cache_let_exactly_the_limit_through(tmp_path):
    env = {
        "CACHE_URL": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "COLDSTART_VAR_DIR": str(tmp_path / "var"),
    }
    made = subprocess.run(
        [sys.executable, "manage.py", "createcachetable"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    outcomes = _race(env)
    assert outcomes == ["checked"] * LIMIT + ["throttled"] * (PROCESSES - LIMIT)
