"""Properties of variants and grading over the real bank and arbitrary answers."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.grading import grade
from quizzes.models import Question
from quizzes.spec import parse_question
from quizzes.variants import load_facts, variant_for
from tests.quizzes.core.conftest import QUESTIONS, question_data

STATIC = {t: parse_question(question_data(t), where="t") for t in QUESTIONS}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=8,
)


def test_every_bank_question_grades_its_own_key_right_for_several_seeds(course):
    facts = load_facts()
    questions = list(Question.objects.filter(is_active=True))
    assert len(questions) >= 150
    for question in questions:
        for seed in (0, 1, 99):
            variant = variant_for(question, seed, facts=facts)
            result = grade(variant, variant.expected())
            assert (result.correct, result.malformed) == (True, None), question.slug
            assert grade(variant, None).correct is False


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(qtype=st.sampled_from(list(QUESTIONS)), seed=st.integers(0, 10**9), answer=json_values)
def test_grade_never_raises_and_is_right_only_for_the_key(qtype, seed, answer):
    variant = variant_for(STATIC[qtype], seed)
    result = grade(variant, answer)
    assert result.score == (1.0 if result.correct else 0.0)
    if result.malformed is not None:
        assert result.correct is False and result.answered is False
    if result.correct:
        expected = variant.expected()
        if qtype == "multiple":
            assert sorted(k.lower() for k in answer) == sorted(expected)
        elif qtype == "numeric":
            assert abs(float(str(answer).replace(",", "").replace("RCU", "")) - 1200) <= 0.5


@given(seed=st.integers(0, 10**9), order=st.permutations(["a", "b", "c"]))
def test_ordering_right_exactly_when_the_permutation_is_the_key(seed, order):
    variant = variant_for(STATIC["ordering"], seed)
    assert grade(variant, list(order)).correct is (list(order) == variant.expected())
