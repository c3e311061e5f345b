"""The same submission handed to two graders at once: one grades it, the other does nothing.
The claim (one conditional UPDATE) decides; the ledger's unique constraint backs it up."""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.production.faults import (
    QUEUE_LAB,
    SLOW_LAB,
    assert_graded_once,
    clean_outcome,
    describe,
    lab_files,
    rows,
    wait_finished,
)

pytestmark = pytest.mark.production

# Two processes get ready (Django set up, database reachable), then call the service at the
# same instant: the go file appears and both are polling for it.
RACE = """
import json, sys, time
from pathlib import Path
from labs import services
pk, name, go = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
(go.parent / ("ready-" + name)).touch()
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        raise SystemExit("no go signal")
    time.sleep(0.001)
submission = services.grade_submission(submission_id=pk, worker=name)
print(json.dumps(None if submission is None else submission.status))
"""

PUBLISH_TWICE = """
import sys
from labs.tasks import grade_submission
grade_submission.delay(int(sys.argv[1]))
grade_submission.delay(int(sys.argv[1]))
"""


def test_grade_submission_called_by_two_processes_at_once_grades_once(stack, learners, tmp_path):
    files = lab_files(SLOW_LAB)
    pk = learners.submit(SLOW_LAB, files)  # no worker runs: its message waits in Redis
    go = tmp_path / "go"
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(stack.django, RACE, str(pk), name, str(go)) for name in ("a", "b")]
        stack.wait_for(
            lambda: all((tmp_path / f"ready-{n}").exists() for n in "ab"),
            60,
            "both graders to be ready",
        )
        go.touch()
        outcomes = {
            name: json.loads(run.result().splitlines()[-1])
            for name, run in zip("ab", runs, strict=True)
        }
    expected = clean_outcome(SLOW_LAB, files)

    assert Counter(outcomes.values()) == Counter({"graded": 1, None: 1}), outcomes
    winner = next(name for name, status in outcomes.items() if status == "graded")
    row = rows(stack, [pk])[pk]
    assert (row["attempts"], row["worker"]) == (1, winner), describe(stack, [pk])
    assert_graded_once(stack, {pk: expected})


def test_task_delivered_three_times_to_two_workers_grades_once(stack, learners):
    files = lab_files(QUEUE_LAB, "starter")
    pk = learners.submit(QUEUE_LAB, files)
    stack.django(PUBLISH_TWICE, str(pk))  # three messages for one submission
    workers = [stack.start_worker("d1"), stack.start_worker("d2")]
    expected = clean_outcome(QUEUE_LAB, files)

    wait_finished(stack, [pk])
    # Every copy is delivered; all but the one that claimed the row do nothing.
    skipped = f"submission {pk}: nothing recorded by this delivery"
    stack.wait_for(
        lambda: sum(w.log_path.read_text().count(skipped) for w in workers) >= 2,
        30,
        "the two other copies to be delivered",
    )
    row = rows(stack, [pk])[pk]
    assert row["attempts"] == 1, describe(stack, [pk])
    assert row["worker"] in {w.hostname for w in workers}
    assert_graded_once(stack, {pk: expected})
