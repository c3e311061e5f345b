"""Fixtures for the sandbox tests: the tiny test lab in ./lab and the warm engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labs.sandbox import engine
from labs.sandbox.isolation import uid_processes
from labs.submission_files import read_submission_dir

LAB = Path(__file__).parent / "lab"


@pytest.fixture(scope="session")
def lab() -> Path:
    return LAB


@pytest.fixture(scope="session")
def solution() -> dict[str, str]:
    return read_submission_dir(LAB / "solution")


@pytest.fixture(scope="session")
def sandbox() -> engine.Engine:
    """The engine every test in this process shares (started once, like in a worker)."""
    started = engine.get_engine()
    started.start()
    return started


def leftover_processes(sandbox: engine.Engine) -> list[int]:
    """Processes still running as the engine's sandbox uid (must be none after a run)."""
    uid = sandbox.info.get("uid")
    assert uid is not None, "the sandbox tests run as root so learner code gets its own uid"
    return uid_processes(uid)


def full_marks(sandbox: engine.Engine, lab: Path, solution: dict[str, str]) -> dict:
    result = engine.grade(lab, solution)
    assert result["status"] == "graded", result.get("reason")
    assert (result["score"], result["max_score"]) == (6, 6), result["checks"]
    return result


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("COLDSTART_TEST_SECRET", "do-not-leak-me")
