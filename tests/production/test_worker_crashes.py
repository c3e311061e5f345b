"""Workers dying under a submission: a pool process, a whole machine, and a poison submission
that kills whatever grades it. The lease expires, the sweeper re-queues, and the submission
is graded exactly once, or after MAX_ATTEMPTS claims ends as a grading failure."""

import pytest

from tests.production.faults import (
    MAX_ATTEMPTS,
    POISON_ERROR_LAB,
    POISON_KILL_LAB,
    QUEUE_LAB,
    SLOW_LAB,
    assert_graded_once,
    clean_outcome,
    describe,
    lab_files,
    ledger,
    rows,
    wait_finished,
    wait_status,
)

pytestmark = pytest.mark.production


def test_pool_process_killed_mid_grade_is_graded_once_after_its_lease(stack, learners):
    worker = stack.start_worker("k1")
    files = lab_files(SLOW_LAB)
    pk = learners.submit(SLOW_LAB, files)
    wait_status(stack, pk, "running")
    killed = worker.kill_child()
    expected = clean_outcome(SLOW_LAB, files)  # computed while the lease runs out

    wait_finished(stack, [pk])
    row = rows(stack, [pk])[pk]
    # Two claims: the one killed mid-grade, and the replacement pool process's after the
    # sweeper re-queued the expired lease.
    assert row["attempts"] == 2, describe(stack, [pk])
    assert row["worker"] == worker.hostname
    assert worker.alive()
    assert killed not in worker.pool_child_pids()
    assert_graded_once(stack, {pk: expected})


def test_worker_machine_killed_mid_grade_is_finished_by_another(stack, learners):
    first = stack.start_worker("w1")
    files = lab_files(SLOW_LAB, "starter")  # a partial score: 1 of 3
    pk = learners.submit(SLOW_LAB, files)
    wait_status(stack, pk, "running")
    assert rows(stack, [pk])[pk]["worker"] == first.hostname
    first.kill()  # main process, pool process and sandbox at once: the machine is gone

    second = stack.start_worker("w2")
    expected = clean_outcome(SLOW_LAB, files)
    wait_finished(stack, [pk])
    row = rows(stack, [pk])[pk]
    assert (row["attempts"], row["worker"]) == (2, second.hostname), describe(stack, [pk])
    assert_graded_once(stack, {pk: expected})


def test_poison_submissions_end_as_grading_failures_while_the_burst_is_graded(stack, learners):
    workers = [stack.start_worker("p1"), stack.start_worker("p2")]
    normal = [
        (QUEUE_LAB, lab_files(QUEUE_LAB)),
        (QUEUE_LAB, lab_files(QUEUE_LAB, "starter")),
        (SLOW_LAB, lab_files(SLOW_LAB)),
        (QUEUE_LAB, lab_files(QUEUE_LAB)),
    ]
    killer = learners.submit(POISON_KILL_LAB, lab_files(POISON_KILL_LAB))
    breaker = learners.submit(POISON_ERROR_LAB, lab_files(POISON_ERROR_LAB))
    submitted = {learners.submit(lab, files): (lab, files) for lab, files in normal}
    expected = {pk: clean_outcome(lab, files) for pk, (lab, files) in submitted.items()}

    # The killer costs three expired leases (8 s each) before the sweeper gives up on it.
    wait_finished(stack, [killer, breaker, *expected], timeout=120)
    assert_graded_once(stack, expected)
    found, results = rows(stack, [killer, breaker]), ledger(stack, [killer, breaker])
    context = f"\n{describe(stack, [killer, breaker])}\nledger: {results}"
    for pk in (killer, breaker):
        row = found[pk]
        assert (row["status"], row["attempts"], row["score"]) == ("error", MAX_ATTEMPTS, None), (
            context
        )
        assert row["result"]["reason"].startswith(f"Grading failed {MAX_ATTEMPTS} times"), context
        assert [(r["round"], r["attempt"], r["status"]) for r in results[pk]] == [
            (1, MAX_ATTEMPTS, "error")
        ], context
        status = learners.owner[pk].submission_status(pk)
        assert (status["status"], status["status_label"], status["score"]) == (
            "error",
            "Grading failed (not your score)",
            None,
        )
    # The killer took a pool process down with each claim; both machines are still up.
    assert all(worker.alive() for worker in workers)
