"""Background work for quizzes: closing exam attempts whose learners walked away."""

import logging

from celery import shared_task

from quizzes import exams

logger = logging.getLogger(__name__)


@shared_task
def close_expired_attempts() -> int:
    """Run by Celery beat every minute; closing on access covers learners who come back
    sooner, this covers those who never do (so results and reports are complete)."""
    closed = exams.close_expired_attempts()
    if closed:
        logger.info("closed %s expired exam attempt(s)", closed)
    return closed
