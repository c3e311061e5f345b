"""Background work for labs: grading a submission in the sandbox off the web request."""

import logging

from celery import shared_task
from celery.signals import worker_process_init

from labs import services
from labs.sandbox import engine

logger = logging.getLogger(__name__)


@worker_process_init.connect
def start_sandbox(**_kwargs) -> None:
    """Boot this worker process's warm sandbox server (about a second: boto3, moto and the
    zygotes) when the process starts, so the first learner to submit does not wait for it.
    A failure here is logged only: the engine starts again on first use and reports any
    problem as a grading error there."""
    try:
        engine.get_engine().start()
    except Exception:
        logger.exception("could not pre-start the lab sandbox; it will start on first use")


@shared_task
def grade_submission(submission_id: int) -> str:
    submission = services.grade_submission(submission_id=submission_id)
    if submission is None:
        logger.info("submission %s was not queued; nothing to do", submission_id)
        return "skipped"
    logger.info(
        "submission %s: %s %s/%s",
        submission_id,
        submission.status,
        submission.score,
        submission.max_score,
    )
    return submission.status
