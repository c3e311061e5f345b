"""The authoring pages around the editor: permissions, the bank list, preview, GIFT upload
and the YAML export."""

import re

import pytest
import yaml
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from quizzes.models import Question
from quizzes.rendering import question_context
from quizzes.variants import variant_for
from tests.quizzes.authoring.conftest import form_data
from tests.quizzes.authoring.test_editor import QUESTIONS


def page_urls() -> list[tuple[str, str]]:
    question = Question.objects.get(slug="limits-env-vars-4kb")
    return [
        ("GET", reverse("quizzes_instructor:bank")),
        ("GET", reverse("quizzes_instructor:choose_type")),
        ("GET", reverse("quizzes_instructor:create", args=["single"])),
        ("POST", reverse("quizzes_instructor:create", args=["single"])),
        ("GET", reverse("quizzes_instructor:edit", args=[question.pk])),
        ("POST", reverse("quizzes_instructor:edit", args=[question.pk])),
        ("GET", reverse("quizzes_instructor:preview", args=[question.pk])),
        ("POST", reverse("quizzes_instructor:preview", args=[question.pk])),
        ("GET", reverse("quizzes_instructor:gift")),
        ("POST", reverse("quizzes_instructor:gift")),
        ("GET", reverse("quizzes_instructor:export")),
    ]


# --- permissions ------------------------------------------------------------------------------


def test_learners_get_403_on_every_authoring_page_and_nothing_changes(course, learner_client):
    before = Question.objects.count()
    for method, url in page_urls():
        response = getattr(learner_client, method.lower())(url, {"text": "::x::Q {=a#b ~c#d ~e#f}"})
        assert (method, url, response.status_code) == (method, url, 403)
    assert Question.objects.count() == before


def test_anonymous_users_are_sent_to_the_login_page(course):
    client = Client()
    for method, url in page_urls():
        response = getattr(client, method.lower())(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


# --- the bank list ----------------------------------------------------------------------------


def listed_slugs(html: str) -> list[str]:
    return re.findall(r'<a href="/instructor/quizzes/\d+/">([a-z0-9-]+)</a>', html)


def test_bank_lists_questions_with_filters(course, instructor_client):
    instructor_client.post(
        reverse("quizzes_instructor:create", args=["ordering"]), form_data(QUESTIONS["ordering"])
    )
    bank = reverse("quizzes_instructor:bank")

    browser = instructor_client.get(bank, {"origin": "browser"}).content.decode()
    matching_limits = instructor_client.get(
        bank, {"domain": "limits", "type": "matching"}
    ).content.decode()
    generated_auth = instructor_client.get(bank, {"domain": "auth", "type": "generated"})
    searched = instructor_client.get(bank, {"q": "kill-switch"}).content.decode()

    assert listed_slugs(browser) == ["browser-ordering"]
    assert listed_slugs(matching_limits) == ["limits-match-values"]
    assert listed_slugs(generated_auth.content.decode()) == ["gen-authorizer-choice"]
    assert listed_slugs(searched) == ["lambda-config-kill-switch"]


def test_bank_pages_through_the_whole_bank(course, instructor_client):
    total = Question.objects.count()
    first = instructor_client.get(reverse("quizzes_instructor:bank")).content.decode()
    second = instructor_client.get(reverse("quizzes_instructor:bank"), {"page": 2})

    assert f"{total} questions" in first
    assert len(listed_slugs(first)) == 50
    assert set(listed_slugs(first)).isdisjoint(listed_slugs(second.content.decode()))


@pytest.mark.parametrize("count", [1, 6])
def test_bank_list_query_count_does_not_grow_with_rows(
    course, instructor_client, django_assert_num_queries, count
):
    Question.objects.exclude(
        slug__in=list(
            Question.objects.filter(domain="limits").values_list("slug", flat=True)[:count]
        )
    ).delete()
    # session, user, the user's and the group's permissions (instructor check), count, rows
    with django_assert_num_queries(6):
        response = instructor_client.get(reverse("quizzes_instructor:bank"))
    assert len(listed_slugs(response.content.decode())) == count


# --- preview ----------------------------------------------------------------------------------


def learner_part(html: str) -> str:
    start = html.index('data-testid="learner-view">') + len('data-testid="learner-view">')
    return html[start : html.index('<section class="key-panel"')]


@pytest.mark.parametrize(
    "slug", ["limits-match-values", "capacity-order-reads-by-cost", "auth-guest-access-choose-two"]
)
def test_preview_shows_the_learner_partial_and_a_separate_key(course, instructor_client, slug):
    question = Question.objects.get(slug=slug)
    variant = variant_for(question, 5)
    expected = render_to_string(
        "quizzes/_question.html", {"question": question_context(variant.public())}
    )

    html = instructor_client.get(
        reverse("quizzes_instructor:preview", args=[question.pk]), {"seed": 5}
    ).content.decode()

    learner = learner_part(html)
    assert expected in learner
    key = variant.key()
    for secret in _explanations(key):
        assert secret not in learner
    assert "correct" not in learner.lower().replace("check answer", "")
    panel = html[html.index('data-testid="key-panel"') :]
    assert "Answer key" in panel
    assert f"<strong>Answer:</strong> {key['expected_display']}" in panel.replace("&gt;", ">")


def _explanations(key: dict) -> list[str]:
    found = [key["explanation"]] if key.get("explanation") else []
    for group in ("options", "pairs", "items", "mistakes"):
        found += [entry["explanation"] for entry in key.get(group, [])]
    return [text for text in found if text]


def test_preview_of_a_generated_question_follows_the_seed(course, instructor_client):
    question = Question.objects.get(slug="gen-lambda-concurrency")
    url = reverse("quizzes_instructor:preview", args=[question.pk])

    seven = instructor_client.get(url, {"seed": 7}).content.decode()
    eight = instructor_client.get(url, {"seed": 8}).content.decode()

    for seed, html in ((7, seven), (8, eight)):
        variant = variant_for(question, seed)
        rendered = render_to_string(
            "quizzes/_question.html", {"question": question_context(variant.public())}
        )
        assert rendered in learner_part(html)
        assert f"Generated by lambda-concurrency with seed {seed}." in html
    assert learner_part(seven) != learner_part(eight)


def test_preview_answer_shows_the_learner_feedback(course, instructor_client):
    question = Question.objects.get(slug="limits-env-vars-4kb")
    variant = variant_for(question, 2)
    right = variant.expected()

    response = instructor_client.post(
        reverse("quizzes_instructor:preview", args=[question.pk]), {"seed": "2", "answer": right}
    )

    html = response.content.decode()
    assert 'data-testid="feedback"' in html
    assert '<p class="verdict">Correct.</p>' in html
    assert "Read again:" in html


def test_preview_rejects_a_bad_seed(course, instructor_client):
    question = Question.objects.get(slug="limits-env-vars-4kb")

    response = instructor_client.get(
        reverse("quizzes_instructor:preview", args=[question.pk]), {"seed": "-3"}
    )

    assert response.status_code == 400
    assert "The seed must be a whole number" in response.content.decode()


def test_preview_of_a_missing_question_is_404(course, instructor_client):
    assert (
        instructor_client.get(reverse("quizzes_instructor:preview", args=[999999])).status_code
        == 404
    )


# --- GIFT upload ------------------------------------------------------------------------------

GOOD_GIFT = """$CATEGORY: $course$/coldstart/limits/easy

::gift-timeout::A function needs 20 minutes per file. What should the team do? {
  =Split the work into shorter steps#Each step stays under 15 minutes.
  ~Set the timeout to 1,200 seconds#The maximum is 900 seconds.
  ~Add memory#Memory does not extend the timeout.
}

::gift-env-size::Which store suits 6 KB of configuration? {
  =Parameter Store#Environment variables are limited to 4 KB in total.
  ~Environment variables#They cannot exceed 4 KB.
  ~A Lambda layer#Layers hold code, not configuration.
}
"""


def post_gift(client: Client, text: str, **extra):
    return client.post(
        reverse("quizzes_instructor:gift"), {"text": text, "lessons": ["lambda-limits"], **extra}
    )


def test_gift_upload_imports_and_reports_counts(course, instructor_client):
    response = post_gift(instructor_client, GOOD_GIFT)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Imported: 2 created, 0 updated, 0 unchanged." in html
    imported = Question.objects.filter(origin="gift").order_by("slug")
    assert [(q.slug, q.domain, q.difficulty, q.type) for q in imported] == [
        ("gift-env-size", "limits", "easy", "single"),
        ("gift-timeout", "limits", "easy", "single"),
    ]
    assert list(imported[0].lessons.values_list("slug", flat=True)) == ["lambda-limits"]

    again = post_gift(instructor_client, GOOD_GIFT).content.decode()
    assert "Imported: 0 created, 0 updated, 2 unchanged." in again


def test_gift_validate_only_writes_nothing_and_says_what_would_change(course, instructor_client):
    post_gift(instructor_client, GOOD_GIFT.split("::gift-env-size::")[0])
    changed = GOOD_GIFT.replace("What should the team do?", "What now?")

    response = post_gift(instructor_client, changed, check_only="on")

    html = response.content.decode()
    assert "Valid. An import would create 1, update 1 and leave 0 unchanged." in html
    assert "Nothing was written." in html
    assert list(Question.objects.filter(origin="gift").values_list("slug", flat=True)) == [
        "gift-timeout"
    ]
    assert "What should the team do?" in Question.objects.get(slug="gift-timeout").stem


def test_gift_errors_are_listed_with_their_lines_and_nothing_is_imported(course, instructor_client):
    text = GOOD_GIFT + "\n::essay::Describe Lambda. {}\n"

    response = post_gift(instructor_client, text)

    html = response.content.decode()
    assert response.status_code == 400
    assert "1 error; nothing was imported." in html
    assert "<code>pasted text:15</code> an empty answer block {} (essay)" in html
    assert Question.objects.filter(origin="gift").count() == 0


def test_gift_uploaded_file_is_read(course, instructor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("limits.gift", GOOD_GIFT.encode(), content_type="text/plain")

    response = instructor_client.post(
        reverse("quizzes_instructor:gift"), {"file": upload, "lessons": ["lambda-limits"]}
    )

    assert "Imported: 2 created" in response.content.decode()


def test_gift_upload_without_input_asks_for_it(course, instructor_client):
    response = instructor_client.post(reverse("quizzes_instructor:gift"), {})

    assert response.status_code == 400
    assert "Choose a GIFT file or paste GIFT text." in response.content.decode()


# --- export -----------------------------------------------------------------------------------


def test_export_downloads_browser_questions_in_the_import_format(course, instructor_client):
    for kind in ("single", "numeric"):
        instructor_client.post(
            reverse("quizzes_instructor:create", args=[kind]), form_data(QUESTIONS[kind])
        )

    response = instructor_client.get(reverse("quizzes_instructor:export"))

    assert response["Content-Disposition"] == 'attachment; filename="browser.yaml"'
    assert yaml.safe_load(response.content) == {
        "questions": [QUESTIONS["numeric"], QUESTIONS["single"]]
    }
