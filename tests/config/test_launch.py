"""config.launch: what `make run` and `make serve-prod` start, and the production database
it creates when missing (real PostgreSQL)."""

import os
import uuid

import psycopg
import pytest

from config import launch

POSTGRES = "postgres://postgres@127.0.0.1:5432"


def _argv_tail(command: list[str]) -> list[str]:
    return [command[0].rsplit("/", 1)[-1], *command[1:]]


def test_make_run_starts_one_worker_on_both_queues_with_beat_inside(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    commands = {name: _argv_tail(cmd) for name, cmd in launch.embedded_commands().items()}
    assert commands == {
        "worker": [
            "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2",
            "--without-gossip", "--without-mingle", "-Q", "grading,maintenance", "--beat",
        ],
        "web": [
            "gunicorn", "config.wsgi", "--bind", "127.0.0.1:8123", "--workers", "2",
            "--threads", "4", "--access-logfile", "-", "--no-control-socket",
        ],
    }  # fmt: skip


def test_serve_prod_starts_n_named_workers_and_exactly_one_beat(monkeypatch):
    monkeypatch.setenv("WORKERS", "3")
    monkeypatch.setenv("WORKER_CONCURRENCY", "4")
    monkeypatch.setenv("WEB_WORKERS", "5")
    monkeypatch.delenv("PORT", raising=False)
    commands = {name: _argv_tail(cmd) for name, cmd in launch.production_commands().items()}
    assert sorted(commands) == ["beat", "web", "worker1", "worker2", "worker3"]
    assert commands["beat"] == ["celery", "-A", "config", "beat", "--loglevel=INFO"]
    assert commands["worker2"] == [
        "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=4",
        "--without-gossip", "--without-mingle", "-n", "worker2@%h", "-Q", "grading,maintenance",
    ]  # fmt: skip
    assert commands["web"][2:6] == ["--bind", "127.0.0.1:8000", "--workers", "5"]


@pytest.fixture
def postgres():
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES}: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES}")
    return POSTGRES


def test_serve_prod_creates_its_database_once(postgres):
    name = f"cs_launch_{uuid.uuid4().hex[:8]}"

    def exists() -> bool:
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            return conn.execute(query, [name]).fetchone() is not None

    try:
        assert exists() is False
        launch.ensure_postgres_database(f"{postgres}/{name}")
        assert exists() is True
        launch.ensure_postgres_database(f"{postgres}/{name}")  # already there: nothing to do
        assert exists() is True
    finally:
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
