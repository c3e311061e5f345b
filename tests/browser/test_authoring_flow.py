"""An instructor writes a question in the editor at phone width: static/js/quiz-authoring.js
adds and removes option rows in place, and the saved question has exactly the rows left
visible."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import INSTRUCTOR, grant_role_permissions
from accounts.services import create_user_with_role
from quizzes.models import Question

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_instructor_adds_and_removes_option_rows_then_saves(
    live_server, imported_course, open_page
):
    # A transactional test's flush removes the role groups made by the data migration.
    grant_role_permissions(Group, Permission)
    create_user_with_role(username="ines", password="teacher-pass-789", role=INSTRUCTOR)
    page = open_page(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "ines")
    page.fill("input[name=password]", "teacher-pass-789")
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/instructor/quizzes/new/single/")
    assert page.locator("[data-row]:visible").count() == 4
    page.click("#rows-options button.add-row")
    assert page.locator("[data-row]:visible").count() == 5
    assert page.input_value("input[name=options-TOTAL_FORMS]") == "5"
    page.fill("#id_slug", "made-in-chromium")
    page.fill("#id_stem", "Which option is right?")
    for i, text in enumerate("ABCDE"):
        page.fill(f"#id_options-{i}-text", text)
        page.fill(f"#id_options-{i}-explanation", f"Because {text}.")
    page.check("#id_options-0-correct")
    page.locator("[data-row]").nth(3).locator("button.remove-row-button").click()
    assert page.locator("[data-row]:visible").count() == 4
    page.select_option("#id_lessons", ["lambda-limits"])
    page.click("button.primary")
    page.wait_for_url("**/instructor/quizzes/*/")

    saved = Question.objects.get(slug="made-in-chromium")
    assert [(o["text"], o["correct"]) for o in saved.spec["options"]] == [
        ("A", True),
        ("B", False),
        ("C", False),
        ("E", False),
    ]
    assert page.locator(".notice").inner_text() == "Created question made-in-chromium."
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
