"""Fixtures for the browser tests: the real course, the demo accounts and a Chromium page.

The browser is Debian's /usr/bin/chromium driven by Playwright's sync API against
pytest-django's live_server. Playwright's sync API runs an event loop in the test thread,
so Django's async-safety check must be relaxed for ORM calls made by the test itself.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from django.conf import settings
from django.contrib.auth.models import Group, Permission

from accounts.roles import grant_role_permissions
from accounts.services import ensure_demo_accounts
from courses.importer import import_content

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Credentials:
    username: str
    password: str


@pytest.fixture
def imported_course(transactional_db):
    """The real course from content/, imported into the live server's database."""
    return import_content(settings.CONTENT_DIR)


@pytest.fixture
def demo_learner(transactional_db) -> Credentials:
    # A transactional test's flush removes the role groups made by the data migration.
    grant_role_permissions(Group, Permission)
    accounts = {a.username: a for a in ensure_demo_accounts()}
    learner = accounts["learner"]
    assert learner.password, "the demo learner already existed, so its password is unknown"
    return Credentials(learner.username, learner.password)


class _Chromium:
    """Launches Chromium on first use, so a missing browser fails the test itself (a
    failure in the test body, not an error in fixture setup, and never a skip)."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None

    def get(self):
        if self._browser is None:
            if not CHROMIUM.exists():
                pytest.fail(
                    f"Debian's Chromium is missing at {CHROMIUM}: install it with "
                    "`make chromium` (apt-get install chromium). Browser tests never skip.",
                    pytrace=False,
                )
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[_Chromium]:
    launcher = _Chromium()
    yield launcher
    launcher.close()


@pytest.fixture
def open_page(chromium):
    """Call it in the test to get a fresh Playwright page (own cookies) in headless Chromium."""
    contexts = []

    def open_page(viewport: dict | None = None):
        context = chromium.get().new_context(viewport=viewport or DESKTOP)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
