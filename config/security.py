"""Response hardening that Django 5.2 lacks: a Content-Security-Policy, a Permissions-Policy,
and a 503 (not a 500) while the database or the Redis cache is unreachable.

Django's SecurityMiddleware and XFrameOptionsMiddleware already send nosniff,
Referrer-Policy, Cross-Origin-Opener-Policy and X-Frame-Options (settings.py).
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Every script and stylesheet is a file under static/ (templates carry no inline <script>,
# <style>, style="" or on*= handlers, and the JavaScript sets no inline styles), so nothing
# needs 'unsafe-inline': injected markup cannot run script or restyle the page. Lesson HTML
# never embeds images (note_rendering turns them into placeholders), and every fetch() is
# to this site. frame-ancestors repeats X-Frame-Options for browsers that prefer CSP.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# No page needs a device or sensor API; denying them also denies them to anything injected.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


UNAVAILABLE = "Coldstart cannot reach its storage for a moment; nothing was saved. Try again."
RETRY_AFTER_SECONDS = 5
# The database (PostgreSQL down, restarting, refusing connections; SQLite locked) and the
# Redis cache that holds sessions and sign-in counters in production.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


class StorageUnavailableMiddleware:
    """A view that cannot reach the database or the cache answers 503 with Retry-After, so
    clients and proxies know to retry (and monitoring can tell an outage from a bug); JSON
    clients such as the exam autosave (static/js/exam.js) get {"error": ...} to show."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UNAVAILABLE_ERRORS):
            return None
        logger.error(
            "storage unavailable: %s %s answered 503",
            request.method,
            request.path,
            exc_info=exception,
        )
        if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
            response = JsonResponse({"error": UNAVAILABLE}, status=503)
        else:
            # Rendered without the request: its context processors would ask the database
            # for the user, which is the thing that is down.
            response = HttpResponse(
                render_to_string("503.html", {"message": UNAVAILABLE}), status=503
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
