"""A learner sees only their own attempts and practice; anonymous visitors log in first."""

from datetime import timedelta

import pytest

from quizzes import exams, practice
from quizzes.models import AttemptItem, Exam, ExamAttempt

from .conftest import autosave


@pytest.fixture
def lenas_attempt(course, learner):
    return exams.start_attempt(user=learner, exam=Exam.objects.get(slug="mini-exam"))


def attempt_urls(attempt) -> list[tuple[str, str]]:
    base = f"/quizzes/attempts/{attempt.pk}"
    return [
        ("get", f"{base}/"),
        ("get", f"{base}/q/1/"),
        ("post", f"{base}/q/1/"),
        ("get", f"{base}/clock/"),
        ("get", f"{base}/review/"),
        ("get", f"{base}/submit/"),
        ("post", f"{base}/submit/"),
        ("get", f"{base}/result/"),
    ]


def test_another_learners_attempt_is_404_everywhere(lenas_attempt, omar_client):
    for method, url in attempt_urls(lenas_attempt):
        assert getattr(omar_client, method)(url).status_code == 404, (method, url)
    assert autosave(omar_client, lenas_attempt, 1, answer="a", version=0).status_code == 404
    lenas_attempt.refresh_from_db()
    assert lenas_attempt.is_open
    assert not AttemptItem.objects.filter(attempt=lenas_attempt, version__gt=0).exists()


def test_another_learners_closed_attempt_result_is_404(lenas_attempt, lena_client, omar_client):
    lena_client.post(f"/quizzes/attempts/{lenas_attempt.pk}/submit/")
    assert lena_client.get(f"/quizzes/attempts/{lenas_attempt.pk}/result/").status_code == 200
    assert omar_client.get(f"/quizzes/attempts/{lenas_attempt.pk}/result/").status_code == 404


def test_another_learners_practice_question_is_404(course, learner, omar_client):
    item = practice.draw_question(user=learner, scope=practice.Scope())
    assert omar_client.get(f"/quizzes/practice/{item.pk}/").status_code == 404
    assert omar_client.post(f"/quizzes/practice/{item.pk}/", {"answer": "a"}).status_code == 404
    item.refresh_from_db()
    assert item.answered_at is None


def test_anonymous_visitors_are_sent_to_log_in(lenas_attempt, client):
    urls = [
        ("get", "/quizzes/"),
        ("get", "/quizzes/practice/"),
        ("post", "/quizzes/practice/next/"),
        ("post", "/quizzes/exams/mini-exam/start/"),
        *attempt_urls(lenas_attempt),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_home_lists_only_my_attempts(lenas_attempt, other_learner, omar_client, lena_client):
    omars = exams.start_attempt(user=other_learner, exam=Exam.objects.get(slug="mini-exam"))
    mine = lena_client.get("/quizzes/").content.decode()
    theirs = omar_client.get("/quizzes/").content.decode()
    assert f'href="/quizzes/attempts/{lenas_attempt.pk}/"' in mine
    assert f'href="/quizzes/attempts/{omars.pk}/"' not in mine
    assert f'href="/quizzes/attempts/{omars.pk}/"' in theirs
    assert f'href="/quizzes/attempts/{lenas_attempt.pk}/"' not in theirs


def test_starting_an_exam_twice_resumes_the_running_attempt(course, learner, lena_client):
    response = lena_client.post("/quizzes/exams/mini-exam/start/")
    attempt = learner.exam_attempts.get()
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/"
    assert lena_client.get(response["Location"])["Location"] == (
        f"/quizzes/attempts/{attempt.pk}/q/1/"
    )
    assert (attempt.question_count, attempt.items.count()) == (10, 10)
    # A double click or a second tab: the same attempt, which opens at the first unanswered.
    AttemptItem.objects.filter(attempt=attempt, position=1).update(answer="a", version=1)
    again = lena_client.post("/quizzes/exams/mini-exam/start/")
    assert again["Location"] == f"/quizzes/attempts/{attempt.pk}/"
    assert lena_client.get(again["Location"])["Location"] == f"/quizzes/attempts/{attempt.pk}/q/2/"
    assert learner.exam_attempts.count() == 1
    assert "Resume Ten-question mini exam</button>" in lena_client.get("/quizzes/").content.decode()
    assert lena_client.post("/quizzes/exams/no-such-exam/start/").status_code == 404


def test_starting_after_the_deadline_closes_the_old_attempt_and_opens_a_new_one(
    course, learner, lena_client
):
    old = exams.start_attempt(user=learner, exam=Exam.objects.get(slug="mini-exam"))
    ExamAttempt.objects.filter(pk=old.pk).update(
        started_at=old.started_at - timedelta(hours=1), deadline=old.deadline - timedelta(hours=1)
    )
    response = lena_client.post("/quizzes/exams/mini-exam/start/")
    new = learner.exam_attempts.exclude(pk=old.pk).get()
    assert response["Location"] == f"/quizzes/attempts/{new.pk}/"
    old.refresh_from_db()
    assert (old.status, old.scaled_score, new.status) == ("expired", 100, "open")
