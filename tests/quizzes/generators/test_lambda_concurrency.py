"""lambda-concurrency: rate x duration against the limit, recomputed from the stem."""

import re
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.generators import generate
from tests.quizzes.generators.helpers import NUMBER, find, key_option, number

SEEDS = st.integers(min_value=0, max_value=2**32)


def limit_of(stem: str) -> Fraction:
    if "has a reserved concurrency of" in stem:
        return find(rf"reserved concurrency of ({NUMBER})", stem)
    assert "default concurrency limit of 1,000" in stem
    return Fraction(1000)


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_concurrency_is_rate_times_duration(seed):
    question = generate("lambda-concurrency", seed, {"ask": "concurrency"})
    rps = find(rf"steady ({NUMBER}) requests per second", question["stem"])
    duration = find(rf"takes ({NUMBER}) ms on average", question["stem"])
    assert question["answer"] == rps * duration / 1000
    assert question["unit"] == "concurrent executions"


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_throttled_requests_are_the_rate_above_limit_over_duration(seed):
    question = generate("lambda-concurrency", seed, {"ask": "throttled"})
    stem = question["stem"]
    rps = find(rf"steady ({NUMBER}) synchronous requests per second", stem)
    seconds = find(rf"each taking ({NUMBER}) ms", stem) / 1000
    expected = rps - limit_of(stem) / seconds
    assert expected > 0
    assert question["answer"] == expected


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_unreserved_is_the_limit_minus_reservations(seed):
    question = generate("lambda-concurrency", seed, {"ask": "unreserved"})
    stem = question["stem"]
    limit = find(rf"(?:default concurrency limit of|raised to) ({NUMBER})", stem)
    reserved = [number(n) for n in re.findall(rf"^- `[\w-]+`: ({NUMBER})$", stem, re.M)]
    assert 2 <= len(reserved) <= 4
    assert question["answer"] == limit - sum(reserved)
    # AWS keeps at least 100 unreserved, so the scenario never reserves more.
    assert question["answer"] >= 100


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_outcome_names_the_throttled_rate_or_success(seed):
    question = generate("lambda-concurrency", seed, {"ask": "outcome"})
    stem = question["stem"]
    rps = find(rf"steady ({NUMBER}) requests per second", stem)
    seconds = find(rf"each invocation takes ({NUMBER}) ms", stem) / 1000
    limit = limit_of(stem)
    text = key_option(question)["text"]
    if rps * seconds <= limit:
        needed = rps * seconds
        assert text.startswith("Every request succeeds")
        assert find(rf"needs ({NUMBER}) concurrent", text) == needed
    else:
        assert find(rf"^About ({NUMBER}) requests per second are throttled", text) == (
            rps - limit / seconds
        )
    assert not any(o["correct"] for o in question["options"] if "queues the excess" in o["text"])


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS, ask=st.sampled_from(["concurrency", "throttled", "unreserved"]))
def test_single_answer_variant_keeps_the_numeric_key(seed, ask):
    numeric = generate("lambda-concurrency", seed, {"ask": ask})
    single = generate("lambda-concurrency", seed, {"ask": ask, "answer_type": "single"})
    assert single["stem"] == numeric["stem"]
    key = number(key_option(single)["text"].split()[0])
    assert key == Fraction(str(numeric["answer"]))
    assert all(number(o["text"].split()[0]) != key for o in single["options"] if not o["correct"])


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_burst_beyond_one_scaling_step_is_throttled_until_lambda_catches_up(seed):
    question = generate("lambda-concurrency", seed, {"ask": "burst"})
    stem = question["stem"]
    needed = find(rf"needs ({NUMBER}) concurrent executions", stem)
    limit = find(rf"raised to ({NUMBER})", stem)
    assert needed <= limit
    text = key_option(question)["text"]
    if needed > 1000:
        assert text.startswith("Lambda adds up to 1,000 execution environments every 10 seconds")
    else:
        assert text.startswith(f"All {int(needed):,} executions start within the first")
    assert all(
        not o["correct"]
        for o in question["options"]
        if "queues" in o["text"] or "About 500 executions" in o["text"]
    )
