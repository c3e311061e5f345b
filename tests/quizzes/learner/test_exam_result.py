"""Submitting an attempt: scaled score, pass/fail, per-domain breakdown, full review."""

import pytest
from django.utils.html import escape

from quizzes import exams
from quizzes.models import AttemptItem

from .conftest import autosave, right_answer, single, wrong_answer


@pytest.fixture
def attempt(only_questions, learner, make_exam):
    only_questions(
        single("res-l1", domain="limits"),
        single("res-l2", domain="limits"),
        single("res-a1", domain="auth", lesson="apigateway-endpoint-types"),
        single("res-c1", domain="capacity"),
    )
    exam = make_exam(questions=4, blueprint={"limits": 2, "auth": 1, "capacity": 1})
    return exams.start_attempt(user=learner, exam=exam)


def by_slug(attempt) -> dict[str, AttemptItem]:
    return {i.question.slug: i for i in attempt.items.select_related("question")}


def test_submit_scores_scales_and_breaks_down_by_domain(attempt, lena_client):
    items = by_slug(attempt)
    autosave(
        lena_client,
        attempt,
        items["res-l1"].position,
        answer=right_answer(items["res-l1"]),
        version=0,
    )
    autosave(
        lena_client,
        attempt,
        items["res-l2"].position,
        answer=wrong_answer(items["res-l2"]),
        version=0,
    )
    autosave(
        lena_client,
        attempt,
        items["res-a1"].position,
        answer=right_answer(items["res-a1"]),
        version=0,
    )

    confirm = lena_client.get(f"/quizzes/attempts/{attempt.pk}/submit/").content.decode()
    assert "You have <strong>1</strong> unanswered question;" in confirm
    response = lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/result/"

    attempt.refresh_from_db()
    # 2 of 4 = 0.5 -> 100 + 620 * 0.5 / 0.72 = 530.6
    assert (attempt.status, attempt.correct_count, attempt.scaled_score, attempt.passed) == (
        "submitted",
        2,
        531,
        False,
    )
    assert attempt.breakdown == [
        {"domain": "auth", "label": "Authentication and authorization", "correct": 1, "total": 1},
        {"domain": "capacity", "label": "Capacity units", "correct": 0, "total": 1},
        {"domain": "limits", "label": "Limits and quotas", "correct": 1, "total": 2},
    ]
    assert {slug: i.correct for slug, i in by_slug(attempt).items()} == {
        "res-l1": True,
        "res-l2": False,
        "res-a1": True,
        "res-c1": False,
    }
    # Submitting again changes nothing.
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.scaled_score) == (2, 531)


def test_result_page_reviews_every_question_with_key_and_explanations(attempt, lena_client):
    items = by_slug(attempt)
    for slug in ("res-l1", "res-l2", "res-a1", "res-c1"):
        autosave(
            lena_client, attempt, items[slug].position, answer=right_answer(items[slug]), version=0
        )
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()

    assert '<span data-testid="scaled-score">1000</span>' in page
    assert '<p class="verdict" data-testid="verdict">Pass · pass mark 720</p>' in page
    assert "<td>Limits and quotas</td><td>2 of 2</td>" in page
    for slug in items:
        assert escape(f"Scenario {slug}: which option fits?") in page
        assert f"{slug} overall explanation" in page
        for i in range(4):
            assert f"{slug} option {i}" in page
            assert f"{slug} reason {i}" in page
    assert page.count('<p class="verdict">Correct.</p>') == 4
    assert 'href="/lessons/apigateway-endpoint-types/"' in page


def test_unanswered_and_wrong_answers_show_the_key(attempt, lena_client):
    items = by_slug(attempt)
    autosave(
        lena_client,
        attempt,
        items["res-l2"].position,
        answer=wrong_answer(items["res-l2"]),
        version=0,
    )
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert '<span data-testid="scaled-score">100</span>' in page
    assert page.count('<p class="verdict">Not answered.</p>') == 3
    assert page.count('<p class="verdict">Incorrect.</p>') == 1
    right = right_answer(items["res-l2"])
    assert f"<strong>Correct answer:</strong> {right.upper()}. res-l2 option 0" in page


def test_open_attempt_pages_redirect_once_closed(attempt, lena_client):
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    for url in ("", "q/1/", "review/", "submit/"):
        response = lena_client.get(f"/quizzes/attempts/{attempt.pk}/{url}")
        assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/result/", url
    refused = autosave(lena_client, attempt, 1, answer="a", version=0)
    assert refused.status_code == 403
    assert (
        refused.json()["error"] == "This attempt has been submitted; answers can no longer change."
    )
