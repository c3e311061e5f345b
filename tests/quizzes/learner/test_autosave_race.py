"""The one-statement autosave (exams.quick_save_answer) against an attempt being closed at
the same moment, with two real database connections (SQLite and PostgreSQL passes).

close_attempt is paused inside its transaction, after it has locked and re-versioned the
items and while it scores them; the autosave sent then must neither be stored nor answer
"saved": it waits for the close and then matches no row."""

import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from courses.importer import import_content
from quizzes import exams
from quizzes.models import AttemptItem, Exam, ExamAttempt


@pytest.mark.django_db(transaction=True)
def test_an_autosave_during_a_close_is_neither_stored_nor_acknowledged(monkeypatch):
    import_content(settings.CONTENT_DIR)
    # No role group: a transactional test before this one may have flushed them, and
    # starting an attempt does not check roles.
    learner = User.objects.create_user(username="racer", password="racer-pass-123")
    attempt = exams.start_attempt(user=learner, exam=Exam.objects.get(slug="mini-exam"))
    session = SessionStore()
    session["_auth_user_id"] = str(learner.pk)
    session.create()
    scoring, release = threading.Event(), threading.Event()
    real_grade = exams.grade

    def slow_grade(variant, answer):
        scoring.set()
        assert release.wait(20), "the test never released the close"
        return real_grade(variant, answer)

    monkeypatch.setattr(exams, "grade", slow_grade)
    outcome: dict = {}

    def close() -> None:
        try:
            outcome["closed"] = exams.submit_attempt(attempt=attempt)
        finally:
            connection.close()

    def save() -> None:
        try:
            outcome["saved"] = exams.quick_save_answer(
                user_id=learner.pk,
                session_key=session.session_key,
                attempt_pk=attempt.pk,
                position=1,
                answer="b",
                base_version=0,
            )
        finally:
            connection.close()

    closer = threading.Thread(target=close)
    closer.start()
    assert scoring.wait(20), "close_attempt never reached scoring"
    saver = threading.Thread(target=save)
    saver.start()
    saver.join(1)  # give the autosave time to reach the database and wait on the lock
    release.set()
    closer.join(30)
    saver.join(30)
    assert not closer.is_alive() and not saver.is_alive()
    assert outcome["saved"] is None
    attempt.refresh_from_db()
    assert attempt.status == ExamAttempt.Status.SUBMITTED
    first = AttemptItem.objects.get(attempt=attempt, position=1)
    assert (first.answer, first.version, first.correct) == (None, 1, False)
    # The full path then tells the tab why: the attempt is closed.
    with pytest.raises(exams.ExamClosed, match="has been submitted"):
        exams.save_answer(attempt=attempt, position=1, answer="b", base_version=0)
