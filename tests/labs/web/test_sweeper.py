"""The grading lease, the exactly-once ledger and the sweeper, on the test database.

The fault-injection tests in tests/production/ drive the same code with real workers being
killed; these pin each rule on its own, with exact rows."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from labs import services
from labs.models import GradingResult, Submission
from labs.tasks import grade_submission as grade_task

from .conftest import lab_files

STARTER = lab_files("starter")
SOLUTION = lab_files("solution")


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Record task messages instead of publishing them."""
    messages: list[int] = []
    monkeypatch.setattr(grade_task, "delay", messages.append)
    return messages


@pytest.fixture
def knobs(settings):
    settings.COLDSTART_GRADING = {
        "time_limit": 20,
        "lease_seconds": 30,
        "max_attempts": 3,
        "resend_seconds": 60,
    }


def stored(learner, lab, files=None) -> Submission:
    return Submission.objects.create(user=learner, lab=lab, kind="submit", files=files or STARTER)


def running(learner, lab, *, attempts: int, expired_for: float) -> Submission:
    submission = stored(learner, lab)
    Submission.objects.filter(pk=submission.pk).update(
        status="running",
        attempts=attempts,
        lease_token=uuid.uuid4(),
        lease_expires=timezone.now() - timedelta(seconds=expired_for),
        worker="w1@dead-host",
    )
    return submission


def test_a_claim_takes_a_queued_row_once_with_a_lease(queue_lab, learner, knobs):
    submission = stored(learner, queue_lab)
    before = timezone.now()
    claim = services.claim_submission(submission_id=submission.pk, worker="w1@host")
    assert claim is not None
    assert (claim.round, claim.attempt, claim.worker) == (1, 1, "w1@host")
    assert services.claim_submission(submission_id=submission.pk, worker="w2@host") is None
    submission.refresh_from_db()
    assert (submission.status, submission.worker, submission.lease_token) == (
        "running",
        "w1@host",
        claim.token,
    )
    assert timedelta(seconds=30) <= submission.lease_expires - before < timedelta(seconds=31)


def test_the_database_refuses_a_running_row_without_a_lease(queue_lab, learner):
    submission = stored(learner, queue_lab)
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(
            lease_token=uuid.uuid4(), lease_expires=timezone.now()
        )


def test_the_database_refuses_a_second_result_for_the_same_round(queue_lab, learner):
    submission = stored(learner, queue_lab)
    GradingResult.objects.create(
        submission=submission, round=1, attempt=1, status="graded", result={}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        GradingResult.objects.create(
            submission=submission, round=1, attempt=2, status="graded", result={}
        )
    GradingResult.objects.create(
        submission=submission, round=2, attempt=1, status="error", result={}
    )
    assert list(submission.results.values_list("round", "status")) == [
        (1, "graded"),
        (2, "error"),
    ]


def test_a_result_is_recorded_only_by_the_lease_holder(queue_lab, learner, knobs):
    submission = stored(learner, queue_lab)
    first = services.claim_submission(submission_id=submission.pk, worker="w1@host")
    result = {"status": "graded", "gradable": True, "score": 3, "max_score": 3, "checks": []}
    # The lease expired and another worker took the row over: the first one's late result
    # is dropped, the second one's is the one result.
    Submission.objects.filter(pk=submission.pk).update(
        status="queued", lease_token=None, lease_expires=None
    )
    second = services.claim_submission(submission_id=submission.pk, worker="w2@host")
    assert services.record_result(claim=first, result=result) is None
    recorded = services.record_result(claim=second, result={**result, "score": 2})
    assert (recorded.status, recorded.score, recorded.attempts, recorded.lease_token) == (
        "graded",
        2,
        2,
        None,
    )
    assert list(submission.results.values_list("attempt", "score", "worker")) == [(2, 2, "w2@host")]
    # Recording the same claim again changes nothing (the row is no longer running).
    assert services.record_result(claim=second, result=result) is None
    assert submission.results.count() == 1


def test_a_delivery_for_a_finished_submission_does_nothing(queue_lab, learner, knobs):
    submission = stored(learner, queue_lab)
    Submission.objects.filter(pk=submission.pk).update(status="graded", score=3, max_score=3)
    assert services.grade_submission(submission_id=submission.pk, worker="w1@host") is None
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.attempts) == ("graded", 3, 0)
    assert submission.results.count() == 0


def test_sweep_requeues_expired_leases_and_fails_the_third(
    queue_lab, learner, knobs, sent, django_capture_on_commit_callbacks
):
    first_try = running(learner, queue_lab, attempts=1, expired_for=1)
    second_try = running(learner, queue_lab, attempts=2, expired_for=100)
    third_try = running(learner, queue_lab, attempts=3, expired_for=1)
    alive = running(learner, queue_lab, attempts=1, expired_for=-20)  # lease still holds
    # The test runs inside a transaction; the beat task does not, and sends at once.
    with django_capture_on_commit_callbacks(execute=True):
        report = services.sweep()
    assert (sorted(report.requeued), report.failed, report.resent) == (
        sorted([first_try.pk, second_try.pk]),
        [third_try.pk],
        [],
    )
    assert sorted(sent) == sorted([first_try.pk, second_try.pk])
    rows = dict(Submission.objects.values_list("pk", "status"))
    assert rows == {
        first_try.pk: "queued",
        second_try.pk: "queued",
        third_try.pk: "error",
        alive.pk: "running",
    }
    failure = GradingResult.objects.get()
    assert (failure.submission_id, failure.round, failure.attempt, failure.status) == (
        third_try.pk,
        1,
        3,
        "error",
    )
    assert failure.result["reason"] == (
        "Grading failed 3 times in our grading system. This is not your score and says "
        "nothing about your code; submit again, or ask an instructor. Last error: a grading "
        "worker stopped responding 3 times (killed, crashed or out of time)"
    )
    third_try.refresh_from_db()
    assert (third_try.score, third_try.lease_token, third_try.result) == (
        None,
        None,
        failure.result,
    )
    # A second sweep finds nothing left to do.
    assert services.sweep() == services.SweepReport([], [], [])


def test_sweep_resends_what_the_broker_never_got_or_lost(queue_lab, learner, knobs, sent):
    now = timezone.now()
    never_sent = stored(learner, queue_lab)
    just_stored = stored(learner, queue_lab)
    lost = stored(learner, queue_lab)
    in_queue = stored(learner, queue_lab)
    Submission.objects.filter(pk=never_sent.pk).update(created=now - timedelta(seconds=6))
    Submission.objects.filter(pk=lost.pk).update(
        created=now - timedelta(minutes=5), sent_at=now - timedelta(seconds=61)
    )
    Submission.objects.filter(pk=in_queue.pk).update(
        created=now - timedelta(minutes=5), sent_at=now - timedelta(seconds=30)
    )
    report = services.sweep(now=now)
    assert (report.requeued, report.failed, sorted(report.resent)) == (
        [],
        [],
        sorted([never_sent.pk, lost.pk]),
    )
    assert sorted(sent) == sorted([never_sent.pk, lost.pk])
    sent_at = dict(Submission.objects.values_list("pk", "sent_at"))
    assert sent_at[never_sent.pk] > now and sent_at[lost.pk] > now
    assert sent_at[just_stored.pk] is None


def test_sweep_stops_resending_while_the_broker_is_down(queue_lab, learner, knobs, monkeypatch):
    calls = []

    def down(pk):
        calls.append(pk)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(grade_task, "delay", down)
    old = timezone.now() - timedelta(seconds=10)
    for _ in range(3):
        Submission.objects.filter(pk=stored(learner, queue_lab).pk).update(created=old)
    report = services.sweep()
    assert len(calls) == 1  # one failed publish ends this sweep; the next one tries again
    assert report.resent == []  # the report names only messages that reached the broker
    assert set(Submission.objects.values_list("status", "sent_at")) == {("queued", None)}


def test_broker_down_at_submit_stores_the_submission_unsent(
    client, queue_lab, learner, monkeypatch, django_capture_on_commit_callbacks
):
    def down(pk):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(grade_task, "delay", down)
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/labs/{queue_lab.slug}/api/submissions/",
            data={"kind": "submit", "files": SOLUTION},
            content_type="application/json",
        )
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert list(Submission.objects.values_list("status", "sent_at", "attempts")) == [
        ("queued", None, 0)
    ]


def test_a_grader_error_is_retried_then_recorded_once(
    queue_lab, learner, knobs, monkeypatch, django_capture_on_commit_callbacks
):
    outcomes = iter(
        [
            {"status": "error", "reason": "the sandbox failed: host died"},
            {"status": "graded", "gradable": True, "score": 3, "max_score": 3, "checks": []},
        ]
    )
    monkeypatch.setattr(services, "_run_engine", lambda submission: next(outcomes))
    resent = []
    monkeypatch.setattr(grade_task, "delay", resent.append)
    submission = stored(learner, queue_lab)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grade_submission(submission_id=submission.pk, worker="w1@h") is None
    assert resent == [submission.pk]
    submission.refresh_from_db()
    assert (submission.status, submission.attempts, submission.lease_token) == ("queued", 1, None)
    graded = services.grade_submission(submission_id=submission.pk, worker="w2@h")
    assert (graded.status, graded.score, graded.attempts, graded.worker) == ("graded", 3, 2, "w2@h")
    assert list(submission.results.values_list("attempt", "status")) == [(2, "graded")]
