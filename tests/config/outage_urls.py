"""The site's URLs plus views that fail the way an unreachable database or Redis makes
views fail."""

import redis
from django.db import InterfaceError, OperationalError
from django.urls import include, path


def database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def connection_closed(request):
    raise InterfaceError("connection already closed")


def cache_down(request):
    raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def bug(request):
    raise ValueError("a bug, not an outage")


urlpatterns = [
    path("outage/down/", database_down),
    path("outage/closed/", connection_closed),
    path("outage/cache/", cache_down),
    path("outage/bug/", bug),
    path("", include("config.urls")),
]
