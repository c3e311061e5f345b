"""Coldstart settings: every value comes from the environment (see .env.example).

The embedded default (no variables set) is SQLite under var/, the cache in a database table
and a Celery broker on the filesystem, so `make run` needs no server. Production sets
DATABASE_URL, CACHE_URL, CELERY_BROKER_URL, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and
DJANGO_SECURE (docs/DEPLOY.md); the code path is the same.
"""

import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from config.env import ConfigError, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("COLDSTART_VAR_DIR", str(BASE_DIR / "var")))
CONTENT_DIR = Path(env_str("COLDSTART_CONTENT_DIR", str(BASE_DIR / "content")))
# Content beside the notes that import_content also validates and loads (see
# courses.importer.ContentExtension).
COLDSTART_CONTENT_EXTENSIONS: list[str] = ["quizzes.content.QuizContent", "labs.content.LabContent"]
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise ConfigError("DJANGO_SECRET_KEY must be at least 32 characters long")
        return key
    # Embedded default: one random key per checkout, kept under var/ so sessions survive
    # restarts. Production always sets DJANGO_SECRET_KEY.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# A generated key is per machine: config/checks.py warns when production relies on one.
SECRET_KEY_GENERATED = not env_str("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "accounts",
    "courses",
    "quizzes",
    "labs",
    "config.apps.ColdstartConfig",  # deployment checks (config/checks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so static files carry the same policy headers as pages.
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it is the first to see an exception a view raised.
    "config.security.StorageUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'coldstart.sqlite3'}")
    try:
        config = dj_database_url.parse(
            url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
            # A persistent connection is pinged before a request reuses it, so after a
            # PostgreSQL restart each worker reconnects instead of failing one request.
            conn_health_checks=True,
        )
    except ConfigError:
        raise
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ConfigError(f"DATABASE_URL={url!r} cannot be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server read while the worker writes; IMMEDIATE transactions
        # avoid "database is locked" upgrades from read to write locks.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # The test database is a file, not SQLite's shared-cache in-memory database: in the
        # browser tests the live server reads while the test thread writes, which a
        # shared-cache database refuses with "table is locked"; WAL on a file lets both run.
        config["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The table behind the embedded default's cache (`manage.py createcachetable` makes it).
CACHE_TABLE = "coldstart_cache"


def _caches() -> dict:
    """CACHE_URL=redis://host:port/db in production: one cache every web process shares, so
    sign-in throttles hold across machines. Unset: a table in the database, shared by the
    processes of one machine (see accounts/login_throttle.py for why that is still exact)."""
    url = env_str("CACHE_URL", "")
    if not url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": CACHE_TABLE,
                # Django culls a third of the table past 300 entries, which would forget
                # live throttle counters; expired rows are still culled first.
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            }
        }
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"CACHE_URL={url!r} cannot be parsed: {exc}") from None
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ConfigError(
            f"CACHE_URL={url!r} is not a Redis URL; use redis://host:6379/1 (or rediss://), "
            "or leave it unset for the database cache"
        )
    if not re.fullmatch(r"/?\d*", parts.path):
        raise ConfigError(f"CACHE_URL={url!r}: the path must be a Redis database number (/1)")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "coldstart",
            # A dead Redis fails a request within seconds instead of hanging a web worker.
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 3},
        }
    }


CACHES = _caches()
CACHE_IS_REDIS = CACHES["default"]["BACKEND"].endswith("RedisCache")
if CACHE_IS_REDIS:
    # Sessions read from Redis and are written through to the database, so a Redis restart
    # signs nobody out, and a Redis outage only slows sessions down (config/sessions.py).
    SESSION_ENGINE = "config.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "courses:course"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the app directories too, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Production (`make serve-prod`) runs collectstatic and sets COLDSTART_STATIC_MANIFEST=1:
# files get content-hashed, compressed names that browsers may cache for a year. It is a
# switch of its own, not implied by DJANGO_SECURE, because manifest storage refuses to render
# any page until collectstatic has run; tests and `make run` keep the finders.
STATIC_MANIFEST = env_bool("COLDSTART_STATIC_MANIFEST", False)
if STATIC_MANIFEST:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # Serve exactly what collectstatic produced, never a stale or unhashed source file.
    WHITENOISE_USE_FINDERS = False

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy and Permissions-Policy: config/security.py.

# DJANGO_SECURE=1: the site is HTTPS-only. Cookies never travel over plain HTTP, plain HTTP
# is redirected, and browsers remember (HSTS) to use HTTPS for a year.
SECURE = env_bool("DJANGO_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading puts the domain into browsers' built-in HTTPS-only list, which takes months to
# undo, so it is opt-in; Django's deploy warning about it is silenced while it is off.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]


def _proxy_ssl_header() -> tuple[str, str] | None:
    """DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https": behind a TLS-terminating
    proxy, a request is HTTPS when the proxy sets this header to this value. Set it only if
    the proxy always overwrites the header, or clients could claim HTTPS."""
    raw = env_str("DJANGO_SECURE_PROXY_SSL_HEADER", "")
    if not raw:
        return None
    name, sep, value = raw.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not re.fullmatch(r"[A-Za-z0-9-]+", name) or not value:
        raise ConfigError(
            f"DJANGO_SECURE_PROXY_SSL_HEADER={raw!r} is not 'Header-Name: value', "
            "e.g. 'X-Forwarded-Proto: https'"
        )
    return "HTTP_" + name.upper().replace("-", "_"), value


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()


def _csrf_trusted_origins() -> list[str]:
    origins = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
    for origin in origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ConfigError(
                f"DJANGO_CSRF_TRUSTED_ORIGINS holds {origin!r}; each origin is "
                "scheme://host[:port] with no path, e.g. https://coldstart.example.org"
            )
    return origins


# Origins whose POSTs are accepted besides the request's own host: needed when the proxy
# in front rewrites the Host header, or serves the site under another name.
CSRF_TRUSTED_ORIGINS = _csrf_trusted_origins()

# Sign-in throttle (accounts/login_throttle.py): failed sign-ins per username and per client
# address within one window, counted in the shared cache.
COLDSTART_LOGIN_FAILURES_PER_USERNAME = env_int(
    "COLDSTART_LOGIN_FAILURES_PER_USERNAME", 5, minimum=1
)
COLDSTART_LOGIN_FAILURES_PER_ADDRESS = env_int(
    "COLDSTART_LOGIN_FAILURES_PER_ADDRESS", 50, minimum=1
)
COLDSTART_LOGIN_WINDOW_SECONDS = env_int("COLDSTART_LOGIN_WINDOW_SECONDS", 900, minimum=60)
# Proxies in front of the web servers that append to X-Forwarded-For (0: none, the client is
# REMOTE_ADDR). Behind one proxy that is 1; without it every client shares the proxy's address.
COLDSTART_TRUSTED_PROXIES = env_int("COLDSTART_TRUSTED_PROXIES", 0, minimum=0)

# Celery: the embedded default is kombu's filesystem transport (no server). Production
# points CELERY_BROKER_URL at Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # kombu's default is ./control, which would put broker files in the working tree.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True

# Grading reliability (labs.services, docs/DEPLOY.md "Grading reliability"). The database
# row is the source of truth; the broker only carries "look at submission N" messages, so
# a lost, duplicated or late message costs time, never a result.
_grading_time_limit = env_int("COLDSTART_GRADING_TIME_LIMIT", 120, minimum=5)
COLDSTART_GRADING = {
    # Hard limit on one grading task; the sandbox's own worst case (30 s of learner time plus
    # its 30 s reply deadline) fits inside the default with room for a slow machine.
    "time_limit": _grading_time_limit,
    # How long a claim holds before the sweeper may hand the submission to another worker.
    "lease_seconds": env_int("COLDSTART_GRADING_LEASE_SECONDS", _grading_time_limit + 30),
    "max_attempts": env_int("COLDSTART_GRADING_MAX_ATTEMPTS", 3, minimum=1),
    # A queued submission whose message reached the broker this long ago without a worker
    # claiming it is sent again (Redis lost it, or its worker died holding it unacked).
    "resend_seconds": env_int("COLDSTART_GRADING_RESEND_SECONDS", 120, minimum=1),
}
if COLDSTART_GRADING["lease_seconds"] <= _grading_time_limit:
    raise ConfigError(
        f"COLDSTART_GRADING_LEASE_SECONDS={COLDSTART_GRADING['lease_seconds']} must be longer "
        f"than COLDSTART_GRADING_TIME_LIMIT={_grading_time_limit}: a lease that ends first "
        "hands a submission that is still being graded to a second worker"
    )
COLDSTART_SWEEP_SECONDS = env_int("COLDSTART_SWEEP_SECONDS", 15, minimum=1)

# Late acks: a message is acknowledged after its task ran, so a worker killed mid-task
# (the whole machine, say) leaves it unacknowledged for the broker to deliver again.
CELERY_TASK_ACKS_LATE = True
# A pool child killed mid-task (kill -9, out of memory, the hard time limit) has its message
# acknowledged as failed rather than re-queued: the row stays "running" until its lease
# expires and the sweeper counts the attempt, which is what stops a poison submission from
# killing worker after worker forever.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# One message per pool process at a time: a burst spreads over every worker on every
# machine instead of piling up in the first worker's prefetch buffer.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = _grading_time_limit
# A new pool process starts its sandbox server in worker_process_init (labs/tasks.py), up to
# the engine's own 60 s start deadline on a loaded machine; Celery's default 4 s wait for the
# process would kill it mid-start and could loop doing so.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 65
# When the broker connection drops, tasks already running finish and record their results
# in the database; cancelling them would only waste the grading done so far.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A learner's submit must not hang on a dead broker: a few quick tries, then the request
# succeeds without the message and the sweeper sends it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redis redelivers an unacknowledged message after this long; it must outlast the
        # longest a message stays reserved (prefetch 1: one task's time limit), or a slow
        # grading would be delivered twice while running. The sweeper covers sooner.
        "visibility_timeout": max(300, 2 * _grading_time_limit),
        "socket_connect_timeout": 3,
    }
# Two queues: grading (labs) and maintenance (periodic repairs). Grading workers can scale
# out on their own machines while a small worker keeps maintenance going.
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {"labs.tasks.grade_submission": {"queue": "grading"}}
# Periodic work (run by `celery beat`, exactly one per deployment; `make run` embeds beat in
# its one worker). Expiry drops sweeps that piled up while no worker was consuming.
CELERY_BEAT_SCHEDULE = {
    "close-expired-exam-attempts": {
        "task": "quizzes.tasks.close_expired_attempts",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "sweep-submissions": {
        "task": "labs.tasks.sweep_submissions",
        "schedule": float(COLDSTART_SWEEP_SECONDS),
        "options": {"expires": COLDSTART_SWEEP_SECONDS},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
