"""Helpers of the fault tests: the test labs, learners that stay under the rate limit, the
clean outcome of a file set, and the assertions every test makes about its submissions."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ops.stack import Learner, Stack, StackTimeout

LABS = Path(__file__).parent / "labs"
QUEUE_LAB = Path(__file__).parents[1] / "labs" / "web" / "lab_folders" / "queue-timeout"
SLOW_LAB = LABS / "slow-lab"  # its second check sleeps 2 s: time to act mid-grade
POISON_KILL_LAB = LABS / "poison-kill"  # its check kills the Celery pool process grading it
POISON_ERROR_LAB = LABS / "poison-error"  # its check kills the sandbox host: a grader error
PASSWORD = "production-pass-123"
FINISHED = ("graded", "ungradable", "error")
MAX_ATTEMPTS = 3  # COLDSTART_GRADING_MAX_ATTEMPTS's default, which GRADING_KNOBS keeps
# Bounded waits. A lost lease costs lease (8 s) + one sweep (1 s) + a sandbox start; the
# deadline leaves room for a slow, loaded 2-core machine, and a failure prints every log.
GRADED_WITHIN = 60


def lab_files(lab: Path, part: str = "solution") -> dict[str, str]:
    folder = lab / part
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


@dataclass(frozen=True)
class Outcome:
    score: float
    max_score: float
    checks: tuple[tuple[str, bool], ...]  # (check name, passed), in order


def outcome_of(result: dict) -> Outcome:
    return Outcome(
        score=float(result["score"]),
        max_score=float(result["max_score"]),
        checks=tuple((c["name"], bool(c["passed"])) for c in result["checks"]),
    )


@functools.cache
def _clean(lab: Path, files_json: str) -> Outcome:
    from labs.sandbox import engine

    result = engine.grade(lab, json.loads(files_json))
    assert result["status"] == "graded", result
    return outcome_of(result)


def clean_outcome(lab: Path, files: dict[str, str]) -> Outcome:
    """What a clean grading of `files` scores: the sandbox engine, in this process, once per
    distinct lab and file set."""
    return _clean(lab, json.dumps(files, sort_keys=True))


class Learners:
    """Logged-in learners handed out so that nobody passes the submission rate limit
    (labs.services.RATE_LIMIT a minute each): each submit goes to a learner with room."""

    def __init__(self, stack: Stack, prefix: str) -> None:
        self.stack = stack
        self.prefix = prefix
        self.pool: list[tuple[Learner, list[float]]] = []
        self.owner: dict[int, Learner] = {}  # submission id -> the learner who sent it

    def add(self, count: int) -> None:
        names = [f"{self.prefix}{len(self.pool) + i}" for i in range(count)]
        self.stack.create_users(names, PASSWORD)
        for name in names:
            self.pool.append((self.stack.learner(name, PASSWORD), []))

    def next(self) -> Learner:
        from labs.services import RATE_LIMIT, RATE_WINDOW

        now = time.monotonic()
        window = RATE_WINDOW.total_seconds() + 10  # this clock and the server's differ a bit
        for learner, sent in self.pool:
            sent[:] = [t for t in sent if now - t < window]
            if len(sent) < RATE_LIMIT:
                sent.append(now)
                return learner
        self.add(4)
        return self.next()

    def submit(self, lab: Path, files: dict[str, str]) -> int:
        """Submit through the JSON API (labs.js); returns the submission id."""
        learner = self.next()
        response = learner.submit_lab(lab.name, files)
        assert response.status == 202, (response.status, response.text)
        pk = response.json()["id"]
        self.owner[pk] = learner
        return pk


def rows(stack: Stack, ids: list[int]) -> dict[int, dict]:
    columns = "id, status, score, max_score, result, round, attempts, worker, sent_at, lab_id"
    found = stack.sql(f"SELECT {columns} FROM labs_submission WHERE id = ANY(%s)", ids)  # noqa: S608
    names = [c.strip() for c in columns.split(",")]
    return {row[0]: dict(zip(names, row, strict=True)) for row in found}


def ledger(stack: Stack, ids: list[int]) -> dict[int, list[dict]]:
    found = stack.sql(
        "SELECT submission_id, round, attempt, status, score, max_score, worker"
        " FROM labs_gradingresult WHERE submission_id = ANY(%s) ORDER BY id",
        ids,
    )
    out: dict[int, list[dict]] = {pk: [] for pk in ids}
    for sub, round_, attempt, status, score, max_score, worker in found:
        out[sub].append(
            dict(
                round=round_,
                attempt=attempt,
                status=status,
                score=score,
                max_score=max_score,
                worker=worker,
            )
        )
    return out


def describe(stack: Stack, ids: list[int]) -> str:
    lines = []
    for _pk, row in sorted(rows(stack, ids).items()):
        brief = {k: v for k, v in row.items() if k != "result"}
        reason = (row["result"] or {}).get("reason")
        lines.append(f"{brief} reason={reason!r}")
    return "\n".join(lines)


def wait_finished(stack: Stack, ids: list[int], timeout: float = GRADED_WITHIN) -> None:
    """Poll the database until every submission is finished; fail with the rows and logs."""

    def done() -> bool:
        found = rows(stack, ids)
        return len(found) == len(ids) and all(r["status"] in FINISHED for r in found.values())

    try:
        stack.wait_for(done, timeout, f"submissions {ids} to finish")
    except StackTimeout as exc:
        pytest.fail(f"{exc}\n\nrows:\n{describe(stack, ids)}", pytrace=False)


def assert_graded_once(stack: Stack, expected: dict[int, Outcome]) -> None:
    """Each submission graded, its score and per-check results those of a clean grading,
    and exactly one ledger row (round 1, same status and score)."""
    ids = sorted(expected)
    found, results = rows(stack, ids), ledger(stack, ids)
    context = f"\nrows:\n{describe(stack, ids)}\nledger: {results}"
    for pk in ids:
        row = found[pk]
        assert row["status"] == "graded", f"submission {pk} is {row['status']}{context}"
        assert outcome_of(row["result"]) == expected[pk], f"submission {pk}{context}"
        assert (float(row["score"]), float(row["max_score"])) == (
            expected[pk].score,
            expected[pk].max_score,
        ), f"submission {pk}{context}"
        assert len(results[pk]) == 1, f"submission {pk}: {len(results[pk])} ledger rows{context}"
        entry = results[pk][0]
        assert (entry["round"], entry["status"], entry["score"]) == (1, "graded", row["score"]), (
            f"submission {pk}{context}"
        )


def wait_status(stack: Stack, pk: int, status: str, timeout: float = 30) -> None:
    stack.wait_for(
        lambda: rows(stack, [pk]).get(pk, {}).get("status") == status,
        timeout,
        f"submission {pk} to be {status}",
    )
