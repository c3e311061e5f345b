"""The demo learner opens a lab, pastes the reference solution into the editor, submits and
sees full marks; then submits the starter and sees the failing checks with their hints.

Grading is real: the submission goes through Celery's API to the task, which runs the lab's
checks in the sandbox engine. The live server shares this process's in-memory database, so
no separate worker can see it: the test uses Celery's in-memory broker and, once the page
shows the submission waiting in the queue, runs the queued task itself.
"""

import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from kombu import pools as kombu_pools
from playwright.sync_api import expect

from config.celery import app
from courses.importer import import_content
from labs.models import Lab, Submission
from labs.sandbox import engine
from labs.submission_files import read_submission_dir
from labs.tasks import grade_submission

pytestmark = pytest.mark.browser

SLUG = "rest-api-lambda-proxy"
# Set COLDSTART_SHOTS_DIR to save full-page screenshots of the lab page (desktop and phone).
SHOTS_DIR = os.environ.get("COLDSTART_SHOTS_DIR", "")
LAB_DIR = Path(settings.CONTENT_DIR) / "labs" / SLUG


@pytest.fixture
def imported_labs(transactional_db, settings):
    """The real course and its labs, imported into the live server's database."""
    if "labs.content.LabContent" not in settings.COLDSTART_CONTENT_EXTENSIONS:
        settings.COLDSTART_CONTENT_EXTENSIONS = [
            *settings.COLDSTART_CONTENT_EXTENSIONS,
            "labs.content.LabContent",
        ]
    return import_content(settings.CONTENT_DIR)


def _drop_producer_pool() -> None:
    # Celery builds its connection pool from broker_url on first use and keeps it, and its
    # AMQP helper caches a producer pool on top (kombu keeps those in a global registry);
    # dropping all three makes the next message use the broker configured now.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def memory_broker():
    """Task messages stay in this process instead of the real broker under var/."""
    saved = app.conf.broker_url, app.conf.broker_transport_options
    _drop_producer_pool()
    app.conf.broker_url, app.conf.broker_transport_options = "memory://", {}
    yield
    _drop_producer_pool()
    app.conf.broker_url, app.conf.broker_transport_options = saved


def work_off_queue(expected: int) -> None:
    """Be the worker: run the task for the newest queued submission, through Celery."""
    # The page can show "Queued" a moment before this thread's connection sees the row the
    # live server committed; wait for it (bounded) rather than race it.
    deadline = time.monotonic() + 10
    while not Submission.objects.filter(status="queued").exists():
        assert time.monotonic() < deadline, "no queued submission appeared within 10 s"
        time.sleep(0.05)
    submission = Submission.objects.filter(status="queued").latest("created")
    assert Submission.objects.count() == expected
    grade_submission.apply(args=[submission.pk])


def _screenshots(page, name: str) -> None:
    if not SHOTS_DIR:
        return
    Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=f"{SHOTS_DIR}/{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS_DIR}/{name}-phone.png", full_page=True)
    page.set_viewport_size(size)


def fill_editor(page, files: dict[str, str]) -> None:
    for name, text in files.items():
        page.get_by_role("tab", name=name, exact=True).click()
        page.locator(".editor-file:not([hidden]) textarea").fill(text)


def test_learner_submits_the_solution_then_the_starter(
    live_server, imported_labs, demo_learner, open_page, memory_broker
):
    lab = Lab.objects.get(slug=SLUG)
    solution = read_submission_dir(LAB_DIR / "solution")
    starter = read_submission_dir(LAB_DIR / "starter")
    # What the sandbox says about the starter, to compare with what the page shows.
    expected = engine.grade(LAB_DIR, starter)
    failing = [c for c in expected["checks"] if not c["passed"]]
    assert failing, "the starter should fail some checks"

    page = open_page()
    page.goto(live_server.url + "/accounts/login/?next=/labs/")
    page.get_by_label("Username").fill(demo_learner.username)
    page.get_by_label("Password").fill(demo_learner.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/labs/")

    page.get_by_role("link", name=lab.title).click()
    expect(page).to_have_url(re.compile(rf"/labs/{SLUG}/$"))
    expect(page.locator("h1")).to_have_text(lab.title)
    # The editor: one tab per starter file, Python highlighted behind the textarea.
    expect(page.get_by_role("tab")).to_have_text(sorted(starter, key=lambda n: n != "provision.py"))
    expect(page.locator(".editor-file:not([hidden]) .tok-keyword").first).to_be_visible()

    # The reference solution, pasted file by file, then Submit.
    fill_editor(page, solution)
    page.get_by_role("button", name="Submit for grading").click()
    status = page.get_by_test_id("lab-status")
    expect(status.get_by_test_id("status")).to_have_text("Queued")
    work_off_queue(expected=1)
    # The page polls and shows the result without a reload.
    expect(status.get_by_test_id("status")).to_have_text("Graded")
    max_score = f"{expected['max_score']:g}"
    expect(status.get_by_test_id("score")).to_have_text(f"{max_score} / {max_score}")
    expect(status.get_by_text("Full marks")).to_be_visible()
    expect(status.locator(".check-item.failed")).to_have_count(0)

    # The starter: the same failing checks the sandbox reports, each with its hint.
    page.goto(live_server.url + f"/labs/{SLUG}/?starter=1")
    page.get_by_role("button", name="Submit for grading").click()
    expect(status.get_by_test_id("status")).to_have_text("Queued")
    work_off_queue(expected=2)
    expect(status.get_by_test_id("score")).to_have_text(
        f"{expected['score']:g} / {expected['max_score']:g}"
    )
    failed = status.locator(".check-item.failed")
    expect(failed.locator(".check-name")).to_have_text([c["name"] for c in failing])
    expect(failed.get_by_test_id("hint")).to_have_text(
        [f"Hint: {c['hint']}" for c in failing if c["hint"]]
    )
    _screenshots(page, "lab-starter-graded")

    # Both submissions are in the history, newest first, without a reload.
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    scores = [f"{expected['score']:g} / {max_score}", f"{max_score} / {max_score}"]
    for row, score in zip([rows.nth(0), rows.nth(1)], scores, strict=True):
        expect(row.locator("td").nth(3)).to_have_text(score)


def test_editor_tabs_indent_and_files_and_the_form_without_javascript(
    live_server, imported_labs, demo_learner, open_page, chromium, memory_broker
):
    page = open_page()
    page.goto(live_server.url + f"/accounts/login/?next=/labs/{SLUG}/")
    page.get_by_label("Username").fill(demo_learner.username)
    page.get_by_label("Password").fill(demo_learner.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text(Lab.objects.get(slug=SLUG).title)

    # Tab inserts spaces up to the next multiple of four; the highlight follows the text.
    page.get_by_role("tab", name="handler.py").click()
    area = page.locator(".editor-file:not([hidden]) textarea")
    area.fill("def f():\nx")
    area.press("End")
    area.press("Home")
    area.press("Tab")
    expect(area).to_have_value("def f():\n    x")
    highlight = page.locator(".editor-file:not([hidden]) .code-highlight")
    expect(highlight.locator(".tok-keyword")).to_have_text(["def"])
    expect(highlight.locator(".tok-def")).to_have_text(["f"])

    # Add a file, rename it, refuse a bad name, remove it.
    page.get_by_role("button", name="Add file").click()
    expect(page.get_by_role("tab")).to_have_text(["provision.py", "handler.py", "module.py"])
    page.get_by_test_id("rename-input").fill("lib/util.py")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("tab")).to_have_text(["provision.py", "handler.py", "lib/util.py"])
    page.get_by_test_id("rename-input").fill("../evil.py")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator(".editor-message")).to_have_text(
        "Use letters, digits, _ - . and / only, like handler.py or lib/util.py."
    )
    page.get_by_role("button", name="Remove file").click()
    expect(page.get_by_role("tab")).to_have_text(["provision.py", "handler.py"])

    # Without JavaScript the same form posts and lands on the submission's page.
    context = chromium.get().new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.set_default_timeout(10_000)
        plain.goto(live_server.url + f"/accounts/login/?next=/labs/{SLUG}/")
        plain.get_by_label("Username").fill(demo_learner.username)
        plain.get_by_label("Password").fill(demo_learner.password)
        plain.get_by_role("button", name="Log in").click()
        plain.get_by_role("button", name="Run").click()
        expect(plain).to_have_url(re.compile(r"/labs/submissions/\d+/$"))
        expect(plain.get_by_test_id("status")).to_have_text("Queued")
        work_off_queue(expected=1)
        plain.reload()
        expect(plain.get_by_text("Run finished.")).to_be_visible()
    finally:
        context.close()
    assert Submission.objects.get().kind == "run"
