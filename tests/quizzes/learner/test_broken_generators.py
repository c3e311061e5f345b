"""A generator that fails never gives a learner a 500: practice draws another question (and
logs the broken one), an exam shows the question as not built and leaves it out of the
score."""

import dataclasses
import logging

import pytest

from quizzes import exams, practice
from quizzes.generators import FAMILIES
from quizzes.models import PracticeAnswer, PracticeCard

from .conftest import autosave, single

LIMITS = practice.Scope(domains=("limits",))


def generated(slug: str) -> dict:
    return {
        "slug": slug,
        "type": "generated",
        "domain": "limits",
        "difficulty": "medium",
        "lessons": ["lambda-limits"],
        "generator": "lambda-cost",
    }


@pytest.fixture
def broken_family(monkeypatch):
    """lambda-cost raises for every seed, as a family with a bug would."""

    def explode(rng, params, facts):
        raise ZeroDivisionError("the family divided by zero")

    family = dataclasses.replace(FAMILIES["lambda-cost"], build=explode)
    monkeypatch.setitem(FAMILIES, "lambda-cost", family)


def test_practice_skips_a_question_whose_generator_fails(
    only_questions, broken_family, learner, lena_client, caplog
):
    static, broken = only_questions(single("still-fine"), generated("gen-broken"))
    # Due first, so the draw tries the broken question before the good one.
    PracticeCard.objects.create(user=learner, question=broken, box=1, due_step=0)
    with caplog.at_level(logging.ERROR, logger="quizzes.practice"):
        response = lena_client.post("/quizzes/practice/next/", {"domain": "limits"})
    pending = PracticeAnswer.objects.get(user=learner, answered_at__isnull=True)
    assert response.status_code == 302
    assert response.url == pending.get_absolute_url()
    assert pending.question == static
    assert "gen-broken: generator 'lambda-cost' failed" in caplog.text
    assert "ZeroDivisionError: the family divided by zero" in caplog.text
    page = lena_client.get(pending.get_absolute_url())
    assert page.status_code == 200
    assert "Scenario still-fine" in page.content.decode()


def test_practice_with_only_broken_questions_says_so(
    only_questions, broken_family, learner, lena_client
):
    only_questions(generated("gen-broken"))
    response = lena_client.post("/quizzes/practice/next/", {"domain": "limits"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/quizzes/practice/", 302)]
    assert "No question for Limits and quotas could be prepared just now" in (
        response.content.decode()
    )
    assert not PracticeAnswer.objects.filter(user=learner).exists()


def test_a_practice_question_that_no_longer_builds_is_replaced(
    only_questions, learner, lena_client, caplog
):
    only_questions(single("q-one"), single("q-two"))
    drawn = practice.draw_question(user=learner, scope=LIMITS)
    # A snapshot that does not read as a question any more (e.g. written by older code).
    PracticeAnswer.objects.filter(pk=drawn.pk).update(spec={"slug": "q-one", "type": "single"})
    with caplog.at_level(logging.ERROR, logger="quizzes.practice"):
        response = lena_client.get(drawn.get_absolute_url(), follow=True)
    assert response.status_code == 200
    fresh = PracticeAnswer.objects.get(user=learner, answered_at__isnull=True)
    assert fresh.pk != drawn.pk
    assert fresh.question_id != drawn.question_id
    assert response.redirect_chain == [(fresh.get_absolute_url(), 302)]
    assert "That question could not be shown, so here is another one." in (
        response.content.decode()
    )
    assert f"practice {drawn.pk} (question {drawn.question_id}) cannot be shown" in caplog.text
    assert not PracticeAnswer.objects.filter(pk=drawn.pk).exists()


def test_an_answered_practice_question_that_no_longer_builds_is_not_an_error_page(
    only_questions, learner, lena_client
):
    only_questions(single("q-one"))
    drawn = practice.draw_question(user=learner, scope=LIMITS)
    practice.submit_answer(practice=drawn, answer=drawn.variant().expected())
    PracticeAnswer.objects.filter(pk=drawn.pk).update(spec={})
    response = lena_client.get(drawn.get_absolute_url(), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/quizzes/practice/", 302)]
    assert "That practice question can no longer be shown." in response.content.decode()
    assert PracticeAnswer.objects.filter(pk=drawn.pk, correct=True).exists()


def test_an_exam_question_that_cannot_be_built_is_shown_and_not_scored(
    only_questions, make_exam, broken_family, learner, lena_client, caplog
):
    only_questions(single("exam-a"), single("exam-b"), generated("gen-broken"))
    exam = make_exam(questions=3, blueprint={"limits": 1})
    with caplog.at_level(logging.ERROR, logger="quizzes.exams"):
        response = lena_client.post(f"/quizzes/exams/{exam.slug}/start/")
    attempt = exams.ExamAttempt.objects.get(user=learner)
    assert response.status_code == 302
    assert "gen-broken: generator 'lambda-cost' failed" in caplog.text
    items = {item.question.slug: item for item in attempt.items.select_related("question")}
    broken = items["gen-broken"]
    assert broken.spec["type"] == "generated"

    page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/{broken.position}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "This question could not be built; it will not count against you." in html
    # The form still moves on (no answer to save for this question).
    moved = lena_client.post(
        f"/quizzes/attempts/{attempt.pk}/q/{broken.position}/", {"go": "review", "version": "0"}
    )
    assert moved.status_code == 302
    assert moved.url == f"/quizzes/attempts/{attempt.pk}/review/"

    for slug in ("exam-a", "exam-b"):
        item = items[slug]
        answer = item.variant().expected()
        assert autosave(lena_client, attempt, item.position, answer=answer).status_code == 200
    review = lena_client.get(f"/quizzes/attempts/{attempt.pk}/review/").content.decode()
    assert '<strong data-testid="unanswered-count">0</strong>' in review
    assert '<strong data-testid="unbuilt-count">1</strong> could not be built' in review
    confirm = lena_client.get(f"/quizzes/attempts/{attempt.pk}/submit/").content.decode()
    assert "count as wrong" not in confirm
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    # 2 of the 2 questions that could be built: full marks, the broken one left out.
    assert (attempt.correct_count, attempt.scaled_score, attempt.passed) == (2, 1000, True)
    assert attempt.breakdown == [
        {"domain": "limits", "label": "Limits and quotas", "correct": 2, "total": 2}
    ]
    broken.refresh_from_db()
    assert broken.correct is None
    result = lena_client.get(f"/quizzes/attempts/{attempt.pk}/result/")
    text = result.content.decode()
    assert result.status_code == 200
    assert "2 of 2 correct" in text
    assert "1 question could not be built and was left out of the score." in text
    assert "This question could not be built, so it was not scored." in text
