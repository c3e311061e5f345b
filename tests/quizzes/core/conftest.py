"""Question dicts of every type in the YAML shape, for the core quiz tests."""

import copy

import pytest

BASE = {"domain": "limits", "difficulty": "medium", "lessons": ["lambda-limits"]}

QUESTIONS = {
    "single": {
        "slug": "single-q",
        "type": "single",
        "stem": "Which one?",
        "options": [
            {"text": "Right", "correct": True, "explanation": "Because right."},
            {"text": "Wrong one", "correct": False, "explanation": "Because wrong 1."},
            {"text": "Wrong two", "correct": False, "explanation": "Because wrong 2."},
        ],
    },
    "multiple": {
        "slug": "multiple-q",
        "type": "multiple",
        "stem": "Which two?",
        "options": [
            {"text": "Yes A", "correct": True, "explanation": "A is right."},
            {"text": "No B", "correct": False, "explanation": "B is wrong."},
            {"text": "Yes C", "correct": True, "explanation": "C is right."},
            {"text": "No D", "correct": False, "explanation": "D is wrong."},
        ],
    },
    "numeric": {
        "slug": "numeric-q",
        "type": "numeric",
        "stem": "How many RCUs?",
        "answer": 1200,
        "tolerance": 0.5,
        "unit": "RCU",
        "mistakes": [{"value": 600, "explanation": "That is eventual consistency."}],
        "explanation": "Strong reads of 4 KB cost one RCU each.",
    },
    "matching": {
        "slug": "matching-q",
        "type": "matching",
        "stem": "Match them.",
        "pairs": [
            {"left": "L1", "right": "R1", "explanation": "One goes with one."},
            {"left": "L2", "right": "R2", "explanation": "Two goes with two."},
            {"left": "L3", "right": "R3", "explanation": "Three goes with three."},
        ],
        "extra_right": ["R4"],
    },
    "ordering": {
        "slug": "ordering-q",
        "type": "ordering",
        "stem": "Put in order.",
        "items": [
            {"text": "First", "explanation": "Starts it."},
            {"text": "Second", "explanation": "Follows."},
            {"text": "Third", "explanation": "Ends it."},
        ],
    },
}


def question_data(qtype: str, **overrides) -> dict:
    data = {**copy.deepcopy(BASE), **copy.deepcopy(QUESTIONS[qtype])}
    data.update(overrides)
    return data


@pytest.fixture
def make_question():
    return question_data


@pytest.fixture
def quiz_extension_only(settings):
    """Imports in these tests run the quiz extension alone: the other extensions (labs) have
    their own tests, and their cost or work in progress should not decide ours."""
    settings.COLDSTART_CONTENT_EXTENSIONS = ["quizzes.content.QuizContent"]
