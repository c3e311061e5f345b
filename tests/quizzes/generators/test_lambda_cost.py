"""lambda-cost: GB-seconds and the bill recomputed from the stem with exact fractions."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.generators import generate
from tests.quizzes.generators.helpers import NUMBER, find, key_option, number

SEEDS = st.integers(min_value=0, max_value=2**32)
PRICE = Fraction("0.0000166667")  # USD per GB-second, x86, published price


def usage(stem: str) -> tuple[Fraction, Fraction]:
    memory = find(rf"configured with ({NUMBER}) MB of memory", stem)
    invocations = find(rf"invoked ({NUMBER}) times a month", stem)
    duration_ms = find(rf"runs for ({NUMBER}) ms on average", stem)
    return memory / 1024 * duration_ms / 1000 * invocations, invocations


def monthly_bill(stem: str) -> Fraction:
    gbs, invocations = usage(stem)
    assert "$0.0000166667 per GB-second" in stem
    assert "$0.20 per 1 million requests" in stem
    if "available to it in full" in stem:
        assert "400,000 GB-seconds and 1,000,000 requests" in stem
        gbs, invocations = max(0, gbs - 400_000), max(0, invocations - 1_000_000)
    else:
        assert "none of it is left" in stem
    return gbs * PRICE + invocations * Fraction(20, 100) / 1_000_000


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS, free=st.booleans(), millions=st.integers(1, 1000))
def test_bill_matches_the_stem(seed, free, millions):
    question = generate(
        "lambda-cost",
        seed,
        {"ask": "cost", "free_tier": free, "max_invocations_millions": millions},
    )
    expected = monthly_bill(question["stem"])
    assert ("available to it in full" in question["stem"]) is free
    assert abs(Fraction(str(question["answer"])) - expected) < Fraction(1, 10**6)
    assert question["unit"] == "USD"
    assert question["tolerance"] == 0.01
    _gbs, invocations = usage(question["stem"])
    assert invocations <= millions * 1_000_000
    stated = find(rf"total \$({NUMBER}) a month", question["explanation"])
    assert abs(stated - expected) <= Fraction(1, 200)


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_gb_seconds_match_the_stem(seed):
    question = generate("lambda-cost", seed, {"ask": "gb_seconds"})
    expected, _ = usage(question["stem"])
    assert abs(Fraction(str(question["answer"])) - expected) < Fraction(1, 10**6)
    assert question["unit"] == "GB-s"
    # Tight enough to tell 1,024 from 1,000 MB per GB (a 2.4% difference).
    assert 0 < question["tolerance"] <= max(Fraction(1, 2), expected / 1000) + Fraction(1, 100)
    thousand = expected * 1024 / 1000
    assert any(abs(Fraction(str(m["value"])) - thousand) < 1 for m in question["mistakes"])


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS, ask=st.sampled_from(["cost", "gb_seconds"]))
def test_single_answer_key_is_within_rounding_of_the_computation(seed, ask):
    question = generate("lambda-cost", seed, {"ask": ask, "answer_type": "single"})
    text = key_option(question)["text"]
    if ask == "cost":
        expected = monthly_bill(question["stem"])
        shown = number(text.removeprefix("$"))
        assert abs(shown - expected) <= Fraction(1, 200)
    else:
        expected, _ = usage(question["stem"])
        shown = number(text.removesuffix(" GB-s"))
        assert abs(shown - expected) <= Fraction(1, 200)
    for o in question["options"]:
        if not o["correct"]:
            assert o["text"] != text


def test_free_tier_can_cover_the_whole_bill():
    """A small function inside the free tier costs nothing; forgetting it is a mistake."""
    for seed in range(500):
        question = generate(
            "lambda-cost", seed, {"ask": "cost", "free_tier": True, "max_invocations_millions": 1}
        )
        gbs, invocations = usage(question["stem"])
        if gbs <= 400_000 and invocations <= 1_000_000:
            assert question["answer"] == 0
            full = gbs * PRICE + invocations * Fraction(2, 10) / 1_000_000
            assert any(
                abs(Fraction(str(m["value"])) - full) < Fraction(1, 10**6)
                and "free tier" in m["explanation"]
                for m in question["mistakes"]
            )
            return
    raise AssertionError("no seed in 0..499 stayed within the free tier")


def test_a_free_bill_still_gets_distinct_wrong_options():
    """Inside the free tier the key is $0.00 and most mistakes are $0.00 as well."""
    free_bills = 0
    for seed in range(200):
        question = generate(
            "lambda-cost",
            seed,
            {
                "ask": "cost",
                "free_tier": True,
                "max_invocations_millions": 1,
                "answer_type": "single",
            },
        )
        if key_option(question)["text"] == "$0.00":
            free_bills += 1
            wrong = [o["text"] for o in question["options"] if not o["correct"]]
            assert len(wrong) >= 2 and "$0.00" not in wrong
    assert free_bills > 0
