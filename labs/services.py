"""Lab services: fetching labs and submissions for a user, submitting, grading, gradebooks.

Views, Celery tasks and management commands all go through these functions; the sandbox
(labs.sandbox.engine, no Django) is called from `grade_submission` only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils import timezone

from courses.models import Lesson
from labs.models import GradingResult, Lab, Submission
from labs.submission_files import InvalidFiles, validate_files

logger = logging.getLogger(__name__)

# Runs count too: each one costs a sandbox. Six a minute is a fast edit-run loop for a
# person and a hard stop for a script.
RATE_LIMIT = 6
RATE_WINDOW = timedelta(seconds=60)
HISTORY_LENGTH = 20
# A submission stored without its task message reaching the broker (the broker was down,
# or the web process died between commit and publish) is sent by the sweeper after this
# long; the grace keeps the sweeper from racing the web process's own on-commit send.
NEVER_SENT_GRACE_SECONDS = 5


class SubmissionRefused(Exception):
    """A submission that is not stored; `field` names the bad part of the request."""

    status_code = 400

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


class RateLimited(SubmissionRefused):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            "rate", f"You can submit again in {retry_after} {unit} (at most {RATE_LIMIT} a minute)."
        )


# --- fetching ------------------------------------------------------------------------------


def get_lab_for_user(*, user: User, slug: str) -> Lab:
    """The one way views fetch a lab: every signed-in user may open every active lab."""
    if not user.is_authenticated:
        raise Http404("No lab")
    try:
        return Lab.objects.get(slug=slug, is_active=True)
    except Lab.DoesNotExist:
        raise Http404("No such lab") from None


def get_lab_for_instructor(*, slug: str) -> Lab:
    """Instructors also reach deactivated labs, whose gradebooks stay readable."""
    try:
        return Lab.objects.get(slug=slug)
    except Lab.DoesNotExist:
        raise Http404("No such lab") from None


def get_submission_for_user(*, user: User, pk: int) -> Submission:
    """The one way views fetch a submission: only its author sees it; for anyone else it
    does not exist (404, not 403, so ids reveal nothing)."""
    if not user.is_authenticated:
        raise Http404("No submission")
    try:
        return Submission.objects.select_related("lab").get(pk=pk, user=user)
    except Submission.DoesNotExist:
        raise Http404("No such submission") from None


def lab_list(*, user: User) -> list[Lab]:
    """Active labs with their lessons and the user's best graded score (`best_score`,
    `best_max_score`), in two queries."""
    best = Submission.objects.filter(
        lab=OuterRef("pk"), user=user, kind=Submission.Kind.SUBMIT, score__isnull=False
    ).order_by("-score", "-created")
    return list(
        Lab.objects.filter(is_active=True)
        .defer("instructions_html", "starter_files")
        .annotate(
            best_score=Subquery(best.values("score")[:1]),
            best_max_score=Subquery(best.values("max_score")[:1]),
        )
        .prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.only("id", "slug", "title", "order"))
        )
    )


def lab_history(*, user: User, lab: Lab) -> list[Submission]:
    """The user's latest submissions of a lab, newest first, without their files and
    results (the list shows status and score; each links to its page)."""
    return list(
        Submission.objects.filter(user=user, lab=lab).defer("files", "result")[:HISTORY_LENGTH]
    )


def editor_files(*, user: User, lab: Lab, from_submission: int | None = None) -> dict[str, str]:
    """What the editor opens with: a chosen past submission of the user's, else their latest
    one (so code is never lost between visits), else the starter files."""
    if from_submission is not None:
        submission = get_submission_for_user(user=user, pk=from_submission)
        if submission.lab_id != lab.pk:
            raise Http404("That submission belongs to another lab")
        return submission.files
    latest = (
        Submission.objects.filter(user=user, lab=lab).only("files").order_by("-created").first()
    )
    return latest.files if latest else lab.starter_files


# --- submitting -------------------------------------------------------------------------------


def create_submission(*, user: User, lab: Lab, files: object, kind: str) -> Submission:
    """Validate and store a submission, then queue its grading after the commit.

    Side effects: one Submission row; one Celery task message (`labs.tasks.grade_submission`)
    once the transaction commits. Raises SubmissionRefused (bad payload) or RateLimited.
    """
    if kind not in Submission.Kind.values:
        raise SubmissionRefused("kind", f"kind must be 'run' or 'submit', not {kind!r}")
    if not lab.is_active:
        raise SubmissionRefused("lab", "this lab has been retired and takes no submissions")
    try:
        files = validate_files(files)
    except InvalidFiles as exc:
        raise SubmissionRefused(exc.field, exc.message) from None
    with transaction.atomic():
        # Lock the learner's row so two requests at once (two tabs, two web processes)
        # count each other; on SQLite the IMMEDIATE transaction already serialises writers.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        _check_rate(user=user, now=timezone.now())
        submission = Submission(user=user, lab=lab, kind=kind, files=files)
        submission.full_clean()
        submission.save()
        _queue([submission.pk])
    return submission


def _check_rate(*, user: User, now: datetime) -> None:
    recent = list(
        Submission.objects.filter(user=user, created__gt=now - RATE_WINDOW)
        .order_by("-created")
        .values_list("created", flat=True)[:RATE_LIMIT]
    )
    if len(recent) >= RATE_LIMIT:
        # A slot opens when the RATE_LIMIT-th newest submission leaves the window.
        wait = (recent[-1] + RATE_WINDOW - now).total_seconds()
        raise RateLimited(max(1, math.ceil(wait)))


def _queue(submission_ids: list[int]) -> None:
    """Send each submission's grading task once the current transaction commits."""
    for pk in submission_ids:
        # robust: a broker outage must not turn a stored submission into a 500. The row
        # stays queued with no sent_at, and the sweeper sends it when the broker is back.
        # (A named function, not a partial: Django logs a failed robust callback by its
        # __qualname__.)
        def send(pk: int = pk) -> None:
            send_grading_task(pk)

        transaction.on_commit(send, robust=True)


def send_grading_task(submission_id: int) -> None:
    """Publish one grading task and note when it reached the broker. Raises whatever the
    broker client raises (the publish retry policy in settings bounds how long it tries)."""
    from labs.tasks import grade_submission as task

    task.delay(submission_id)
    Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
        sent_at=timezone.now()
    )


@transaction.atomic
def regrade_lab(*, lab: Lab) -> int:
    """Queue every finished submit of `lab` for a new grading round (after its checks
    changed). Previous results stay visible until the new ones land; submissions still
    waiting or running are the sweeper's business, not this one's.

    Side effects: round + 1, attempts 0, status -> queued on those rows; one task message
    per row after commit. Returns how many were queued."""
    rows = Submission.objects.filter(
        lab=lab, kind=Submission.Kind.SUBMIT, status__in=Submission.FINISHED
    )
    ids = list(rows.values_list("pk", flat=True))
    # The update repeats the conditions, so a row whose state changed since the read above
    # is left alone.
    rows.filter(pk__in=ids).update(
        status=Submission.Status.QUEUED, round=F("round") + 1, attempts=0, sent_at=None
    )
    queued = list(
        Submission.objects.filter(pk__in=ids, status=Submission.Status.QUEUED).values_list(
            "pk", flat=True
        )
    )
    _queue(queued)
    return len(queued)


# --- grading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A worker's right to grade one submission until `expires` (see claim_submission)."""

    submission_id: int
    token: uuid.UUID
    round: int
    attempt: int
    worker: str
    expires: datetime


def _grading(name: str) -> int:
    return int(settings.COLDSTART_GRADING[name])


def claim_submission(*, submission_id: int, worker: str = "") -> Claim | None:
    """Take a queued submission for grading: queued -> running with a fresh lease.

    One conditional UPDATE, so of two workers handed the same task (a duplicate delivery,
    a re-send) exactly one gets the claim; a row that is running elsewhere or finished is
    not claimed (None)."""
    now = timezone.now()
    token = uuid.uuid4()
    expires = now + timedelta(seconds=_grading("lease_seconds"))
    claimed = Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
        status=Submission.Status.RUNNING,
        started=now,
        attempts=F("attempts") + 1,
        lease_token=token,
        lease_expires=expires,
        worker=worker[:200],
    )
    if not claimed:
        return None
    round_, attempt = Submission.objects.filter(pk=submission_id).values_list("round", "attempts")[
        0
    ]
    return Claim(submission_id, token, round_, attempt, worker, expires)


def grade_submission(*, submission_id: int, worker: str = "") -> Submission | None:
    """Claim, run or grade one queued submission in the sandbox, and record the outcome.

    Returns None when there was nothing to do (not queued: another worker has it, or it is
    finished) or when the lease was lost before the result could be recorded. A grader
    error (our machinery, not the learner's code) is retried: the row goes back to the
    queue until MAX_ATTEMPTS claims have failed, then it ends as ERROR."""
    claim = claim_submission(submission_id=submission_id, worker=worker)
    if claim is None:
        return None
    submission = Submission.objects.select_related("lab").get(pk=submission_id)
    result = _run_engine(submission)
    if _status_of(result) == Submission.Status.ERROR and claim.attempt < _grading("max_attempts"):
        logger.warning(
            "grading submission %s failed on attempt %s (%s); queued again",
            submission_id,
            claim.attempt,
            result.get("reason"),
        )
        if _release(claim):
            _queue([submission_id])
        return None
    if _status_of(result) == Submission.Status.ERROR:
        result = failed_result(result.get("reason") or "", attempts=claim.attempt)
    return record_result(claim=claim, result=result)


def _release(claim: Claim) -> bool:
    """Give a claimed submission back to the queue (only while our lease holds)."""
    with transaction.atomic():
        return bool(
            Submission.objects.filter(
                pk=claim.submission_id,
                status=Submission.Status.RUNNING,
                lease_token=claim.token,
            ).update(status=Submission.Status.QUEUED, lease_token=None, lease_expires=None)
        )


class LeaseLost(Exception):
    """Raised inside record_result's transaction to undo the ledger row."""


def record_result(*, claim: Claim, result: dict) -> Submission | None:
    """Store the outcome of a claim, exactly once.

    In one transaction: a GradingResult row for (submission, round) — the unique constraint
    refuses a second one — and the submission's update from running to its final status,
    conditional on our lease token. If either fails (the lease expired and someone else
    took the row, or a result for this round already exists) nothing is written and None is
    returned. A failed re-grade keeps the learner's previous grade on the submission; the
    failure is still in the ledger."""
    status = _status_of(result)
    graded = status == Submission.Status.GRADED
    now = timezone.now()
    try:
        with transaction.atomic():
            submission = (
                Submission.objects.select_for_update()
                .select_related("lab")
                .get(pk=claim.submission_id)
            )
            if submission.status != Submission.Status.RUNNING or (
                submission.lease_token != claim.token
            ):
                raise LeaseLost
            score = _decimal(result.get("score")) if graded else None
            max_score = _decimal(result.get("max_score")) if graded else None
            if submission.kind == Submission.Kind.RUN:
                score = max_score = None
            GradingResult.objects.create(
                submission=submission,
                round=claim.round,
                attempt=claim.attempt,
                status=status,
                score=score,
                max_score=max_score,
                result=result,
                worker=claim.worker[:200],
            )
            submission.lease_token = None
            submission.lease_expires = None
            submission.finished = now
            if status == Submission.Status.ERROR and submission.score is not None:
                # A re-grade that failed in our machinery must not take away a grade the
                # learner already has: the previous result stays on the submission.
                logger.error(
                    "re-grade of submission %s failed (%s); its previous grade is kept",
                    submission.pk,
                    result.get("reason"),
                )
                submission.status = Submission.Status.GRADED
            else:
                submission.status = status
                submission.result = result
                submission.score = score
                submission.max_score = max_score
                submission.checks_digest = _checks_digest(submission.lab)
            submission.save(
                update_fields=[
                    "status",
                    "result",
                    "score",
                    "max_score",
                    "checks_digest",
                    "finished",
                    "lease_token",
                    "lease_expires",
                ]
            )
    except (LeaseLost, IntegrityError):
        logger.warning(
            "submission %s: result of attempt %s not recorded (lease lost or already recorded)",
            claim.submission_id,
            claim.attempt,
        )
        return None
    return submission


def failed_result(reason: str, *, attempts: int) -> dict:
    """The result contract of a submission our machinery failed to grade MAX_ATTEMPTS times."""
    detail = f" Last error: {reason}" if reason else ""
    return {
        "status": "error",
        "gradable": True,
        "reason": (
            f"Grading failed {attempts} times in our grading system. This is not your score "
            f"and says nothing about your code; submit again, or ask an instructor.{detail}"
        ),
        "score": 0,
        "max_score": 0,
        "checks": [],
        "output": "",
        "inventory": {},
        "timings": {},
    }


@dataclass(frozen=True)
class SweepReport:
    requeued: list[int]
    failed: list[int]
    resent: list[int]


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Repair what crashes and broker outages leave behind; run by beat every few seconds.

    1. Running rows whose lease expired (the worker died, was killed, or hung past its time
       limit): back to queued and re-sent, or, after MAX_ATTEMPTS claims, finished as ERROR
       with a ledger row. Each row is handled under a row lock with skip_locked, so two
       sweepers never handle the same row.
    2. Queued rows whose message never reached the broker (sent_at empty for a few seconds:
       the broker was down at submit) or reached it long ago without being claimed (the
       broker lost it, e.g. Redis restarted without persistence): re-sent. A re-send of a
       message that still exists only makes a duplicate, and the claim lets one through.
    Side effects: status, lease and sent_at updates; ledger rows for failures; task messages.
    """
    now = now or timezone.now()
    requeued, failed = [], []
    expired = Submission.objects.filter(status=Submission.Status.RUNNING, lease_expires__lt=now)
    for pk in list(expired.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            row = (
                Submission.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Submission.Status.RUNNING, lease_expires__lt=now)
                .values("attempts", "round", "lease_token", "worker")
                .first()
            )
            if row is None:
                continue
            if row["attempts"] >= _grading("max_attempts"):
                claim = Claim(
                    pk, row["lease_token"], row["round"], row["attempts"], row["worker"], now
                )
                reason = (
                    f"a grading worker stopped responding {row['attempts']} times "
                    "(killed, crashed or out of time)"
                )
                if record_result(
                    claim=claim, result=failed_result(reason, attempts=row["attempts"])
                ):
                    failed.append(pk)
                continue
            Submission.objects.filter(pk=pk).update(
                status=Submission.Status.QUEUED, lease_token=None, lease_expires=None
            )
            requeued.append(pk)
    _queue(requeued)  # outside any transaction: on_commit runs at once
    unsent_before = now - timedelta(seconds=NEVER_SENT_GRACE_SECONDS)
    resend_before = now - timedelta(seconds=_grading("resend_seconds"))
    waiting = Submission.objects.filter(status=Submission.Status.QUEUED).filter(
        Q(sent_at__isnull=True, created__lt=unsent_before) | Q(sent_at__lt=resend_before)
    )
    resent = []
    for pk in waiting.values_list("pk", flat=True)[:1000]:
        if pk in requeued:
            continue
        try:
            send_grading_task(pk)
        except Exception:  # broker still down: the next sweep tries again
            logger.warning("could not re-send submission %s; broker unavailable?", pk)
            break
        resent.append(pk)
    return SweepReport(requeued=requeued, failed=failed, resent=resent)


def lab_dir(lab: Lab) -> Path:
    return Path(settings.CONTENT_DIR) / lab.source_path


def _checks_digest(lab: Lab) -> str:
    # The checks on disk are what the sandbox just ran, even if nobody re-imported yet.
    try:
        return hashlib.sha256((lab_dir(lab) / "checks.py").read_bytes()).hexdigest()
    except OSError:
        return ""


def _run_engine(submission: Submission) -> dict:
    from labs.sandbox import engine

    try:
        if submission.kind == Submission.Kind.SUBMIT:
            return engine.grade(lab_dir(submission.lab), submission.files)
        return engine.run(submission.files, lab_dir=lab_dir(submission.lab))
    except Exception as exc:  # our machinery failed: record it, never a silent zero
        logger.exception("sandbox failed on submission %s", submission.pk)
        return {
            "status": "error",
            "gradable": True,
            "reason": f"The grader failed ({type(exc).__name__}); this is our fault, not "
            "your code's. Try again in a minute.",
            "score": 0,
            "max_score": 0,
            "checks": [],
            "output": "",
            "inventory": {},
            "timings": {},
        }


def _status_of(result: dict) -> str:
    if result.get("status") == "error":
        return Submission.Status.ERROR
    if result.get("gradable") is False or result.get("status") == "ungradable":
        return Submission.Status.UNGRADABLE
    return Submission.Status.GRADED


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --- gradebook ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradebookRow:
    username: str
    best_score: Decimal | None
    latest_score: Decimal | None
    max_score: Decimal | None
    submissions: int
    last_submitted: datetime


def gradebook(*, lab: Lab) -> list[GradebookRow]:
    """Per learner who submitted (runs do not count): best and latest graded score, the
    latest's maximum, the number of submissions and the last one's time. One query."""
    submits = Submission.objects.filter(lab=lab, kind=Submission.Kind.SUBMIT)
    latest = submits.filter(user=OuterRef("user"), score__isnull=False).order_by("-created", "-id")
    rows = (
        submits.values("user", "user__username")
        .annotate(
            best=Max("score"),
            count=Count("id"),
            last=Max("created"),
            latest=Subquery(latest.values("score")[:1]),
            latest_max=Subquery(latest.values("max_score")[:1]),
        )
        .order_by("user__username")
    )
    return [
        GradebookRow(
            username=r["user__username"],
            best_score=r["best"],
            latest_score=r["latest"],
            max_score=r["latest_max"],
            submissions=r["count"],
            last_submitted=r["last"],
        )
        for r in rows
    ]


def _cell(value: object) -> str:
    if isinstance(value, Decimal):
        # Databases return 3, 3.0 or 3.00 for the same score; the CSV says 3 (and 2.5).
        value = format(value.normalize(), "f")
    text = "" if value is None else str(value)
    # A cell starting with these is a formula to a spreadsheet; usernames may start with
    # '+', '-' or '@'.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def gradebook_csv(*, lab: Lab) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["learner", "best_score", "latest_score", "max_score", "submissions", "last_submitted"]
    )
    for row in gradebook(lab=lab):
        writer.writerow(
            [
                _cell(row.username),
                _cell(row.best_score),
                _cell(row.latest_score),
                _cell(row.max_score),
                row.submissions,
                row.last_submitted.isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue()
