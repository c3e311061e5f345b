"""Background work for labs: grading a submission in the sandbox off the web request."""

import logging

from celery import shared_task

from labs import services

logger = logging.getLogger(__name__)


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
