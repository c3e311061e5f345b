"""What every benchmark shares: a throwaway Django environment and the p95 statistic.

Benchmarks never touch the developer's var/ database: `throwaway_django` points Django at a
fresh temporary COLDSTART_VAR_DIR (SQLite database, secret key, broker folders) with the
embedded defaults, before settings load.
"""

from __future__ import annotations

import os
import tempfile


def throwaway_django(prefix: str) -> str:
    """Set up Django on a private temporary var dir; returns the dir (caller removes it)."""
    import django

    var_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ["COLDSTART_VAR_DIR"] = var_dir
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    django.setup()
    return var_dir


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
