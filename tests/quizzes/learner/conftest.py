"""Fixtures for the learner quiz tests: controlled questions and exams on top of the real
course, and logged-in clients."""

import json

import pytest
from django.conf import settings
from django.test import Client

from quizzes import exams
from quizzes.bank import SyncCounts, sync_questions
from quizzes.models import Exam, Question
from quizzes.spec import parse_question


def single(slug: str, *, domain: str = "limits", lesson: str = "lambda-limits", right: int = 0):
    """A single-answer question whose texts all carry the slug, so tests can find them."""
    return {
        "slug": slug,
        "type": "single",
        "domain": domain,
        "difficulty": "easy",
        "stem": f"Scenario {slug}: which option fits?",
        "lessons": [lesson],
        "options": [
            {
                "text": f"{slug} option {i}",
                "correct": i == right,
                "explanation": f"{slug} reason {i} {'RIGHT' if i == right else 'WRONG'}",
            }
            for i in range(4)
        ],
        "explanation": f"{slug} overall explanation",
    }


def add_questions(*data: dict) -> list[Question]:
    specs = [parse_question(d, where="test") for d in data]
    made = sync_questions(specs, origin="browser", counts=SyncCounts(), retire_missing=False)
    return [made[s.slug] for s in specs]


@pytest.fixture
def only_questions(course):
    """Retire the shipped bank (rolled back after the test) and add the given questions."""

    def only(*data: dict) -> list[Question]:
        Question.objects.update(is_active=False)
        return add_questions(*data)

    return only


@pytest.fixture
def make_exam(course):
    def make(*, questions: int = 10, minutes: int = 20, blueprint=None, **extra) -> Exam:
        return Exam.objects.create(
            slug=extra.pop("slug", f"test-exam-{questions}"),
            title=extra.pop("title", f"Test exam of {questions}"),
            question_count=questions,
            minutes=minutes,
            blueprint=blueprint or {"limits": 1, "auth": 1, "capacity": 1},
            **extra,
        )

    return make


@pytest.fixture
def lena_client(learner) -> Client:
    client = Client()
    client.force_login(learner)
    return client


@pytest.fixture
def omar_client(other_learner) -> Client:
    client = Client()
    client.force_login(other_learner)
    return client


def right_answer(item) -> str:
    """The display key of the right option of a single-answer attempt item."""
    return item.variant().expected()


def wrong_answer(item) -> str:
    right = right_answer(item)
    return next(k for k in "abcd" if k != right)


def save_url(attempt, position: int) -> str:
    return f"/quizzes/attempts/{attempt.pk}/q/{position}/save/"


def token_header(client, attempt) -> dict:
    """The autosave token header, as the question page hands it out: only to the session of
    the attempt's owner."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None or client.session.get("_auth_user_id") != str(attempt.user_id):
        return {}
    return {"X-Autosave-Token": exams.autosave_token(attempt=attempt, session_key=cookie.value)}


def autosave(client, attempt, position: int, *, token: bool = True, headers=None, **payload):
    """POST what exam.js posts: the JSON body and the page's autosave token (token=False:
    without it; headers: precomputed token_header, so no query is spent on it)."""
    if headers is None:
        headers = token_header(client, attempt) if token else {}
    return client.post(
        save_url(attempt, position),
        data=json.dumps(payload),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def learner_session(learner) -> str:
    """A stored session of the learner (the quick autosave checks that it exists)."""
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["_auth_user_id"] = str(learner.pk)
    store.create()
    return store.session_key
