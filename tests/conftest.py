"""Standard actors and the imported course, shared by all tests."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from accounts.roles import INSTRUCTOR, LEARNER
from accounts.services import create_user_with_role
from courses.importer import import_content


@pytest.fixture
def learner(db) -> User:
    return create_user_with_role(username="lena", password="learner-pass-123", role=LEARNER)


@pytest.fixture
def other_learner(db) -> User:
    return create_user_with_role(username="omar", password="learner-pass-456", role=LEARNER)


@pytest.fixture
def instructor(db) -> User:
    return create_user_with_role(username="ines", password="teacher-pass-789", role=INSTRUCTOR)


_imported = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Import the real course once per test database; each test's transaction is rolled
    back, so tests that change content start from this state again."""
    with django_db_blocker.unblock():
        _imported["result"] = import_content(settings.CONTENT_DIR)


@pytest.fixture
def course(db):
    """The real course from content/ (imported once, see django_db_setup)."""
    return _imported["result"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at production strength costs ~0.5 s per hash; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite a second time on PostgreSQL; that run only needs the tests
    that touch the database (COLDSTART_DB_TESTS_ONLY=1), the rest already ran once."""
    import os

    if os.environ.get("COLDSTART_DB_TESTS_ONLY") != "1":
        return
    db_fixtures = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
    keep, drop = [], []
    for item in items:
        # Production tests (tests/production/) make their own PostgreSQL databases.
        uses_db = bool(db_fixtures & set(getattr(item, "fixturenames", ()))) or (
            item.get_closest_marker("django_db") is not None
            or item.get_closest_marker("production") is not None
        )
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
