"""Background work for courses: re-importing content/ without blocking a web request."""

import logging

from celery import shared_task
from django.conf import settings

from courses.content_errors import ContentErrors
from courses.importer import import_content

logger = logging.getLogger(__name__)


@shared_task
def import_content_task() -> str:
    try:
        result = import_content(settings.CONTENT_DIR)
    except ContentErrors as exc:
        logger.error("content import failed:\n%s", exc)
        return f"failed: {len(exc.errors)} error(s)"
    logger.info("content import: %s", result.summary())
    return result.summary()
