"""Deployment checks (`manage.py check --deploy`): settings that each work alone but do not
fit a production deployment together. Production means a PostgreSQL DATABASE_URL: the
embedded default (SQLite) is one machine by design and needs none of this.

The IDs are stable (coldstart.W001...) so a deliberate exception can be silenced by name.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register


def _production() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@register(Tags.security, Tags.caches, deploy=True)
def check_production_settings(app_configs, **kwargs) -> list[Warning]:
    if not _production():
        return []
    problems = []
    if not settings.CACHE_IS_REDIS:
        problems.append(
            Warning(
                "DATABASE_URL is PostgreSQL but CACHE_URL is not Redis: the cache is a "
                "database table, whose counters are not atomic on PostgreSQL, so concurrent "
                "sign-in attempts can slip past the throttle.",
                hint="Set CACHE_URL=redis://host:6379/1, shared by every web machine.",
                id="coldstart.W001",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        problems.append(
            Warning(
                "DATABASE_URL is PostgreSQL but CELERY_BROKER_URL is the filesystem transport: "
                "its queue is a folder on this machine, invisible to workers elsewhere.",
                hint="Set CELERY_BROKER_URL=redis://host:6379/0 on web and worker machines.",
                id="coldstart.W002",
            )
        )
    if settings.SECRET_KEY_GENERATED:
        problems.append(
            Warning(
                "DJANGO_SECRET_KEY is not set: this machine signs sessions and CSRF tokens "
                "with its own generated key, which other web machines do not share.",
                hint="Set the same DJANGO_SECRET_KEY (50+ random characters) on every machine.",
                id="coldstart.W003",
            )
        )
    if not settings.SECURE:
        problems.append(
            Warning(
                "DJANGO_SECURE is off: session and CSRF cookies may travel over plain HTTP "
                "and browsers are not told to insist on HTTPS.",
                hint="Serve HTTPS (a TLS proxy is fine) and set DJANGO_SECURE=1.",
                id="coldstart.W004",
            )
        )
    if not settings.STATIC_MANIFEST:
        problems.append(
            Warning(
                "COLDSTART_STATIC_MANIFEST is off: static files are served under unversioned "
                "names, so browsers cannot cache them long and may keep stale ones after an "
                "upgrade.",
                hint="Run `manage.py collectstatic` and set COLDSTART_STATIC_MANIFEST=1.",
                id="coldstart.W005",
            )
        )
    return problems
