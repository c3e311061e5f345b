"""Creating and editing questions of every type through the authoring pages."""

import copy

import pytest
from django.urls import reverse

from quizzes.models import Question
from tests.quizzes.authoring.conftest import form_data

QUESTIONS = {
    "single": {
        "slug": "browser-single",
        "type": "single",
        "domain": "limits",
        "difficulty": "easy",
        "stem": "A function needs 20 minutes.\n\nWhat should the team do?",
        "lessons": ["lambda-limits"],
        "facts": ["lambda.timeout.max"],
        "options": [
            {"text": "Split the work", "correct": True, "explanation": "Stays under 15 minutes."},
            {"text": "Set 1,200 s", "correct": False, "explanation": "Above the 900 s maximum."},
            {"text": "Add memory", "correct": False, "explanation": "Memory is not time."},
        ],
    },
    "multiple": {
        "slug": "browser-multiple",
        "type": "multiple",
        "domain": "auth",
        "difficulty": "medium",
        "stem": "Which two grants does the role need? (Choose two.)",
        "lessons": ["iam-essentials"],
        "options": [
            {"text": "PutItem on the table", "correct": True, "explanation": "Least privilege."},
            {"text": "Basic execution role", "correct": True, "explanation": "For logs."},
            {"text": "AdministratorAccess", "correct": False, "explanation": "Far too broad."},
            {"text": "dynamodb:* on *", "correct": False, "explanation": "Too broad."},
        ],
    },
    "numeric": {
        "slug": "browser-numeric",
        "type": "numeric",
        "domain": "capacity",
        "difficulty": "medium",
        "stem": "How many RCUs for 10 strong reads/s of 8 KB?",
        "lessons": ["dynamodb-capacity"],
        "answer": 20,
        "tolerance": 0.5,
        "unit": "RCU",
        "mistakes": [{"value": 10, "explanation": "That is eventual consistency."}],
        "explanation": "8 KB is two 4 KB units.",
    },
    "matching": {
        "slug": "browser-matching",
        "type": "matching",
        "domain": "endpoints",
        "difficulty": "easy",
        "stem": "Match each client to an endpoint type.",
        "lessons": ["apigateway-endpoint-types"],
        "pairs": [
            {"left": "Worldwide", "right": "Edge-optimized", "explanation": "CloudFront."},
            {"left": "Same Region", "right": "Regional", "explanation": "No extra hop."},
            {"left": "VPC only", "right": "Private", "explanation": "Interface endpoint."},
        ],
        "extra_right": ["Gateway endpoint"],
    },
    "ordering": {
        "slug": "browser-ordering",
        "type": "ordering",
        "domain": "events",
        "difficulty": "hard",
        "stem": "Order the steps of an asynchronous invocation.",
        "lessons": ["lambda-invocation"],
        "items": [
            {"text": "Event is queued", "explanation": "First."},
            {"text": "Function fails", "explanation": "Second."},
            {"text": "Retries run", "explanation": "Third."},
        ],
    },
    "generated": {
        "slug": "browser-generated",
        "type": "generated",
        "domain": "capacity",
        "difficulty": "hard",
        "lessons": ["dynamodb-capacity"],
        "generator": "dynamodb-capacity",
        "params": {"operation": "write"},
    },
}


def create_url(kind: str) -> str:
    return reverse("quizzes_instructor:create", args=[kind])


def edit_url(question: Question) -> str:
    return reverse("quizzes_instructor:edit", args=[question.pk])


@pytest.mark.parametrize("kind", list(QUESTIONS))
def test_create_each_type_saves_exactly_the_submitted_question(course, instructor_client, kind):
    question = QUESTIONS[kind]

    response = instructor_client.post(create_url(kind), form_data(question))

    saved = Question.objects.get(slug=question["slug"])
    assert response.status_code == 302
    assert response["Location"] == edit_url(saved)
    assert saved.spec == question
    assert (saved.type, saved.domain, saved.difficulty) == (
        kind,
        question["domain"],
        question["difficulty"],
    )
    assert (saved.origin, saved.source, saved.is_active) == ("browser", "browser:ines", True)
    assert saved.generator == question.get("generator", "")
    assert sorted(saved.lessons.values_list("slug", flat=True)) == question["lessons"]
    assert sorted(saved.facts.values_list("key", flat=True)) == question.get("facts", [])


@pytest.mark.parametrize("kind", list(QUESTIONS))
def test_edit_each_type_updates_the_row_and_keeps_the_slug(course, instructor_client, kind):
    instructor_client.post(create_url(kind), form_data(QUESTIONS[kind]))
    saved = Question.objects.get(slug=QUESTIONS[kind]["slug"])
    changed = copy.deepcopy(QUESTIONS[kind])
    changed["difficulty"] = "medium" if changed["difficulty"] != "medium" else "hard"
    changed["lessons"] = ["lambda-concurrency"]
    if kind in ("single", "multiple"):
        changed["options"][2]["explanation"] = "Rewritten explanation."
        changed["options"].append(
            {"text": "A new wrong option", "correct": False, "explanation": "Added on edit."}
        )
    elif kind == "numeric":
        changed["answer"] = 40
        changed["mistakes"] = []
        del changed["tolerance"]
    elif kind == "matching":
        changed["pairs"][0]["right"] = "Edge-optimized REST API"
        changed["extra_right"] = []
    elif kind == "ordering":
        changed["items"].reverse()
    else:
        changed["params"] = {"operation": "read", "consistency": "strong"}
    posted = form_data({**changed, "slug": "attempted-rename"})

    response = instructor_client.post(edit_url(saved), posted)

    saved.refresh_from_db()
    assert response.status_code == 302
    expected = {k: v for k, v in changed.items() if v != []}
    assert saved.spec == expected
    assert saved.slug == QUESTIONS[kind]["slug"]
    assert list(saved.lessons.values_list("slug", flat=True)) == ["lambda-concurrency"]
    assert Question.objects.filter(slug="attempted-rename").exists() is False


def test_edit_page_shows_the_stored_question_in_the_form(course, instructor_client):
    instructor_client.post(create_url("matching"), form_data(QUESTIONS["matching"]))
    saved = Question.objects.get(slug="browser-matching")

    html = instructor_client.get(edit_url(saved)).content.decode()

    assert 'name="pairs-TOTAL_FORMS" value="4"' in html  # three pairs and a spare row
    assert 'name="extra_right-TOTAL_FORMS" value="2"' in html
    assert ">\nVPC only</textarea>" in html
    assert ">\nGateway endpoint</textarea>" in html
    assert '<option value="apigateway-endpoint-types" selected>' in html


def test_blank_and_removed_rows_are_ignored(course, instructor_client):
    question = QUESTIONS["single"]
    rows = [
        *question["options"],
        {"text": "", "correct": False, "explanation": ""},  # the spare row, left empty
        {"text": "Dropped", "correct": False, "explanation": "Removed.", "DELETE": True},
    ]

    instructor_client.post(create_url("single"), form_data(question, rows={"options": rows}))

    assert Question.objects.get(slug="browser-single").spec["options"] == question["options"]


def error_for(html: str, field: str) -> str:
    """The text of the error paragraph rendered for a form field ('' if none)."""
    marker = f'<p class="field-error" data-field="{field}">'
    start = html.find(marker)
    if start < 0:
        return ""
    return html[start + len(marker) : html.index("</p>", start)]


def test_spec_errors_appear_next_to_their_fields_and_nothing_is_saved(course, instructor_client):
    bad = copy.deepcopy(QUESTIONS["single"])
    bad["slug"] = "Not A Slug"
    bad["lessons"] = []
    bad["options"][1]["explanation"] = ""
    bad["options"][2]["correct"] = True

    response = instructor_client.post(create_url("single"), form_data(bad))

    html = response.content.decode()
    assert response.status_code == 400
    assert "The question was not saved." in html
    assert "is not a valid slug" in error_for(html, "slug")
    assert error_for(html, "lessons") != ""
    assert error_for(html, "options-1-explanation") == "This field is required."
    assert error_for(html, "options-0-explanation") == ""
    assert "exactly one correct option, this one has 2" in error_for(html, "options")
    assert Question.objects.filter(origin="browser").count() == 0


def test_errors_point_at_the_right_row_when_earlier_rows_are_blank(course, instructor_client):
    question = QUESTIONS["ordering"]
    rows = [
        {"text": "", "explanation": ""},
        *question["items"][:2],
        {"text": "Retries run", "explanation": ""},
    ]

    html = instructor_client.post(
        create_url("ordering"), form_data(question, rows={"items": rows})
    ).content.decode()

    # items[2] of the spec is the fourth row on the page (the first row was blank).
    assert error_for(html, "items-3-explanation") == "This field is required."
    assert error_for(html, "items-2-explanation") == ""


def test_numeric_errors_for_missing_answer_and_bad_number(course, instructor_client):
    question = {**QUESTIONS["numeric"], "explanation": ""}
    del question["answer"]
    data = form_data(question)
    data["mistakes-0-value"] = "ten"

    html = instructor_client.post(create_url("numeric"), data).content.decode()

    assert error_for(html, "mistakes-0-value") == "Enter a number."
    assert Question.objects.filter(slug="browser-numeric").exists() is False

    data["mistakes-0-value"] = "10"
    html = instructor_client.post(create_url("numeric"), data).content.decode()
    assert error_for(html, "answer") == "This field is required."
    assert error_for(html, "explanation") == "This field is required."


def test_unknown_generator_param_is_reported(course, instructor_client):
    question = {**QUESTIONS["generated"], "params": {"flavour": "spicy"}}

    response = instructor_client.post(create_url("generated"), form_data(question))

    assert response.status_code == 400
    assert "flavour" in response.content.decode()
    assert Question.objects.filter(slug="browser-generated").exists() is False


def test_slug_taken_by_a_file_question_is_an_error_naming_the_file(course, instructor_client):
    question = {**QUESTIONS["single"], "slug": "limits-video-transcode-over-15-minutes"}
    before = Question.objects.get(slug=question["slug"]).spec

    html = instructor_client.post(create_url("single"), form_data(question)).content.decode()

    message = error_for(html, "slug")
    assert "already used by a question content/quizzes/limits.yaml:" in message
    assert Question.objects.get(slug=question["slug"]).spec == before


def test_add_row_button_adds_a_blank_row_without_saving_or_errors(course, instructor_client):
    data = form_data({**QUESTIONS["multiple"], "slug": ""})
    data["add_row"] = "options"

    response = instructor_client.post(create_url("multiple"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="options-TOTAL_FORMS" value="5"' in html
    assert 'name="options-4-text"' in html
    assert ">\nAdministratorAccess</textarea>" in html  # typed text is kept
    assert 'class="field-error"' not in html
    assert Question.objects.filter(origin="browser").count() == 0


def test_new_question_page_starts_with_the_minimum_rows_plus_one(course, instructor_client):
    html = instructor_client.get(create_url("multiple")).content.decode()

    assert 'name="options-TOTAL_FORMS" value="5"' in html
    assert 'id="id_options-__prefix__-text"' in html  # the row template for the script
    assert "js/quiz-authoring.js" in html


def test_file_question_is_read_only_with_a_pointer_to_its_line(course, instructor_client):
    question = Question.objects.get(slug="limits-env-vars-4kb")
    before = question.spec

    page = instructor_client.get(edit_url(question))
    attempt = instructor_client.post(edit_url(question), form_data({**before, "stem": "Hacked"}))

    assert page.status_code == 200
    assert f"edit <code>{question.source}</code>" in page.content.decode()
    assert question.source.startswith("content/quizzes/limits.yaml:")
    assert 'name="stem"' not in page.content.decode()
    assert attempt.status_code == 409
    question.refresh_from_db()
    assert question.spec == before


def test_gift_question_edit_turns_it_into_a_browser_question(course, instructor_client):
    from quizzes.bank import SyncCounts, sync_questions
    from quizzes.spec import parse_question

    spec = parse_question({**QUESTIONS["single"], "slug": "from-gift"}, where="quiz.gift")
    sync_questions([spec], origin="gift", counts=SyncCounts(), retire_missing=False)
    gift_question = Question.objects.get(slug="from-gift")
    changed = {**QUESTIONS["single"], "slug": "from-gift", "stem": "Edited in the browser."}

    instructor_client.post(edit_url(gift_question), form_data(changed))

    gift_question.refresh_from_db()
    assert (gift_question.origin, gift_question.source) == ("browser", "browser:ines")
    assert gift_question.spec["stem"] == "Edited in the browser."


def test_crlf_line_ends_from_the_browser_are_stored_as_lf(course, instructor_client):
    data = form_data(QUESTIONS["single"])
    data["stem"] = "First paragraph.\r\n\r\nSecond paragraph."

    instructor_client.post(create_url("single"), data)

    stored = Question.objects.get(slug="browser-single").spec["stem"]
    assert stored == "First paragraph.\n\nSecond paragraph."


def test_save_and_preview_goes_to_the_preview(course, instructor_client):
    data = form_data(QUESTIONS["ordering"])
    data["preview"] = "1"

    response = instructor_client.post(create_url("ordering"), data)

    saved = Question.objects.get(slug="browser-ordering")
    assert response["Location"] == reverse("quizzes_instructor:preview", args=[saved.pk])


def test_unknown_type_is_404(course, instructor_client):
    assert instructor_client.get(create_url("essay")).status_code == 404


@pytest.mark.parametrize("kind", ["matching", "generated"])
def test_preview_without_saving_shows_the_learner_view_and_key(course, instructor_client, kind):
    from django.template.loader import render_to_string

    from quizzes.rendering import question_context
    from quizzes.spec import parse_question
    from quizzes.variants import variant_for

    data = form_data(QUESTIONS[kind])
    data.update({"try": "1", "seed": "11"})

    response = instructor_client.post(create_url(kind), data)

    html = response.content.decode()
    variant = variant_for(parse_question(QUESTIONS[kind], where="test"), 11)
    learner = render_to_string(
        "quizzes/_question.html", {"question": question_context(variant.public())}
    )
    assert response.status_code == 200
    assert "Preview, not saved (seed 11)" in html
    assert learner in html
    assert f"<strong>Answer:</strong> {variant.key()['expected_display']}" in html.replace(
        "&gt;", ">"
    )
    assert Question.objects.filter(slug=QUESTIONS[kind]["slug"]).exists() is False


def test_preview_without_saving_reports_errors_like_save(course, instructor_client):
    data = form_data({**QUESTIONS["single"], "lessons": ["no-such-lesson"]})
    data["try"] = "1"

    response = instructor_client.post(create_url("single"), data)

    assert response.status_code == 400
    assert "no-such-lesson" in error_for(response.content.decode(), "lessons")
    assert "Preview, not saved" not in response.content.decode()
