"""`lambda-concurrency`: concurrency and throttling arithmetic.

Steady-state concurrency = requests per second x average duration in seconds. A function
is capped by its reserved concurrency, or else by the account's limit (1,000 by default,
shared by every function without a reservation); at the cap it serves at most
limit ÷ duration requests per second and synchronous callers get the rest throttled (429,
TooManyRequestsException). Reservations are carved out of the account limit, and AWS keeps
at least 100 unreserved.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from quizzes.generators.base import (
    MINUS,
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

ACCOUNT_LIMIT = 1000
MIN_UNRESERVED = 100
# Durations whose reciprocal keeps limit ÷ duration whole for limits that are multiples of 20.
DURATIONS_MS = (100, 200, 250, 400, 500, 1000, 2000, 2500, 4000, 5000)
FUNCTIONS = ["checkout", "search", "thumbnail", "notifications", "reports", "login", "quotes"]
FACTS = ["lambda.concurrency.default"]
ASKS = ("concurrency", "throttled", "unreserved", "outcome", "burst")
# Since November 2023 each function scales by up to 1,000 execution environments every
# 10 seconds (fact lambda.scaling.rate); before, a Region-wide burst of 500-3,000 and then
# +500 a minute applied.
SCALING_STEP = 1000

PARAMS = {
    "ask": Param("ask", "what to ask", choices=ASKS),
    "answer_type": Param(
        "answer_type",
        "for ask concurrency, throttled or unreserved: type the number or pick it",
        choices=("numeric", "single"),
    ),
}


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    ask = params.get("ask", rng.choice(ASKS))
    if ask == "outcome":
        return _outcome(rng)
    if ask == "burst":
        return _burst(rng)
    ask_numeric = {"concurrency": _concurrency, "throttled": _throttled, "unreserved": _unreserved}
    question, fillers = ask_numeric[ask](rng)
    if params.get("answer_type", "numeric") == "numeric":
        return question
    unit = question["unit"]
    return numeric_as_single(
        rng,
        question,
        render=lambda value: f"{fmt(value)} {unit}",
        fillers=fillers,
        prompt=question["stem"].rsplit("\n\n", 1)[1],
    )


def _limit(rng: random.Random) -> tuple[int, str, bool]:
    """(limit, sentence, reserved?): the function's own reservation or the account default."""
    name = rng.choice(FUNCTIONS)
    if rng.random() < 0.5:
        reserved = 20 * rng.randint(1, 45)
        return reserved, f"The `{name}` function has a reserved concurrency of {reserved}.", True
    return (
        ACCOUNT_LIMIT,
        f"The `{name}` function is the only function in an account that has the default "
        f"concurrency limit of {fmt(ACCOUNT_LIMIT)}, and it has no reserved concurrency.",
        False,
    )


# Each numeric ask returns its question and extra wrong values for the pick-one form (used
# when too few of the classic mistakes survive de-duplication).
Asked = tuple[dict[str, Any], list[Mistake]]


def _concurrency(rng: random.Random) -> Asked:
    rps = 10 * rng.randint(1, 200)
    duration = 100 * rng.randint(1, 60)
    answer = Decimal(rps) * duration / 1000
    seconds = Decimal(duration) / 1000
    fillers = [
        Mistake(
            Decimal(rps + duration),
            "Adding the rate and the duration mixes units; multiply them (in seconds).",
        ),
        Mistake(answer * 2, "Each request holds one execution for one average duration, once."),
    ]
    question = numeric_question(
        stem=f"An API backed by a Lambda function receives a steady {fmt(rps)} requests per "
        f"second, and each invocation takes {fmt(duration)} ms on average.\n\n"
        "How many concurrent executions does the function need at steady state?",
        answer=answer,
        tolerance=Decimal(0),
        unit="concurrent executions",
        explanation=f"Concurrency = requests per second {TIMES} duration in seconds = {fmt(rps)} {TIMES} "
        f"{fmt(seconds)} = {fmt(answer)}.",
        mistakes=[
            Mistake(Decimal(rps) * duration, "The duration must be in seconds, not milliseconds."),
            Mistake(
                Decimal(rps),
                "Each execution is busy for the whole duration; requests per second equals "
                "concurrency only when invocations take exactly one second.",
            ),
            Mistake(
                (Decimal(rps) / seconds).quantize(Decimal("0.01")),
                "Multiply by the duration; dividing by it gives nothing meaningful.",
            ),
            Mistake(
                Decimal(rps) * -(-duration // 1000),
                "The average duration is not rounded up to whole seconds.",
            ),
        ],
        difficulty="easy",
        facts=[],
        lessons=["lambda-concurrency"],
    )
    return question, fillers


def _throttled(rng: random.Random) -> Asked:
    limit, sentence, reserved = _limit(rng)
    duration = rng.choice(DURATIONS_MS)
    seconds = Decimal(duration) / 1000
    capacity = Decimal(limit) / seconds
    excess = 10 * rng.randint(1, 100)
    rps = capacity + excess
    mistakes = [
        Mistake(
            rps - limit,
            "The limit caps concurrent executions, not requests per second: at "
            f"{fmt(duration)} ms each, {fmt(limit)} executions serve {fmt(capacity)} "
            "requests per second.",
        ),
        Mistake(
            rps * seconds - limit,
            "That is the excess concurrency; convert it back to requests per second.",
        ),
        Mistake(
            Decimal(0), f"{fmt(rps)} {TIMES} {fmt(seconds)} s exceeds the limit of {fmt(limit)}."
        ),
    ]
    if reserved:
        mistakes.append(
            Mistake(
                max(Decimal(0), rps - ACCOUNT_LIMIT / seconds),
                "A reserved concurrency is also the function's maximum; the account "
                "limit does not apply on top of it.",
            )
        )
    fillers = [
        Mistake(capacity, "That is the rate the function can serve; the rest is throttled."),
        Mistake(rps, "Only the requests above what the limit can serve are throttled."),
    ]
    question = numeric_question(
        stem=f"{sentence} It serves a steady {fmt(rps)} synchronous requests per second, "
        f"each taking {fmt(duration)} ms.\n\n"
        "At steady state, how many requests per second are throttled?",
        answer=Decimal(excess),
        tolerance=Decimal(0),
        unit="requests per second",
        explanation=f"At most {fmt(limit)} executions of {fmt(seconds)} s each serve "
        f"{fmt(limit)} ÷ {fmt(seconds)} = {fmt(capacity)} requests per second, so "
        f"{fmt(rps)} {MINUS} {fmt(capacity)} = {fmt(excess)} are throttled (429 "
        "TooManyRequestsException).",
        mistakes=mistakes,
        difficulty="hard",
        facts=FACTS,
        lessons=["lambda-concurrency"],
    )
    return question, fillers


def _unreserved(rng: random.Random) -> Asked:
    limit = rng.choice((ACCOUNT_LIMIT, ACCOUNT_LIMIT, 3000, 5000))
    names = rng.sample(FUNCTIONS, rng.randint(2, 4))
    # Keep the reservations under limit - 100: AWS refuses reservations below that floor.
    budget = (limit - MIN_UNRESERVED) // 10
    reservations = [10 * rng.randint(1, budget // (len(names) + 1)) for _ in names]
    total = sum(reservations)
    answer = Decimal(limit - total)
    listing = "\n".join(f"- `{n}`: {fmt(r)}" for n, r in zip(names, reservations, strict=True))
    account = (
        f"the default concurrency limit of {fmt(limit)}"
        if limit == ACCOUNT_LIMIT
        else f"a concurrency limit raised to {fmt(limit)}"
    )
    fillers = [
        Mistake(
            Decimal(limit - max(reservations)),
            "Every reservation is carved out of the limit, not only the largest one.",
        ),
        Mistake(
            Decimal(limit - MIN_UNRESERVED),
            "Only the reservations are taken out; the 100 kept unreserved is a floor.",
        ),
    ]
    question = numeric_question(
        stem=f"An account has {account}. These functions have reserved concurrency:\n\n"
        f"{listing}\n\nEvery other function in the account has no reservation.\n\n"
        "How much concurrency is left for all the other functions together?",
        answer=answer,
        tolerance=Decimal(0),
        unit="concurrent executions",
        explanation=f"Reservations are carved out of the account limit: {fmt(limit)} {MINUS} "
        f"{fmt(total)} = {fmt(answer)} remain for every function without a reservation "
        f"(AWS always keeps at least {MIN_UNRESERVED} unreserved).",
        mistakes=[
            Mistake(Decimal(limit), "Reserved concurrency is taken out of the account limit."),
            Mistake(
                answer - MIN_UNRESERVED,
                f"The {MIN_UNRESERVED} that AWS keeps unreserved is a floor on what remains, "
                "not an extra deduction.",
            ),
            Mistake(Decimal(total), "That is the reserved total, not what is left."),
        ],
        difficulty="medium",
        facts=FACTS,
        lessons=["lambda-concurrency"],
    )
    return question, fillers


def _outcome(rng: random.Random) -> dict[str, Any]:
    limit, sentence, _reserved = _limit(rng)
    duration = rng.choice(DURATIONS_MS)
    seconds = Decimal(duration) / 1000
    capacity = Decimal(limit) / seconds
    over = rng.random() < 0.6
    if over:
        rps = capacity + 10 * rng.randint(1, 100)
    else:
        rps = Decimal(max(1, int(capacity * Decimal(str(round(rng.uniform(0.3, 1), 2))))))
    needed = rps * seconds
    throttled = rps - capacity
    succeed = option(
        f"Every request succeeds: the function needs {fmt(needed)} concurrent executions.",
        not over,
        f"{fmt(rps)} requests/s {TIMES} {fmt(seconds)} s = {fmt(needed)} concurrent executions, "
        + (
            f"within the limit of {fmt(limit)}."
            if not over
            else f"more than the limit of {fmt(limit)}, so some calls are throttled."
        ),
    )
    options = [
        option(
            "Lambda queues the excess synchronous requests and runs them when executions free up.",
            False,
            "Synchronous invocations are never queued: a throttled call fails at once with "
            "429 and the caller must retry. Only asynchronous invocations are queued and "
            "retried by Lambda.",
        ),
        option(
            "Lambda raises the function's concurrency limit automatically to absorb the load.",
            False,
            "Limits do not grow by themselves: reserved concurrency is the team's setting, "
            "and the account quota is raised through a Service Quotas request.",
        ),
    ]
    if over:
        correct = option(
            f"About {fmt(throttled)} requests per second are throttled with 429 "
            "(TooManyRequestsException).",
            True,
            f"{fmt(limit)} executions of {fmt(seconds)} s serve {fmt(capacity)} requests/s; "
            f"the other {fmt(rps)} {MINUS} {fmt(capacity)} = {fmt(throttled)} are throttled.",
        )
        options.append(succeed)
        if rps - limit != throttled and rps - limit > 0:
            options.append(
                option(
                    f"About {fmt(rps - limit)} requests per second are throttled with 429 "
                    "(TooManyRequestsException).",
                    False,
                    "That compares requests per second with a concurrency limit; at "
                    f"{fmt(duration)} ms each, {fmt(limit)} executions serve "
                    f"{fmt(capacity)} requests/s.",
                )
            )
    else:
        correct = succeed
        options.append(
            option(
                "Some requests are throttled with 429 (TooManyRequestsException) because the "
                f"load exceeds the limit of {fmt(limit)}.",
                False,
                f"The load needs only {fmt(needed)} concurrent executions, which is within "
                f"{fmt(limit)}.",
            )
        )
    return single_question(
        rng,
        stem=f"{sentence} Clients call it synchronously at a steady {fmt(rps)} requests per "
        f"second, and each invocation takes {fmt(duration)} ms.\n\nWhat happens?",
        correct=correct,
        wrong=options,
        explanation=f"Compare requests per second {TIMES} duration with the concurrency limit; "
        "beyond it, synchronous calls are throttled, not queued.",
        difficulty="medium",
        facts=FACTS,
        lessons=["lambda-concurrency"],
    )


def _burst(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(FUNCTIONS)
    limit = rng.choice((3000, 5000, 10_000))
    beyond_step = rng.random() < 0.7
    needed = (
        100 * rng.randint(SCALING_STEP // 100 + 1, limit // 100)
        if beyond_step
        else 50 * rng.randint(2, SCALING_STEP // 50)
    )
    queue = option(
        "Lambda queues the requests it cannot run yet and starts them as environments "
        "become ready.",
        False,
        "Synchronous invocations are never queued: a call that finds no capacity fails at "
        "once with 429 and the caller must retry.",
    )
    old_model = option(
        "About 500 executions start at once; the rest are throttled while Lambda adds 500 "
        "more every minute.",
        False,
        "That was the Region-wide burst model before November 2023. Now each function can "
        f"add up to {fmt(SCALING_STEP)} execution environments every 10 seconds.",
    )
    if beyond_step:
        correct = option(
            f"Lambda adds up to {fmt(SCALING_STEP)} execution environments every 10 seconds, "
            "so calls beyond the environments ready so far are throttled (429) until "
            "scaling catches up.",
            True,
            f"{fmt(needed)} concurrent executions is more than one scaling step of "
            f"{fmt(SCALING_STEP)}; the function reaches it step by step, every 10 seconds, "
            f"and meanwhile the excess calls are throttled. The account limit of "
            f"{fmt(limit)} is not reached.",
        )
        wrong = [
            option(
                f"All {fmt(needed)} executions start at once, because the account limit of "
                f"{fmt(limit)} is higher.",
                False,
                "The account limit caps total concurrency; how fast one function gets there "
                f"is limited to {fmt(SCALING_STEP)} new execution environments every 10 "
                "seconds.",
            ),
            option(
                f"Calls beyond {fmt(SCALING_STEP)} concurrent executions are throttled for "
                "as long as the spike lasts.",
                False,
                f"{fmt(SCALING_STEP)} is the step per 10 seconds, not a cap: the function "
                f"keeps scaling until it reaches {fmt(needed)}.",
            ),
            queue,
            old_model,
        ]
    else:
        correct = option(
            f"All {fmt(needed)} executions start within the first scaling step, each with a "
            "cold start.",
            True,
            f"One function can add up to {fmt(SCALING_STEP)} execution environments every 10 "
            f"seconds, so {fmt(needed)} fit in the first step; cold starts add latency but "
            "nothing is throttled.",
        )
        wrong = [
            option(
                "Every call is throttled until provisioned concurrency is configured.",
                False,
                "Provisioned concurrency only removes cold starts; without it, Lambda still "
                "creates environments on demand.",
            ),
            queue,
            old_model,
        ]
    return single_question(
        rng,
        stem=f"The `{name}` function has been idle, with no warm execution environments. A "
        f"flash sale suddenly sends synchronous traffic that needs {fmt(needed)} concurrent "
        f"executions. The account's concurrency limit has been raised to {fmt(limit)} and the "
        "function has no reserved or provisioned concurrency.\n\n"
        "What happens during the first seconds of the spike?",
        correct=correct,
        wrong=rng.sample(wrong, 3),
        explanation=f"Each function scales by up to {fmt(SCALING_STEP)} execution environments "
        "every 10 seconds, up to the account or reserved limit; calls that find no "
        "environment are throttled, not queued.",
        difficulty="hard",
        facts=["lambda.scaling.rate", "lambda.concurrency.default"],
        lessons=["lambda-concurrency"],
    )


FAMILY = Family(
    name="lambda-concurrency",
    title="Lambda concurrency and throttling",
    default_domain="lambda-config",
    default_lessons=("lambda-concurrency",),
    build=build,
    params_schema=PARAMS,
    check=only_with(
        "lambda-concurrency",
        "answer_type",
        key="ask",
        values=("concurrency", "throttled", "unreserved"),
    ),
)
