"""The server's clock: answers until the deadline plus grace, then the attempt closes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils.html import escape

from quizzes import exams, tasks
from quizzes.models import ExamAttempt

from .conftest import autosave, right_answer, single

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def four_questions(only_questions):
    return only_questions(
        single("clock-l1", domain="limits"),
        single("clock-l2", domain="limits"),
        single("clock-a1", domain="auth"),
        single("clock-c1", domain="capacity"),
    )


@pytest.fixture
def attempt(four_questions, learner, make_exam):
    exam = make_exam(questions=4, minutes=20, blueprint={"limits": 2, "auth": 1, "capacity": 1})
    with time_machine.travel(T0, tick=False):
        return exams.start_attempt(user=learner, exam=exam)


def test_page_shows_the_servers_remaining_time(attempt, lena_client):
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=30), tick=False):
        page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/1/").content.decode()
        clock = lena_client.get(f"/quizzes/attempts/{attempt.pk}/clock/").json()
    assert 'data-remaining="870"' in page
    assert 'Time left: <strong class="clock-value">15 min</strong>' in page
    assert clock == {
        "open": True,
        "remaining_seconds": 870,
        "remaining_minutes": 15,
        "deadline": "2026-03-02T09:20:00+00:00",
    }


def test_answers_are_taken_until_the_deadline_and_during_the_grace_only(attempt, lena_client):
    item1, item2, item3 = attempt.items.order_by("position")[:3]
    with time_machine.travel(T0 + timedelta(minutes=19, seconds=59), tick=False):
        before = autosave(lena_client, attempt, 1, answer=right_answer(item1), version=0)
    with time_machine.travel(T0 + timedelta(minutes=20, seconds=30), tick=False):
        grace = autosave(lena_client, attempt, 2, answer=right_answer(item2), version=0)
        grace_clock = lena_client.get(f"/quizzes/attempts/{attempt.pk}/clock/").json()
    with time_machine.travel(T0 + timedelta(minutes=20, seconds=31), tick=False):
        late = autosave(lena_client, attempt, 3, answer=right_answer(item3), version=0)

    assert (before.status_code, before.json()["saved"], before.json()["version"]) == (200, True, 1)
    assert (grace.status_code, grace.json()["saved"], grace.json()["version"]) == (200, True, 1)
    assert (grace_clock["open"], grace_clock["remaining_seconds"]) == (True, 0)
    assert late.status_code == 403
    assert late.json() == {
        "error": "Time is up: the exam's deadline has passed, so this answer was not saved. "
        "The attempt has been closed and scored.",
        "closed": True,
        "result_url": f"/quizzes/attempts/{attempt.pk}/result/",
    }
    item3.refresh_from_db()
    assert item3.answer is None
    attempt.refresh_from_db()
    assert attempt.status == ExamAttempt.Status.EXPIRED
    assert attempt.correct_count == 2
    assert attempt.closed_at == T0 + timedelta(minutes=20, seconds=31)


def test_form_post_after_the_grace_is_refused_and_shows_the_result(attempt, lena_client):
    item = attempt.items.get(position=1)
    with time_machine.travel(T0 + timedelta(minutes=25), tick=False):
        response = lena_client.post(
            f"/quizzes/attempts/{attempt.pk}/q/1/",
            {"answer": right_answer(item), "version": "0", "go": "next"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == f"/quizzes/attempts/{attempt.pk}/result/"
    assert escape(exams.TIME_IS_UP) in response.content.decode()
    item.refresh_from_db()
    assert item.answer is None


def test_an_expired_attempt_is_closed_and_scored_on_the_next_access(attempt, lena_client):
    item = attempt.items.get(position=1)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        autosave(lena_client, attempt, 1, answer=right_answer(item), version=0)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        response = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/2/")
    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert (attempt.status, attempt.correct_count, attempt.question_count) == ("expired", 1, 4)
    # 1 of 4 = 0.25 -> 100 + 620 * 0.25 / 0.72 = 315.3
    assert (attempt.scaled_score, attempt.passed) == (315, False)
    assert attempt.closed_at == T0 + timedelta(hours=3)


def test_the_periodic_task_closes_only_attempts_past_deadline_and_grace(
    four_questions, learner, other_learner, make_exam
):
    exam = make_exam(questions=4, minutes=20, blueprint={"limits": 2, "auth": 1, "capacity": 1})
    with time_machine.travel(T0, tick=False):
        old = exams.start_attempt(user=learner, exam=exam)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        recent = exams.start_attempt(user=other_learner, exam=exam)
    with time_machine.travel(T0 + timedelta(minutes=20, seconds=45), tick=False):
        assert tasks.close_expired_attempts() == 1
        assert tasks.close_expired_attempts() == 0  # closing twice scores once
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.correct_count, old.scaled_score) == ("expired", 0, 100)
    assert recent.status == "open" and recent.scaled_score is None


def test_submitting_within_the_grace_counts_as_submitted(attempt, lena_client):
    with time_machine.travel(T0 + timedelta(minutes=20, seconds=10), tick=False):
        response = lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    assert response["Location"] == f"/quizzes/attempts/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert attempt.status == "submitted"


def test_beat_runs_the_closing_task_every_minute(settings):
    scheduled = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == tasks.close_expired_attempts.name
    ]
    assert tasks.close_expired_attempts.name == "quizzes.tasks.close_expired_attempts"
    assert [e["schedule"] for e in scheduled] == [60.0]
