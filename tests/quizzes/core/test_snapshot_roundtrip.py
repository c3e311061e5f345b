"""A stored snapshot rebuilds the very variant that was drawn, for every question of the
shipped bank (generated families included) and several seeds: same learner view, same key,
same grading. Attempts and practice answers rely on this (quizzes.variants)."""

import json

import pytest

from quizzes.grading import grade
from quizzes.models import Question
from quizzes.variants import VariantError, load_facts, variant_for, variant_from_snapshot

SEEDS = (0, 7, 123456, 2**31 - 1)


def through_json(value):
    """What a JSONField gives back."""
    return json.loads(json.dumps(value))


def test_every_bank_question_survives_its_snapshot(course):
    facts = load_facts()
    questions = list(Question.objects.filter(is_active=True))
    assert len(questions) >= 150
    for question in questions:
        for seed in SEEDS:
            drawn = variant_for(question, seed, facts=facts)
            rebuilt = variant_from_snapshot(
                through_json(drawn.spec.to_dict()), seed, through_json(drawn.display_order())
            )
            where = f"{question.slug} seed {seed}"
            assert rebuilt.public() == drawn.public(), where
            key = {k: v for k, v in drawn.key().items() if k not in ("generator", "seed")}
            assert rebuilt.key() == key, where
            right = drawn.expected()
            assert grade(rebuilt, right).correct is True, where
            assert grade(rebuilt, right).to_dict() == grade(drawn, right).to_dict(), where


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        ({}, "stored without its content"),
        ({"slug": "gen-x", "type": "generated"}, "gen-x: the question could not be built"),
        ({"slug": "half", "type": "single"}, "half: the stored question no longer reads"),
    ],
)
def test_a_snapshot_that_cannot_be_rebuilt_says_why(snapshot, message):
    with pytest.raises(VariantError, match=message):
        variant_from_snapshot(snapshot, 1, {})
