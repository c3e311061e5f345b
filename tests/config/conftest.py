import os

import pytest


@pytest.fixture
def base_env(tmp_path) -> dict:
    """The environment for a Coldstart process started by a test: this one's, minus every
    setting (the test run's own, e.g. DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests or
    `make test`'s DATABASE_URL), with its own var/ directory; the test adds what it means."""
    ours = ("DJANGO_", "COLDSTART_", "DATABASE_", "CACHE_", "CELERY_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "COLDSTART_VAR_DIR": str(tmp_path)}
