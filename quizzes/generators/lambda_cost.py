"""`lambda-cost`: GB-seconds and the monthly bill of one function.

GB-seconds = memory in GB (MB / 1024) x billed duration in seconds (Lambda bills per 1 ms)
x invocations. The bill is compute (GB-s x the x86 price) plus requests ($0.20 per million),
each after the monthly free tier (400,000 GB-s and 1,000,000 requests) when it applies.
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
    ceil_to,
    fmt,
    money,
    numeric_as_single,
    numeric_question,
    only_with,
)

# Published x86 price per GB-second (first pricing tier) and per request; see
# https://aws.amazon.com/lambda/pricing/ (the arm64 price is lower and not asked here).
PRICE_GB_SECOND = Decimal("0.0000166667")
PRICE_PER_MILLION_REQUESTS = Decimal("0.20")
FREE_GB_SECONDS = Decimal(400_000)
FREE_REQUESTS = Decimal(1_000_000)

MEMORIES = (128, 256, 512, 768, 1024, 1536, 1769, 2048, 3008, 4096, 5120, 8192, 10240)
WORKLOADS = [
    "image-thumbnail",
    "invoice-PDF",
    "webhook-handler",
    "log-enrichment",
    "password-reset email",
    "search-indexing",
    "price-recommendation",
    "video-metadata",
    "fraud-scoring",
    "CSV-import",
]

PARAMS = {
    "ask": Param("ask", "what to compute", choices=("gb_seconds", "cost")),
    "free_tier": Param("free_tier", "whether the monthly free tier is still available", bool),
    "max_invocations_millions": Param(
        "max_invocations_millions",
        "most invocations per month drawn, in millions (default 30)",
        int,
        minimum=1,
        maximum=1000,
    ),
    "answer_type": Param(
        "answer_type", "type in a number, or pick it from options", choices=("numeric", "single")
    ),
}


def gb_seconds(memory_mb: int, duration_ms: Decimal, invocations: int, mb_per_gb: int = 1024):
    return Decimal(memory_mb) / mb_per_gb * duration_ms / 1000 * invocations


def bill(gbs: Decimal, invocations: int, *, free_compute: bool, free_requests: bool) -> Decimal:
    compute = max(Decimal(0), gbs - FREE_GB_SECONDS) if free_compute else gbs
    requests = (
        max(Decimal(0), invocations - FREE_REQUESTS) if free_requests else Decimal(invocations)
    )
    return compute * PRICE_GB_SECOND + requests * PRICE_PER_MILLION_REQUESTS / 1_000_000


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    ask = rng.choice(["gb_seconds", "cost"])
    free = rng.random() < 0.6
    ask = params.get("ask", ask)
    free = params.get("free_tier", free)
    workload = rng.choice(WORKLOADS)
    memory = rng.choice(MEMORIES)
    duration = Decimal(rng.randint(10, 3000))
    invocations = rng.randint(1, 10 * params.get("max_invocations_millions", 30)) * 100_000

    gbs = gb_seconds(memory, duration, invocations)
    context = (
        f"A team's {workload} function is configured with {fmt(memory)} MB of memory. It is "
        f"invoked {fmt(invocations)} times a month and each invocation runs for "
        f"{fmt(duration)} ms on average (Lambda bills duration in 1 ms increments)."
    )
    per_gb = f"{fmt(memory)} MB ÷ 1,024 = {fmt(Decimal(memory) / 1024)} GB"
    gbs_line = (
        f"{per_gb}; {fmt(duration)} ms = {fmt(duration / 1000)} s; "
        f"{fmt(Decimal(memory) / 1024)} GB {TIMES} {fmt(duration / 1000)} s {TIMES} {fmt(invocations)} "
        f"= {fmt(round(gbs, 3))} GB-seconds."
    )
    rounded_100 = gb_seconds(memory, ceil_to(duration, Decimal(100)), invocations)
    whole_seconds = gb_seconds(memory, ceil_to(duration, Decimal(1000)), invocations)

    if ask == "gb_seconds":
        tolerance = max(Decimal("0.5"), round(gbs / 1000, 2))
        mistakes = [
            Mistake(
                gb_seconds(memory, duration, invocations, mb_per_gb=1000),
                "Lambda converts memory to GB by dividing by 1,024, not 1,000.",
            ),
            Mistake(
                max(Decimal(0), gbs - FREE_GB_SECONDS),
                "The free tier lowers the bill, not the compute the function uses; the "
                "question asks for GB-seconds before any free tier.",
            ),
            Mistake(gbs * 1000, "The duration must be converted from milliseconds to seconds."),
            Mistake(
                rounded_100,
                "Durations are billed per 1 ms; rounding up to 100 ms is the pre-2020 rule.",
            ),
            Mistake(
                Decimal(memory) * duration / 1000 * invocations,
                "That is MB-seconds: memory must be in GB (MB ÷ 1,024).",
            ),
        ]
        question = numeric_question(
            stem=f"{context}\n\nHow many GB-seconds of compute does the function use per month "
            "(before any free tier is applied)?",
            answer=gbs,
            tolerance=tolerance,
            unit="GB-s",
            explanation=gbs_line,
            mistakes=mistakes,
            difficulty="easy" if memory % 1024 == 0 else "medium",
            facts=["lambda.billing.granularity"],
            lessons=["lambda-pricing"],
        )
        render = _render_gbs
        prompt = "How many GB-seconds of compute does the function use per month?"
        fillers = [
            Mistake(whole_seconds, "Lambda bills per 1 ms, not per started second."),
            Mistake(
                gbs / invocations,
                "That is one invocation's GB-seconds; multiply by the monthly invocations.",
            ),
        ]
    else:
        answer = bill(gbs, invocations, free_compute=free, free_requests=free)
        compute = max(Decimal(0), gbs - FREE_GB_SECONDS) if free else gbs
        requests = max(Decimal(0), invocations - FREE_REQUESTS) if free else Decimal(invocations)
        tier = (
            "It is the only function in the account, so the monthly free tier (400,000 "
            "GB-seconds and 1,000,000 requests) is available to it in full."
            if free
            else "Other functions in the account already use the whole monthly free tier, "
            "so none of it is left for this one."
        )
        explanation = (
            f"{gbs_line} "
            + (
                f"After the 400,000 GB-s free tier, {fmt(round(compute, 3))} GB-s are billable; "
                f"after the 1,000,000 free requests, {fmt(requests)} requests are. "
                if free
                else "No free tier applies, so every GB-second and request is billed. "
            )
            + f"Compute: {fmt(round(compute, 3))} {TIMES} $0.0000166667 = "
            f"{money(compute * PRICE_GB_SECOND)}; requests: {fmt(requests)} {TIMES} $0.20 / 1,000,000 "
            f"= {money(requests * PRICE_PER_MILLION_REQUESTS / 1_000_000)}; "
            f"total {money(answer)} a month."
        )
        mistakes = [
            Mistake(
                bill(gbs, invocations, free_compute=not free, free_requests=not free),
                "That applies the monthly free tier, but other functions have already used it "
                "up; nothing is free for this one."
                if not free
                else "The free tier (400,000 GB-s and 1,000,000 requests) was not subtracted.",
            ),
            Mistake(
                bill(
                    gb_seconds(memory, duration, invocations, mb_per_gb=1000),
                    invocations,
                    free_compute=free,
                    free_requests=free,
                ),
                "Memory converts to GB by dividing by 1,024, not 1,000.",
            ),
            Mistake(
                answer - requests * PRICE_PER_MILLION_REQUESTS / 1_000_000,
                "The request charge ($0.20 per million requests) is missing.",
            ),
            Mistake(
                bill(rounded_100, invocations, free_compute=free, free_requests=free),
                "Durations are billed per 1 ms; rounding up to 100 ms is the pre-2020 rule.",
            ),
        ]
        if free:
            mistakes.append(
                Mistake(
                    bill(gbs, invocations, free_compute=True, free_requests=False),
                    "The free tier also covers 1,000,000 requests a month, not only compute.",
                )
            )
        question = numeric_question(
            stem=f"{context} The function runs on x86, priced at $0.0000166667 per "
            f"GB-second and $0.20 per 1 million requests. {tier}\n\n"
            "What is the function's Lambda bill for the month, in USD?",
            answer=answer,
            tolerance=Decimal("0.01"),
            unit="USD",
            explanation=explanation,
            mistakes=mistakes,
            difficulty="hard" if free else "medium",
            facts=[
                "lambda.billing.granularity",
                *(["lambda.free_tier.gb_seconds", "lambda.free_tier.requests"] if free else []),
            ],
            lessons=["lambda-pricing"],
        )
        render = money
        prompt = "What is the function's Lambda bill for the month?"
        fillers = [
            Mistake(
                bill(whole_seconds, invocations, free_compute=free, free_requests=free),
                "Lambda bills per 1 ms, not per started second.",
            ),
            Mistake(
                compute * PRICE_GB_SECOND + requests * PRICE_PER_MILLION_REQUESTS,
                "The request price is $0.20 per million requests, not per request.",
            ),
        ]
        if free:
            # A workload inside the free tier costs $0.00, and so do most mistakes made
            # after subtracting it; these stay distinct from the key.
            fillers += [
                Mistake(
                    bill(whole_seconds, invocations, free_compute=False, free_requests=False),
                    "Lambda bills per 1 ms, not per started second, and the free tier "
                    "applies here.",
                ),
                Mistake(
                    gbs * PRICE_GB_SECOND + invocations * PRICE_PER_MILLION_REQUESTS,
                    "The request price is $0.20 per million requests, not per request, and "
                    "the free tier applies here.",
                ),
            ]

    if params.get("answer_type", "numeric") == "numeric":
        return question
    return numeric_as_single(
        rng,
        question,
        render=render,
        fillers=fillers,
        prompt=prompt,
    )


def _render_gbs(value: Decimal) -> str:
    return f"{fmt(round(value, 2))} GB-s"


FAMILY = Family(
    name="lambda-cost",
    title="Lambda GB-seconds and monthly cost",
    default_domain="lambda-config",
    default_lessons=("lambda-pricing",),
    build=build,
    params_schema=PARAMS,
    check=only_with("lambda-cost", "free_tier", key="ask", values=("cost",)),
)
