"""Odd input and cross-page loopholes found in review: each gets a clear answer, never a 500
and never the key of an open attempt."""

import pytest

from quizzes import exams, practice
from quizzes.models import AttemptItem

from .conftest import autosave, save_url, single


@pytest.fixture
def attempt(only_questions, learner, make_exam):
    only_questions(*(single(f"hard-{n}", domain="limits") for n in range(3)))
    return exams.start_attempt(
        user=learner, exam=make_exam(questions=3, minutes=30, blueprint={"limits": 1})
    )


def test_autosave_refuses_nan_and_infinity_and_stores_nothing(attempt, lena_client):
    for literal in ("NaN", "Infinity", "-Infinity"):
        response = lena_client.post(
            save_url(attempt, 1),
            data='{"answer": ' + literal + ', "version": 0}',
            content_type="application/json",
        )
        assert (response.status_code, response.json()) == (
            400,
            {"error": "This answer is not a number we can store: send digits."},
        )
    assert AttemptItem.objects.get(attempt=attempt, position=1).answer is None


def test_autosave_refuses_absurdly_nested_json(attempt, lena_client):
    response = lena_client.post(
        save_url(attempt, 1), data="[" * 50_000 + "]" * 50_000, content_type="application/json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "The request body is not JSON."},
    )


def test_non_ascii_digits_in_form_fields_are_ignored_not_a_crash(attempt, lena_client):
    url = f"/quizzes/attempts/{attempt.pk}/q/1/"
    response = lena_client.post(url, {"answer": "a", "version": "²", "go": "²"})
    assert response.status_code == 302
    assert AttemptItem.objects.get(attempt=attempt, position=1).answer == "a"
    assert autosave(lena_client, attempt, 2, answer="b", version=0).status_code == 200


def test_a_second_exam_cannot_start_while_one_is_open(attempt, learner, make_exam):
    other = make_exam(questions=3, minutes=30, blueprint={"limits": 1}, slug="other-exam")
    with pytest.raises(exams.ExamError) as refused:
        exams.start_or_resume(user=learner, exam=other)
    assert str(refused.value) == (
        f"You have an exam in progress ({attempt.exam.title}); submit it or let its time run "
        "out before starting another."
    )
    # The same exam resumes; once submitted, the other one may start.
    assert exams.start_or_resume(user=learner, exam=attempt.exam) == attempt
    exams.submit_attempt(attempt=attempt)
    assert exams.start_or_resume(user=learner, exam=other).exam == other


def test_practice_never_draws_a_question_of_the_open_exam(attempt, learner):
    in_exam = set(attempt.items.values_list("question_id", flat=True))
    scope = practice.Scope.parse(domains=["limits"], lesson="")
    with pytest.raises(practice.PracticeError) as refused:
        practice.draw_question(user=learner, scope=scope, seed=1)
    # All three limits questions are in the open exam, so there is nothing left to practise.
    assert str(refused.value) == (
        f"The questions for {scope.describe()} are in your open exam; practise them after you "
        "submit it."
    )
    exams.submit_attempt(attempt=attempt)
    drawn = practice.draw_question(user=learner, scope=scope, seed=1)
    assert drawn.question_id in in_exam
