"""A learner practises a question and sees feedback, then sits the mini exam: answers (saved
as given), reloads and finds them kept, flags one, reviews, submits and sees the score."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from quizzes.models import AttemptItem, ExamAttempt, PracticeAnswer
from quizzes.variants import Variant, variant_for

pytestmark = pytest.mark.browser
# Set COLDSTART_SHOTS_DIR to save full-page screenshots (desktop and phone) of the quiz pages.
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


def give_answer(page, variant: Variant) -> None:
    """Enter the variant's right answer through the page's own inputs."""
    expected = variant.expected()
    question = page.locator(".question")
    if variant.type == "single":
        question.locator(f'input[name=answer][value="{expected}"]').check()
    elif variant.type == "multiple":
        for key in expected:
            question.locator(f'input[name=answer][value="{key}"]').check()
    elif variant.type == "numeric":
        field = question.locator("input[name=answer]")
        field.fill(str(expected))
        field.blur()
    elif variant.type == "matching":
        for left, right in expected.items():
            question.locator(f"select#match-{left}").select_option(right)
    else:
        for position, key in enumerate(expected, start=1):
            question.locator(f"select#rank-{key}").select_option(str(position))


def give_other_answer(page, variant: Variant) -> None:
    """Change one input to something other than the key (one change, so one autosave)."""
    expected = variant.expected()
    question = page.locator(".question")
    if variant.type in ("single", "multiple"):
        other = next(c["key"] for c in variant.public()["choices"] if c["key"] not in expected)
        question.locator(f'input[name=answer][value="{other}"]').check()
    elif variant.type == "numeric":
        field = question.locator("input[name=answer]")
        field.fill("98765")
        field.blur()
    elif variant.type == "matching":
        other = next(r["key"] for r in variant.public()["right"] if r["key"] != expected["1"])
        question.locator("select#match-1").select_option(other)
    else:
        question.locator(f"select#rank-{expected[0]}").select_option(str(len(expected)))


def expect_answer_shown(page, variant: Variant) -> None:
    expected = variant.expected()
    question = page.locator(".question")
    if variant.type == "single":
        expect(question.locator(f'input[name=answer][value="{expected}"]')).to_be_checked()
    elif variant.type == "multiple":
        for key in expected:
            expect(question.locator(f'input[name=answer][value="{key}"]')).to_be_checked()
    elif variant.type == "numeric":
        expect(question.locator("input[name=answer]")).to_have_value(str(expected))
    elif variant.type == "matching":
        for left, right in expected.items():
            expect(question.locator(f"select#match-{left}")).to_have_value(right)
    else:
        for position, key in enumerate(expected, start=1):
            expect(question.locator(f"select#rank-{key}")).to_have_value(str(position))


def test_learner_practises_then_sits_the_mini_exam(
    live_server, imported_course, demo_learner, open_page
):
    page = open_page()
    page.goto(live_server.url + "/quizzes/practice/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/quizzes/practice/$"))
    page.get_by_label("Username").fill(demo_learner.username)
    page.get_by_label("Password").fill(demo_learner.password)
    page.get_by_role("button", name="Log in").click()

    # Practice: one domain, one question, instant feedback with explanations.
    page.get_by_label("Limits and quotas").check()
    page.get_by_role("button", name="Start practising").click()
    expect(page).to_have_url(re.compile(r"/quizzes/practice/\d+/$"))
    pending = PracticeAnswer.objects.get(user__username=demo_learner.username)
    variant = variant_for(pending.question, pending.seed)
    expect(page.get_by_test_id("feedback")).to_have_count(0)
    give_answer(page, variant)
    page.get_by_role("button", name="Check answer").click()
    feedback = page.get_by_test_id("feedback")
    expect(feedback.locator(".verdict")).to_have_text("Correct.")
    first_why = next(e["explanation"] for e in _feedback_entries(variant) if e["explanation"])
    expect(feedback).to_contain_text(first_why)
    expect(feedback.locator(".lesson-links a").first).to_be_visible()
    expect(page.get_by_role("button", name="Next question")).to_be_visible()
    _screenshots(page, "practice-feedback")

    # The mini exam.
    page.goto(live_server.url + "/quizzes/")
    page.get_by_role("button", name="Start Ten-question mini exam").click()
    expect(page).to_have_url(re.compile(r"/quizzes/attempts/\d+/q/1/$"))
    attempt = ExamAttempt.objects.get(user__username=demo_learner.username)
    items = {
        i.position: i
        for i in AttemptItem.objects.filter(attempt=attempt).select_related("question")
    }
    expect(page.get_by_test_id("clock")).to_contain_text(re.compile(r"Time left: (19|20):\d\d"))
    status = page.get_by_test_id("save-status")

    first = variant_for(items[1].question, items[1].seed)
    # The first save is answered 503 (the database away for a moment): exam.js sends the
    # same request again by itself, and the learner sees "Saved" without doing anything.
    refused = []

    def database_away_once(route):
        if refused:
            route.continue_()
            return
        refused.append(route.request.headers.get("x-autosave-token", ""))
        route.fulfill(status=503, content_type="application/json", body='{"error": "away"}')

    page.route("**/q/1/save/", database_away_once)
    give_answer(page, first)
    expect(status).to_have_text("Saved")
    page.unroute("**/q/1/save/")
    assert len(refused) == 1 and refused[0]  # it carried the page's autosave token
    # Stored (a matching or ordering answer takes one save per input, so no fixed version).
    assert AttemptItem.objects.get(pk=items[1].pk).answer is not None
    page.get_by_role("button", name="Next →").click()
    expect(page).to_have_url(re.compile(r"/q/2/$"))
    second = variant_for(items[2].question, items[2].seed)
    give_answer(page, second)
    expect(status).to_have_text("Saved")
    page.get_by_label("Flag for review").check()
    expect(status).to_have_text("Saved")

    # A reload keeps the answer and the flag (they were saved as given, without a button).
    page.reload()
    expect_answer_shown(page, second)
    expect(page.get_by_label("Flag for review")).to_be_checked()
    _screenshots(page, "exam-question")
    page.get_by_role("button", name="Question 1, answered", exact=True).click()
    expect(page).to_have_url(re.compile(r"/q/1/$"))
    expect_answer_shown(page, first)

    # Two tabs on question 3: the newer answer wins, and the stale tab is told and updated.
    third = variant_for(items[3].question, items[3].seed)
    old_tab = page
    old_tab.get_by_role("button", name="Question 3", exact=True).click()
    expect(old_tab).to_have_url(re.compile(r"/q/3/$"))
    new_tab = page.context.new_page()
    new_tab.goto(old_tab.url)
    give_answer(new_tab, third)
    expect(new_tab.get_by_test_id("save-status")).to_have_text("Saved")
    give_other_answer(old_tab, third)
    expect(status).to_contain_text("changed in another tab")
    expect_answer_shown(old_tab, third)
    new_tab.close()

    page.get_by_role("button", name="Review answers").click()
    expect(page.get_by_test_id("answered-count")).to_have_text("3")
    expect(page.get_by_test_id("unanswered-count")).to_have_text("7")
    expect(page.get_by_test_id("flagged-count")).to_have_text("1")
    _screenshots(page, "exam-review")
    page.get_by_role("link", name="Submit the exam…").click()
    expect(page.get_by_role("heading", name="Submit the exam?")).to_be_visible()
    page.get_by_role("button", name="Yes, submit the exam").click()

    # 3 of 10 right: 100 + 620 * 0.3 / 0.72 = 358.3
    expect(page).to_have_url(re.compile(rf"/quizzes/attempts/{attempt.pk}/result/$"))
    expect(page.get_by_test_id("scaled-score")).to_have_text("358")
    expect(page.get_by_test_id("verdict")).to_have_text("Fail · pass mark 720")
    expect(page.locator(".review-item")).to_have_count(10)
    _screenshots(page, "exam-result")
    expect(page.get_by_test_id("breakdown").locator("tbody tr")).to_have_count(
        len({i.question.domain for i in items.values()})
    )


def _feedback_entries(variant: Variant) -> list[dict]:
    key = variant.key()
    return (
        key.get("options")
        or key.get("pairs")
        or key.get("items")
        or [{"explanation": key["explanation"]}]
    )
