"""Two grading machines: workers started separately (each its own sandbox server and
zygotes) share one Redis and one PostgreSQL and split a burst between them."""

from pathlib import Path

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


def test_two_machines_split_a_burst_and_grade_each_submission_once(stack, learners):
    machines = [stack.start_worker("m1"), stack.start_worker("m2")]
    sets = [
        (QUEUE_LAB, lab_files(QUEUE_LAB)),
        (QUEUE_LAB, lab_files(QUEUE_LAB, "starter")),
        (SLOW_LAB, lab_files(SLOW_LAB)),
        (SLOW_LAB, lab_files(SLOW_LAB, "starter")),
    ]
    submitted = {learners.submit(lab, files): (lab, files) for lab, files in sets * 3}
    ids = list(submitted)
    expected = {pk: clean_outcome(lab, files) for pk, (lab, files) in submitted.items()}

    wait_finished(stack, ids)
    assert_graded_once(stack, expected)
    graders = {row["worker"] for row in rows(stack, ids).values()}
    assert graders == {m.hostname for m in machines}, describe(stack, ids)
    # Each machine grades in a sandbox server (and its zygotes) of its own process tree.
    assert all(_sandbox_processes(m) for m in machines)


def _sandbox_processes(worker) -> list[int]:
    found = []
    for pid in worker.tree_pids():
        try:
            if b"labs.sandbox.server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:  # gone since the tree was read
            continue
    return found
