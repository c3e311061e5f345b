"""Fault injection against a production-shaped stack (ops/stack.py): a real PostgreSQL
database, a private Redis, Celery workers, beat and gunicorn as separate processes.

Every grading test asserts the same things about the submissions it made: each ended
finished within a bounded time, each has exactly one GradingResult row (round 1), and each
graded one scored what a clean grading of the same files scores (faults.clean_outcome, the
sandbox engine run in this process). Faults cost time, never a result.
"""

import os
import shutil

import psycopg
import pytest

from ops.stack import GRADING_KNOBS, SYSTEM_POSTGRES, Stack
from tests.production.faults import (
    POISON_ERROR_LAB,
    POISON_KILL_LAB,
    QUEUE_LAB,
    SLOW_LAB,
    Learners,
)


@pytest.fixture(scope="session", autouse=True)
def production_services():
    """PostgreSQL and redis-server must be here; under CI their absence fails the run."""
    problems = []
    try:
        psycopg.connect(SYSTEM_POSTGRES + "/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at {SYSTEM_POSTGRES}: {exc}")
    if shutil.which("redis-server") is None:
        problems.append("redis-server is not on PATH")
    if problems:
        if os.environ.get("CI") == "true":
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


@pytest.fixture(scope="package")
def grading_stack():
    """One stack for the grading fault tests: the test labs installed, short lease, resend
    and sweep periods, one gunicorn and one beat. Each test starts its own workers. Package
    scope: it is stopped once tests/production is done, not at the end of the session."""
    labs = [QUEUE_LAB, SLOW_LAB, POISON_KILL_LAB, POISON_ERROR_LAB]
    with Stack("faults", labs=labs, env=GRADING_KNOBS) as stack:
        stack.start_web(workers=1, threads=4)
        stack.start_beat()
        yield stack


@pytest.fixture(scope="package")
def learners(grading_stack) -> Learners:
    pool = Learners(grading_stack, "faulty")
    pool.add(4)
    return pool


@pytest.fixture
def stack(grading_stack):
    """The shared stack, with every worker a test started stopped after it, pass or fail,
    and the Redis it may have stopped running again."""
    yield grading_stack
    grading_stack.stop_workers(timeout=5)
    if grading_stack.redis.service is None:
        grading_stack.redis.start()
