"""The project's settings with every middleware removed and one URL: what Django costs with
nothing but routing, the view and the ORM. Everything else (database, connection reuse,
logging) is config.settings as production reads it from the environment."""

from config.settings import *  # noqa: F403 - the same settings, two overrides below

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.bare.urls"
