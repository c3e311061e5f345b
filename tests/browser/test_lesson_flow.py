"""A learner logs in, reads a lesson merged and by source, marks it done and sees progress."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from courses.models import Lesson, Note

pytestmark = pytest.mark.browser

SLUG = "lambda-limits"
TITLE = "Lambda limits"
# Set COLDSTART_SHOTS_DIR to save full-page screenshots of the lesson (desktop and phone).
SHOTS_DIR = os.environ.get("COLDSTART_SHOTS_DIR", "")


def _screenshots(page, name: str) -> None:
    if not SHOTS_DIR:
        return
    Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=f"{SHOTS_DIR}/{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS_DIR}/{name}-phone.png", full_page=True)
    page.set_viewport_size(size)


def test_learner_reads_lesson_by_source_marks_done_and_sees_progress(
    live_server, imported_course, demo_learner, open_page
):
    page = open_page()
    total = Lesson.objects.count()
    lesson = Lesson.objects.get(slug=SLUG)
    notes = list(Note.objects.filter(sections__lesson=lesson).distinct().order_by("order"))
    assert total >= 1 and notes, "the imported course should have lessons and credited notes"

    # Anonymous visitors are sent to the login page.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(demo_learner.username)
    page.get_by_label("Password").fill(demo_learner.password)
    page.get_by_role("button", name="Log in").click()

    # The course page, nothing done yet.
    expect(page).to_have_url(live_server.url + "/")
    progress = page.get_by_test_id("progress-count")
    expect(progress).to_have_text(f"0 of {total}")

    # The merged lesson, with a call-out on a stale fact.
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/lessons/{SLUG}/$"))
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".fact-callout").filter(has_text="10,240 MB").first).to_be_visible()
    _screenshots(page, "lesson-merged")

    # By source: one section per credited note, titled with the note's title.
    page.get_by_role("link", name="By source").click()
    expect(page).to_have_url(re.compile(r"[?&]view=source\b"))
    sources = page.locator("section.source")
    expect(sources).to_have_count(len(notes))
    expect(sources.locator("> h2")).to_have_text([n.title for n in notes])
    _screenshots(page, "lesson-source")

    # Mark as done: the page shows the done state (and stays on the source view).
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_test_id("done-state")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]view=source\b"))

    # Back on the course page, the progress and the lesson's badge reflect it.
    page.goto(live_server.url + "/")
    expect(progress).to_have_text(f"1 of {total}")
    item = page.locator(".lesson-list li").filter(
        has=page.get_by_role("link", name=TITLE, exact=True)
    )
    expect(item.locator(".badge.done")).to_have_text("Done")
