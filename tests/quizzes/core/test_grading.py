"""Grading every type: right, wrong, partial, unanswered and malformed answers."""

import pytest

from quizzes.grading import choose_text, grade
from quizzes.spec import parse_question
from quizzes.variants import variant_for
from tests.quizzes.core.conftest import question_data


def variant(qtype: str, seed: int = 3, **overrides):
    return variant_for(parse_question(question_data(qtype, **overrides), where="t"), seed)


def key_of_text(v, text: str) -> str:
    return next(c["key"] for c in v.choices if c["text"] == text)


def test_grade_single_right_wrong_and_feedback():
    v = variant("single")
    right = key_of_text(v, "Right")
    result = grade(v, right)
    assert (result.correct, result.score, result.malformed) == (True, 1.0, None)
    assert [(f["text"], f["correct"], f["chosen"]) for f in result.feedback] == [
        (c["text"], c["text"] == "Right", c["text"] == "Right") for c in v.choices
    ]
    assert {f["explanation"] for f in result.feedback} == {
        "Because right.",
        "Because wrong 1.",
        "Because wrong 2.",
    }
    wrong = grade(v, key_of_text(v, "Wrong two"))
    assert (wrong.correct, wrong.score, wrong.malformed) == (False, 0.0, None)
    assert wrong.expected_display == f"{right.upper()}. Right"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("z", "there is no option 'z'; the options are a to c"),
        (["a", "b"], "choose exactly one option"),
        (3, "an option is chosen by its letter, not 3"),
        ({"a": 1}, "an option is chosen by its letter, not {'a': 1}"),
    ],
)
def test_grade_single_malformed(answer, reason):
    result = grade(variant("single"), answer)
    assert (result.correct, result.score, result.malformed, result.answered) == (
        False,
        0.0,
        reason,
        False,
    )


@pytest.mark.parametrize("answer", [None, "", "  ", []])
def test_grade_unanswered_is_wrong_not_malformed(answer):
    result = grade(variant("single"), answer)
    assert (result.correct, result.malformed, result.answered) == (False, None, False)
    assert len(result.feedback) == 3


def test_grade_multiple_all_or_nothing():
    v = variant("multiple")
    a, c = key_of_text(v, "Yes A"), key_of_text(v, "Yes C")
    b = key_of_text(v, "No B")
    assert v.public()["choose"] == 2 and choose_text(2) == "Choose two."
    assert grade(v, [c, a]).correct is True
    partial = grade(v, [a, b])
    assert (partial.correct, partial.score, partial.malformed) == (False, 0.0, None)
    assert {f["text"]: f["chosen"] for f in partial.feedback} == {
        "Yes A": True,
        "No B": True,
        "Yes C": False,
        "No D": False,
    }


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["a"], "this question asks for two options and 1 was chosen"),
        (["a", "b", "c"], "this question asks for two options and 3 were chosen"),
        (["a", "a"], "option a is chosen twice"),
        (["a", "q"], "there is no option 'q'; the options are a to d"),
        ({"a": True}, "choose options by their letters, not {'a': True}"),
    ],
)
def test_grade_multiple_malformed(answer, reason):
    result = grade(variant("multiple"), answer)
    assert (result.correct, result.malformed) == (False, reason)


@pytest.mark.parametrize(
    ("answer", "correct", "explanation"),
    [
        ("1200", True, ""),
        (1200, True, ""),
        (1200.4, True, ""),
        ("1,200", True, ""),
        ("1 200", True, ""),
        ("1200 RCU", True, ""),
        ("1,199.5rcu", True, ""),
        ("1201", False, ""),
        ("600", False, "That is eventual consistency."),
        ("600.5 RCU", False, "That is eventual consistency."),
    ],
)
def test_grade_numeric_tolerance_units_and_mistakes(answer, correct, explanation):
    result = grade(variant("numeric"), answer)
    assert (result.correct, result.malformed) == (correct, None)
    assert result.feedback[0]["correct"] is correct
    assert result.feedback[0]["explanation"] == explanation
    assert result.expected_display == "1,200 RCU (± 0.5)"
    assert result.explanation == "Strong reads of 4 KB cost one RCU each."


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("abc", "'abc' is not a number"),
        (
            "1,20",
            "'1,20' is not a number; use a dot for decimals and commas only between groups "
            "of three digits (1,200.5)",
        ),
        ("12 GB", "'GB' is not the unit of this answer; the unit is RCU"),
        (True, "type a number"),
        (["1200"], "type a number"),
        ("nan", "'nan' is not a number"),
        ("Infinity", "'Infinity' is not a number"),
        ("9" * 101, "that answer is too long to be a number"),
        ("1e999999999", "'1e999999999' is out of range"),
        ("1_000", "'1_000' is not a number"),
    ],
)
def test_grade_numeric_malformed(answer, reason):
    result = grade(variant("numeric"), answer)
    assert (result.correct, result.malformed, result.feedback) == (False, reason, [])


def test_grade_numeric_dollars_accept_symbol():
    v = variant("numeric", answer=4.2, unit="USD", tolerance=0, mistakes=[])
    assert grade(v, "$4.20").correct is True
    assert grade(v, "4.20 USD").correct is True
    assert grade(v, "4.21").correct is False


def test_grade_matching_all_pairs_must_be_right():
    v = variant("matching")
    expected = v.expected()
    assert grade(v, expected).correct is True
    left_text = {item["key"]: item["text"] for item in v.left}
    right_text = {item["key"]: item["text"] for item in v.right}
    assert {left_text[k]: right_text[r] for k, r in expected.items()} == {
        "L1": "R1",
        "L2": "R2",
        "L3": "R3",
    }
    # Two right, one left empty: wrong overall, per-pair feedback says which.
    partial = dict(expected)
    del partial["3"]
    result = grade(v, partial)
    assert (result.correct, result.malformed) == (False, None)
    assert [f["correct"] for f in result.feedback] == [True, True, False]
    assert result.feedback[2]["chosen"] is None


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["a"], "match each left item to a letter"),
        ({"9": "a"}, "there is no item '9' on the left"),
        ({"1": "x"}, "item 1 is matched to 'x'; the choices are a to d"),
        ({"1": "a", "2": "a"}, "a is used for more than one item; each fits one only"),
        ({"1": ["a"]}, "item 1 is matched to ['a']; the choices are a to d"),
    ],
)
def test_grade_matching_malformed(answer, reason):
    result = grade(variant("matching"), answer)
    assert (result.correct, result.malformed) == (False, reason)


def test_grade_ordering():
    v = variant("ordering")
    expected = v.expected()
    texts = {item["key"]: item["text"] for item in v.items}
    assert [texts[k] for k in expected] == ["First", "Second", "Third"]
    assert grade(v, expected).correct is True
    swapped = [expected[1], expected[0], expected[2]]
    result = grade(v, swapped)
    assert result.correct is False
    assert [(f["text"], f["correct"], f["chosen"]) for f in result.feedback] == [
        ("First", False, 2),
        ("Second", False, 1),
        ("Third", True, 3),
    ]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["a", "b"], "place all 3 items; 2 were placed"),
        (["a", "a", "b"], "item a appears twice"),
        (["a", "b", "z"], "there is no item 'z'; the items are a to c"),
        ("abc", "put the items in order by their letters"),
    ],
)
def test_grade_ordering_malformed(answer, reason):
    result = grade(variant("ordering"), answer)
    assert (result.correct, result.malformed) == (False, reason)


def test_ordering_is_never_displayed_in_the_correct_order():
    for seed in range(60):
        assert variant("ordering", seed=seed).expected() != ["a", "b", "c"]


def test_public_has_no_key_material():
    for qtype in ("single", "multiple", "numeric", "matching", "ordering"):
        v = variant(qtype)
        assert "slug" not in v.public()
        text = repr(v.public())
        for secret in ("correct", "explanation", "Because", "eventual", "1200", "goes with"):
            assert secret not in text, (qtype, secret)


def test_variant_same_seed_same_display_other_seed_may_differ():
    orders = {tuple(c["text"] for c in variant("multiple", seed=s).choices) for s in range(20)}
    assert len(orders) > 1
    assert variant("multiple", seed=5).choices == variant("multiple", seed=5).choices


def test_stable_key_maps_display_back_to_authored_position():
    v = variant("single")
    right = key_of_text(v, "Right")
    assert v.stable_key(right) == "a"
    assert v.stable_key("z") is None
