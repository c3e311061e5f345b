"""The real fact catalogue and course outline, read once, for the generator tests."""

import pytest
import yaml
from django.conf import settings

from courses.facts import load_facts


@pytest.fixture(scope="session")
def facts() -> dict:
    return {f.key: f for f in load_facts(settings.CONTENT_DIR)}


@pytest.fixture(scope="session")
def lesson_slugs() -> set[str]:
    outline = yaml.safe_load((settings.CONTENT_DIR / "course.yaml").read_text())
    return {lesson["slug"] for lesson in outline["lessons"]}
