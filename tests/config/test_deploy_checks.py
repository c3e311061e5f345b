"""`manage.py check --deploy --fail-level WARNING` passes for a production environment and
names what is wrong in an insecure one (Django's checks and config/checks.py)."""

import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

PRODUCTION = {
    "DATABASE_URL": "postgres://coldstart@127.0.0.1:5432/coldstart",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SECRET_KEY": "Tq8-production-secret-kN3vX7pL2mR9sW4yB6cF1hJ5gD0aZ8eU",
    "DJANGO_ALLOWED_HOSTS": "coldstart.example.org",
    "DJANGO_SECURE": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://coldstart.example.org",
    "COLDSTART_STATIC_MANIFEST": "1",
}


def _check_deploy(base_env: dict, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _ids(output: str) -> list[str]:
    return sorted(set(re.findall(r"\((\w+\.[EW]\d+)\)", output)))


def test_production_environment_passes_the_deploy_checks(base_env):
    result = _check_deploy(base_env, PRODUCTION)
    assert (result.returncode, result.stdout.strip(), _ids(result.stderr)) == (
        0,
        "System check identified no issues (1 silenced).",
        [],
    )


def test_production_database_without_https_or_shared_services_fails(base_env):
    env = {
        "DATABASE_URL": PRODUCTION["DATABASE_URL"],
        "DJANGO_ALLOWED_HOSTS": "coldstart.example.org",
    }
    result = _check_deploy(base_env, env)
    assert result.returncode == 1
    assert _ids(result.stderr) == [
        "coldstart.W001",  # cache is the database table
        "coldstart.W002",  # broker is a local folder
        "coldstart.W003",  # generated, per-machine secret key
        "coldstart.W004",  # DJANGO_SECURE off
        "coldstart.W005",  # unversioned static files
        "security.W004",  # no HSTS
        "security.W008",  # no SSL redirect
        "security.W012",  # session cookie not secure
        "security.W016",  # CSRF cookie not secure
    ]
    assert "DJANGO_SECURE is off" in result.stderr
    assert "CACHE_URL is not Redis" in result.stderr
    assert "CELERY_BROKER_URL is the filesystem transport" in result.stderr


def test_debug_on_fails_the_deploy_checks(base_env):
    result = _check_deploy(base_env, {**PRODUCTION, "DJANGO_DEBUG": "1"})
    assert (result.returncode, _ids(result.stderr)) == (1, ["security.W018"])
    assert "You should not have DEBUG set to True in deployment." in result.stderr
