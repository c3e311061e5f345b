"""Background work for labs: grading a submission in the sandbox off the web request."""

import logging

from celery import shared_task
from celery.signals import celeryd_init, worker_process_init

from labs import services
from labs.sandbox import engine

logger = logging.getLogger(__name__)

GRADING_QUEUE = "grading"  # settings.CELERY_TASK_ROUTES sends grade_submission there


# Whether this worker consumes the grading queue: set in the main worker process before it
# forks its pool, so every pool process inherits the answer. A maintenance-only worker
# (`-Q maintenance`, or no -Q: the default queue) never grades and keeps no sandbox.
_grades = {"labs": True}


@celeryd_init.connect
def note_worker_queues(options=None, **_kwargs) -> None:
    queues = (options or {}).get("queues") or []
    if isinstance(queues, str):
        queues = queues.split(",")
    _grades["labs"] = GRADING_QUEUE in {q.strip() for q in queues}


@worker_process_init.connect
def start_sandbox(**_kwargs) -> None:
    """Boot this worker process's warm sandbox server (about a second: boto3, moto and the
    zygotes) when the process starts, so the first learner to submit does not wait for it.
    A failure here is logged only: the engine starts again on first use and reports any
    problem as a grading error there."""
    if not _grades["labs"]:
        return
    try:
        engine.get_engine().start()
    except Exception:
        logger.exception("could not pre-start the lab sandbox; it will start on first use")


@shared_task(bind=True)
def grade_submission(self, submission_id: int) -> str:
    """Grade one submission. Safe to deliver twice, late or after a crash: the database
    row decides (services.grade_submission claims it or does nothing)."""
    submission = services.grade_submission(
        submission_id=submission_id, worker=self.request.hostname or ""
    )
    if submission is None:
        logger.info("submission %s: nothing recorded by this delivery", submission_id)
        return "skipped"
    logger.info(
        "submission %s: %s %s/%s",
        submission_id,
        submission.status,
        submission.score,
        submission.max_score,
    )
    return submission.status


@shared_task
def sweep_submissions() -> dict:
    """Run by beat every COLDSTART_SWEEP_SECONDS: re-queue submissions whose worker died,
    fail those that used up their attempts, re-send those the broker never got or lost."""
    report = services.sweep()
    if report.requeued or report.failed or report.resent:
        logger.warning(
            "sweep: re-queued %s, failed %s, re-sent %s",
            report.requeued,
            report.failed,
            report.resent,
        )
    return {
        "requeued": len(report.requeued),
        "failed": len(report.failed),
        "resent": len(report.resent),
    }
