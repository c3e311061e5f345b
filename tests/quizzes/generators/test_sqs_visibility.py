"""sqs-visibility: 6 x function timeout + batching window, checked from the stem."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.generators import generate
from tests.quizzes.generators.helpers import NUMBER, find, key_option, number

SEEDS = st.integers(min_value=0, max_value=2**32)


def recommended(stem: str) -> int:
    timeout = find(rf"function timeout is ({NUMBER}) seconds", stem)
    if "has no batching window" in stem:
        window = 0
    else:
        window = find(rf"waits up to ({NUMBER}) seconds to gather a batch", stem)
        assert f"`MaximumBatchingWindowInSeconds` = {window})" in stem
    return int(6 * timeout + window)


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS, windowed=st.booleans())
def test_minimal_setting_is_six_times_the_timeout_plus_the_window(seed, windowed):
    question = generate("sqs-visibility", seed, {"ask": "minimal", "batch_window": windowed})
    expected = recommended(question["stem"])
    assert ("has no batching window" not in question["stem"]) is windowed
    assert key_option(question)["text"] == f"{expected:,} seconds"
    for o in question["options"]:
        if not o["correct"]:
            assert number(o["text"].removesuffix(" seconds")) != expected


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS)
def test_minimal_setting_as_a_number(seed):
    question = generate("sqs-visibility", seed, {"ask": "minimal", "answer_type": "numeric"})
    assert question["answer"] == recommended(question["stem"])
    assert question["unit"] == "seconds"
    assert question["tolerance"] == 0


SETUP = re.compile(
    rf"^Function timeout ({NUMBER}) s, batching window ({NUMBER}) s, "
    rf"queue visibility timeout ({NUMBER}) s$"
)


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_duplicate_processing_setup_is_the_only_one_below_one_batch(seed):
    question = generate("sqs-visibility", seed, {"ask": "duplicates"})
    assert len(question["options"]) == 4
    for o in question["options"]:
        timeout, window, visibility = (number(g) for g in SETUP.match(o["text"]).groups())
        if o["correct"]:
            # Messages reappear before one batch can finish.
            assert visibility < timeout + window
        else:
            assert visibility >= 6 * timeout + window
