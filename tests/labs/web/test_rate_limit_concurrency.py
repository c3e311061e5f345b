"""The rate limit holds across processes: ten web-like processes submit for one learner at
the same moment and exactly RATE_LIMIT submissions are stored.

The processes need a database they all share, so this test makes its own (a SQLite file,
or a fresh PostgreSQL database when the suite runs on PostgreSQL) instead of the test
database, which lives inside this process's transaction."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings

from labs import services

ROOT = Path(settings.BASE_DIR)
PROCESSES = services.RATE_LIMIT + 4

SETUP = """
import django; django.setup()
from django.contrib.auth.models import User
from labs.models import Lab
User.objects.create_user(username="racer", password="racer-pass-123")
Lab.objects.create(slug="race", title="Race", summary="s", minutes=1, instructions_html="",
                   starter_files={}, checks_digest="", source_path="labs/race")
"""

RACE = """
import sys, time
import django; django.setup()
from django.contrib.auth.models import User
from labs import services
from labs.models import Lab
user, lab = User.objects.get(username="racer"), Lab.objects.get(slug="race")
while time.time() < float(sys.argv[1]):  # all processes start their request together
    time.sleep(0.001)
try:
    services.create_submission(user=user, lab=lab, files={"provision.py": "print(1)"}, kind="run")
    print("stored")
except services.RateLimited:
    print("limited")
"""

COUNT = """
import django; django.setup()
from labs.models import Submission
print(Submission.objects.filter(user__username="racer").count())
"""


def _python(code: str, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(code: str, env: dict) -> str:
    process = _python(code, env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip()


def test_concurrent_processes_never_exceed_the_limit(tmp_path):
    default = settings.DATABASES["default"]
    created_pg = None
    if default["ENGINE"] == "django.db.backends.postgresql":
        created_pg = f"lweb_race_{uuid.uuid4().hex[:8]}"
        admin = {**default, "NAME": "postgres"}
        with psycopg.connect(
            host=admin["HOST"],
            port=admin["PORT"] or 5432,
            user=admin["USER"],
            password=admin["PASSWORD"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{created_pg}"')
        url = (
            f"postgres://{default['USER']}:{default['PASSWORD'] or ''}@{default['HOST']}:"
            f"{default['PORT'] or 5432}/{created_pg}"
        )
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    assert dj_database_url.parse(url)["ENGINE"] == default["ENGINE"]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COLDSTART_VAR_DIR": str(tmp_path / "var"),  # its own broker folder, not var/
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    try:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        _run(SETUP, env)
        start = str(time.time() + 8)  # time for every process to import Django first
        racers = [_python(RACE, env, start) for _ in range(PROCESSES)]
        outcomes = []
        for racer in racers:
            out, err = racer.communicate(timeout=120)
            assert racer.returncode == 0, err
            outcomes.append(out.strip())
        assert sorted(outcomes) == ["limited"] * 4 + ["stored"] * services.RATE_LIMIT
        assert _run(COUNT, env) == str(services.RATE_LIMIT)
    finally:
        if created_pg:
            with psycopg.connect(
                host=default["HOST"],
                port=default["PORT"] or 5432,
                user=default["USER"],
                password=default["PASSWORD"],
                dbname="postgres",
                autocommit=True,
            ) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{created_pg}" WITH (FORCE)')
