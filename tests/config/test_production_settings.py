"""Production settings come from the environment, and a bad value stops start-up naming the
variable. Module-level settings are read in a fresh process, as a server would."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from config import settings
from config.env import ConfigError

ROOT = Path(django_settings.BASE_DIR)
SECRET = "k" * 20 + "S3cr3t-Production-Key-Of-Sixty-Chars-0123456789"

PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings as s
names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
         "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
         "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "SESSION_ENGINE", "ALLOWED_HOSTS"]
out = {name: getattr(s, name) for name in names}
out["CACHE"] = [s.CACHES["default"]["BACKEND"], s.CACHES["default"]["LOCATION"]]
out["DB"] = {k: s.DATABASES["default"][k] for k in ("ENGINE", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
print(json.dumps(out))
"""


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_environment_gives_https_only_settings(base_env):
    result = _python(
        PRINT_SETTINGS,
        {
            **base_env,
            "DATABASE_URL": "postgres://coldstart@db.internal:5432/coldstart",
            "DATABASE_CONN_MAX_AGE": "60",
            "CACHE_URL": "redis://cache.internal:6379/1",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_ALLOWED_HOSTS": "coldstart.example.org",
            "DJANGO_SECURE": "1",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://coldstart.example.org",
        },
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "CSRF_TRUSTED_ORIGINS": ["https://coldstart.example.org"],
        "SESSION_ENGINE": "config.sessions",
        "ALLOWED_HOSTS": ["coldstart.example.org"],
        "CACHE": [
            "django.core.cache.backends.redis.RedisCache",
            "redis://cache.internal:6379/1",
        ],
        "DB": {
            "ENGINE": "django.db.backends.postgresql",
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        },
    }


def test_a_bad_value_stops_start_up_naming_the_variable(base_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base_env, "CACHE_URL": "memcached://cache.internal:11211"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "config.env.ConfigError: CACHE_URL='memcached://cache.internal:11211' is not a Redis "
        "URL; use redis://host:6379/1 (or rediss://), or leave it unset for the database cache"
    )


def test_cache_url_chooses_redis_or_the_database_table(monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    assert settings._caches() == {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "coldstart_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    monkeypatch.setenv("CACHE_URL", "rediss://:pw@cache.internal:6380/2")
    assert settings._caches()["default"]["LOCATION"] == "rediss://:pw@cache.internal:6380/2"
    for bad, problem in [
        ("redis://cache.internal:63x9/1", "cannot be parsed"),
        ("redis://cache.internal:6379/cache", "must be a Redis database number"),
        ("redis:///1", "is not a Redis URL"),
    ]:
        monkeypatch.setenv("CACHE_URL", bad)
        with pytest.raises(ConfigError, match=f"^CACHE_URL='{re.escape(bad)}'.*{problem}"):
            settings._caches()


def test_proxy_header_and_trusted_origins_are_validated(monkeypatch):
    monkeypatch.setenv("DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto:https")
    assert settings._proxy_ssl_header() == ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.setenv("DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    with pytest.raises(ConfigError, match=r"^DJANGO_SECURE_PROXY_SSL_HEADER='X-Forwarded-Proto'"):
        settings._proxy_ssl_header()
    monkeypatch.delenv("DJANGO_SECURE_PROXY_SSL_HEADER")
    assert settings._proxy_ssl_header() is None

    monkeypatch.setenv("DJANGO_CSRF_TRUSTED_ORIGINS", "https://a.example, http://b.example:8080")
    assert settings._csrf_trusted_origins() == ["https://a.example", "http://b.example:8080"]
    for bad in ("a.example", "https://a.example/login"):
        monkeypatch.setenv("DJANGO_CSRF_TRUSTED_ORIGINS", bad)
        with pytest.raises(
            ConfigError, match=f"^DJANGO_CSRF_TRUSTED_ORIGINS holds '{re.escape(bad)}'"
        ):
            settings._csrf_trusted_origins()


def test_connection_age_is_checked_and_health_checked(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/coldstart")
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "-1")
    with pytest.raises(ConfigError, match=r"^DATABASE_CONN_MAX_AGE=-1 is below the minimum of 0"):
        settings._database()
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "600")
    config = settings._database()
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (600, True)
