"""`sqs-visibility`: the queue's visibility timeout versus the consuming function.

AWS recommends a visibility timeout of at least six times the function timeout, plus the
event source mapping's batching window (MaximumBatchingWindowInSeconds): messages are
invisible while the batch is gathered and while Lambda retries throttled invocations. A
visibility timeout shorter than window + function timeout lets a message reappear while
it is still being processed, so a second invocation handles it too.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from quizzes.generators.base import (
    TIMES,
    Facts,
    Family,
    Mistake,
    Param,
    fmt,
    numeric_as_single,
    numeric_question,
    only_with,
    option,
    single_question,
)

MULTIPLIER = 6
DEFAULT_VISIBILITY = 30
TIMEOUTS = (3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600, 900)
WINDOWS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 180, 300)
PURPOSES = [
    "resizes uploaded photos",
    "sends order-confirmation emails",
    "syncs customer records to a CRM",
    "transcodes short audio clips",
    "scores payments for fraud",
    "writes audit events to a data lake",
    "generates monthly statements",
    "enriches clickstream events",
]
FACTS = [
    "lambda.sqs_esm.visibility_timeout_multiplier",
    "lambda.sqs_esm.max_batching_window",
    "sqs.visibility_timeout.default",
]

PARAMS = {
    "ask": Param(
        "ask",
        "minimal: smallest recommended visibility timeout; duplicates: spot the setup that "
        "processes messages twice",
        choices=("minimal", "duplicates"),
    ),
    "batch_window": Param(
        "batch_window", "whether the mapping sets a batching window (minimal only)", bool
    ),
    "answer_type": Param(
        "answer_type",
        "for ask=minimal: pick from options (default) or type the number",
        choices=("numeric", "single"),
    ),
}


def recommended(timeout: int, window: int) -> int:
    return MULTIPLIER * timeout + window


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    ask = params.get("ask", rng.choice(["minimal", "duplicates"]))
    if ask == "duplicates":
        return _duplicates(rng)
    return _minimal(rng, params)


def _minimal(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    timeout = rng.choice(TIMEOUTS)
    windowed = params.get("batch_window", rng.random() < 0.7)
    window = rng.choice(WINDOWS) if windowed else 0
    purpose = rng.choice(PURPOSES)
    answer = Decimal(recommended(timeout, window))
    setup = (
        f"A Lambda function that {purpose} consumes an SQS standard queue through an event "
        f"source mapping. The function timeout is {fmt(timeout)} seconds"
        + (
            f" and the mapping waits up to {fmt(window)} seconds to gather a batch "
            f"(`MaximumBatchingWindowInSeconds` = {window})."
            if window
            else " and the mapping has no batching window (`MaximumBatchingWindowInSeconds` = 0)."
        )
    )
    explanation = (
        "AWS recommends a visibility timeout of at least six times the function timeout"
        + (" plus the batching window" if window else "")
        + f": 6 {TIMES} {fmt(timeout)} s"
        + (f" + {fmt(window)} s" if window else "")
        + f" = {fmt(answer)} s. Anything shorter risks a message becoming visible again while "
        "a (possibly retried) invocation still holds it, so it gets processed twice."
    )
    mistakes = [
        Mistake(
            Decimal(MULTIPLIER * timeout),
            "Six times the function timeout is the base, but the batching window is added on "
            "top: messages are already in flight while the batch is gathered.",
        ),
        Mistake(
            Decimal(timeout + window),
            "That only covers one invocation; throttled invocations are retried and the "
            "message must stay hidden meanwhile, hence six times the timeout.",
        ),
        Mistake(
            Decimal(MULTIPLIER * (timeout + window)),
            "Safe, but not the smallest: the batching window is added once, not multiplied.",
        ),
        Mistake(
            Decimal(DEFAULT_VISIBILITY),
            "30 seconds is only the queue's default; it knows nothing about this function"
            + (
                "."
                if answer > DEFAULT_VISIBILITY
                else ", and here it is more than the recommended minimum."
            ),
        ),
        Mistake(
            Decimal(timeout),
            "Matching the function timeout leaves no room for the batching window or retries.",
        ),
    ]
    question = numeric_question(
        stem=f"{setup}\n\nWhat is the smallest visibility timeout, in seconds, that follows "
        "AWS's recommendation for this queue?",
        answer=answer,
        tolerance=Decimal(0),
        unit="seconds",
        explanation=explanation,
        mistakes=mistakes,
        difficulty="medium" if window else "easy",
        facts=FACTS,
        lessons=["sqs-lambda", "sqs"],
    )
    if params.get("answer_type", "single") == "numeric":
        return question
    return numeric_as_single(
        rng,
        question,
        render=lambda value: f"{fmt(value)} seconds",
        fillers=[
            Mistake(
                Decimal(2 * MULTIPLIER * timeout + window),
                "Safe, but twice what the recommendation asks for; the smallest valid "
                "setting is lower.",
            ),
            Mistake(
                Decimal(3 * timeout + window),
                "Three times the timeout is below the recommended six times.",
            ),
        ],
        prompt="Which visibility timeout is the smallest setting that follows AWS's "
        "recommendation?",
    )


def _describe(timeout: int, window: int, visibility: int) -> str:
    return (
        f"Function timeout {fmt(timeout)} s, batching window {fmt(window)} s, "
        f"queue visibility timeout {fmt(visibility)} s"
    )


def _duplicates(rng: random.Random) -> dict[str, Any]:
    setups: list[tuple[int, int, int]] = []
    while len(setups) < 4:
        timeout, window = rng.choice(TIMEOUTS), rng.choice((0, *WINDOWS))
        if any(s[:2] == (timeout, window) for s in setups):
            continue
        setups.append((timeout, window, recommended(timeout, window) + 10 * rng.randint(0, 30)))
    # The faulty setup keeps its timeout and window but gets a visibility timeout that is
    # shorter than one batch can take (window + function timeout).
    bad_timeout, bad_window, _ = setups[0]
    limit = bad_timeout + bad_window
    candidates = sorted({bad_timeout, max(1, limit // 2), DEFAULT_VISIBILITY, limit - 1})
    bad_visibility = rng.choice([v for v in candidates if 1 <= v < limit])
    wrong = []
    for timeout, window, visibility in setups[1:]:
        wrong.append(
            option(
                _describe(timeout, window, visibility),
                False,
                f"Safe: {fmt(visibility)} s is at least 6 {TIMES} {fmt(timeout)} s + {fmt(window)} s "
                f"= {fmt(recommended(timeout, window))} s, so messages stay hidden for the "
                "whole batch, including retries.",
            )
        )
    correct = option(
        _describe(bad_timeout, bad_window, bad_visibility),
        True,
        f"A batch can be held for {fmt(bad_window)} s and then processed for up to "
        f"{fmt(bad_timeout)} s, but the messages become visible again after "
        f"{fmt(bad_visibility)} s, so another invocation receives them while the first is "
        f"still working. AWS recommends at least 6 {TIMES} {fmt(bad_timeout)} s + {fmt(bad_window)} "
        f"s = {fmt(recommended(bad_timeout, bad_window))} s.",
    )
    return single_question(
        rng,
        stem="A platform team reviews four SQS queues, each consumed by a Lambda function "
        "through an event source mapping. Some of the functions occasionally run until "
        "their timeout.\n\nWhich setup can hand a message to a second invocation while the "
        "first one is still processing it?",
        correct=correct,
        wrong=wrong,
        explanation="The visibility timeout must outlast the batching window plus the "
        "function's run (AWS recommends at least six times the function timeout plus the "
        "window); otherwise a message in flight reappears and is processed twice.",
        difficulty="medium",
        facts=FACTS,
        lessons=["sqs-lambda", "sqs"],
    )


FAMILY = Family(
    name="sqs-visibility",
    title="SQS visibility timeout versus function timeout",
    default_domain="events",
    default_lessons=("sqs-lambda", "sqs"),
    build=build,
    params_schema=PARAMS,
    check=only_with(
        "sqs-visibility", "batch_window", "answer_type", key="ask", values=("minimal",)
    ),
)
