"""Query counts of the exam's hot paths stay constant whatever the exam's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes import exams

from .conftest import autosave, single, token_header


@pytest.fixture
def attempts(only_questions, learner, make_exam):
    only_questions(*(single(f"qc-{n}", domain="limits") for n in range(65)))
    small = exams.start_attempt(user=learner, exam=make_exam(questions=3, blueprint={"limits": 1}))
    large = exams.start_attempt(
        user=learner, exam=make_exam(slug="big", questions=65, blueprint={"limits": 1})
    )
    return small, large


def count(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = callable_()
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def test_question_page_queries_do_not_grow_with_the_exam(attempts, lena_client):
    small, large = attempts
    # session, user, attempt+exam, item+question, the navigator's positions, and the two
    # permission queries of the site header's instructor check.
    expected = 7
    assert count(lambda: lena_client.get(f"/quizzes/attempts/{small.pk}/q/2/")) == expected
    assert count(lambda: lena_client.get(f"/quizzes/attempts/{large.pk}/q/40/")) == expected


def test_autosave_queries_do_not_grow_with_the_exam(attempts, lena_client):
    small, large = attempts
    # With the page's token: the one conditional UPDATE (exams.quick_save_answer), and
    # neither the session nor the user is read.
    small_token, large_token = token_header(lena_client, small), token_header(lena_client, large)
    first_small = count(
        lambda: autosave(lena_client, small, 2, answer="b", version=0, headers=small_token)
    )
    first_large = count(
        lambda: autosave(lena_client, large, 40, answer="b", version=0, headers=large_token)
    )
    assert first_small == first_large == 1
    # The same answer again writes nothing: the UPDATE matches no row, and the full path
    # reads the session, the user, the attempt with its exam and the item ("unchanged").
    assert (
        count(lambda: autosave(lena_client, large, 40, answer="b", version=1, headers=large_token))
        == 5
    )
    # A stale tab: the UPDATE matches nothing, then the full path (session, user, attempt,
    # item) and the open-attempt check before the 409.
    with CaptureQueriesContext(connection) as queries:
        stale = autosave(lena_client, large, 40, answer="c", version=0, headers=large_token)
    assert (stale.status_code, len(queries)) == (409, 6)


def test_review_page_queries_do_not_grow_with_the_exam(attempts, lena_client):
    small, large = attempts
    # session, user, attempt+exam, the positions, the header's two permission queries
    assert count(lambda: lena_client.get(f"/quizzes/attempts/{small.pk}/review/")) == 6
    assert count(lambda: lena_client.get(f"/quizzes/attempts/{large.pk}/review/")) == 6


def test_quiz_home_lists_attempts_in_constant_queries(course, learner, lena_client):
    exam = exams.Exam.objects.get(slug="mini-exam")
    exams.start_attempt(user=learner, exam=exam)
    # session, user, exams, the attempts with their exam, the header's two permission queries
    assert count(lambda: lena_client.get("/quizzes/")) == 6
    for _ in range(3):
        exams.start_attempt(user=learner, exam=exam)
    response = lena_client.get("/quizzes/")
    assert response.content.decode().count("Ten-question mini exam</a>") == 4
    assert count(lambda: lena_client.get("/quizzes/")) == 6


def test_result_page_queries_do_not_grow_with_the_exam(attempts, lena_client):
    small, large = attempts
    for attempt in attempts:
        lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    # session, user, attempt+exam, lesson titles, items (each with its snapshot: no question
    # or fact is read), header permissions (2)
    assert count(lambda: lena_client.get(f"/quizzes/attempts/{small.pk}/result/")) == 7
    assert count(lambda: lena_client.get(f"/quizzes/attempts/{large.pk}/result/")) == 7
