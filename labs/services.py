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
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils import timezone

from courses.models import Lesson
from labs.models import Lab, Submission
from labs.submission_files import InvalidFiles, validate_files

logger = logging.getLogger(__name__)

# Runs count too: each one costs a sandbox. Six a minute is a fast edit-run loop for a
# person and a hard stop for a script.
RATE_LIMIT = 6
RATE_WINDOW = timedelta(seconds=60)
HISTORY_LENGTH = 20
# A submission still queued or running after this long lost its task (a worker died or the
# broker dropped the message); "Re-grade all" picks it up again.
STALE_AFTER = timedelta(minutes=10)


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
    from labs.tasks import grade_submission as task

    for pk in submission_ids:

        def send(pk: int = pk) -> None:
            task.delay(pk)

        # robust: a broker outage must not turn a stored submission into a 500; the row
        # stays "queued" and the error is logged.
        transaction.on_commit(send, robust=True)


@transaction.atomic
def regrade_lab(*, lab: Lab) -> int:
    """Queue every finished graded-kind submission of `lab` for grading again (after its
    checks changed), and any stuck in the queue or mid-run for longer than STALE_AFTER.
    Previous results stay visible until the new ones land.

    Side effects: status -> queued on those rows; one task message per row after commit.
    Returns how many were queued."""
    stale = timezone.now() - STALE_AFTER
    rows = Submission.objects.filter(lab=lab, kind=Submission.Kind.SUBMIT).filter(
        Q(status__in=Submission.FINISHED)
        | Q(status=Submission.Status.QUEUED, created__lt=stale)
        | Q(status=Submission.Status.RUNNING, started__lt=stale)
    )
    ids = list(rows.values_list("pk", flat=True))
    # The update repeats the conditions, so a row a worker claimed since the read above stays
    # "running" and is not queued a second time.
    rows.filter(pk__in=ids).update(status=Submission.Status.QUEUED)
    queued = list(
        Submission.objects.filter(pk__in=ids, status=Submission.Status.QUEUED).values_list(
            "pk", flat=True
        )
    )
    _queue(queued)
    return len(queued)


# --- grading ------------------------------------------------------------------------------


def grade_submission(*, submission_id: int) -> Submission | None:
    """Run or grade one queued submission in the sandbox and store the result.

    Only the worker that moves the row from queued to running does the work, so a task
    delivered twice grades once; a finished submission is left alone (returns None).
    Side effects: the row's status, timestamps, attempts, score and result."""
    claimed = Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
        status=Submission.Status.RUNNING, started=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    submission = Submission.objects.select_related("lab").get(pk=submission_id)
    result = _run_engine(submission)
    if _status_of(result) == Submission.Status.ERROR and submission.score is not None:
        # A re-grade that failed in our machinery must not take away a grade the learner
        # already has: the previous result stays; re-grading again retries.
        logger.error(
            "re-grade of submission %s failed (%s); its previous grade is kept",
            submission_id,
            result.get("reason") or result.get("status"),
        )
        Submission.objects.filter(pk=submission_id).update(
            status=Submission.Status.GRADED, finished=timezone.now()
        )
        submission.refresh_from_db()
        return submission
    submission.result = result
    submission.status = _status_of(result)
    graded = submission.kind == Submission.Kind.SUBMIT and submission.status == "graded"
    submission.score = _decimal(result.get("score")) if graded else None
    submission.max_score = _decimal(result.get("max_score")) if graded else None
    submission.checks_digest = _checks_digest(submission.lab)
    submission.finished = timezone.now()
    submission.save(
        update_fields=["result", "status", "score", "max_score", "checks_digest", "finished"]
    )
    return submission


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
