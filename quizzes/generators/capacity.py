"""`dynamodb-capacity`: read and write capacity units for a provisioned table.

One RCU is one strongly consistent read per second of an item up to 4 KB (two eventually
consistent reads; a transactional read costs double); one WCU is one write per second of
an item up to 1 KB (transactional writes cost double). Item sizes round up per item to the
next whole unit, and a table provisions whole units.
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
    ceil_div,
    fmt,
    numeric_as_single,
    numeric_question,
)

READ_UNIT_KB = 4
WRITE_UNIT_KB = 1

APPS = [
    "order service",
    "game leaderboard",
    "IoT telemetry dashboard",
    "shopping-cart service",
    "user-profile service",
    "hotel booking API",
    "inventory tracker",
    "chat-history service",
    "parcel-tracking backend",
    "loyalty-points service",
]

READ_MODES = ("strong", "eventual", "transactional")
WRITE_MODES = ("standard", "transactional")

PARAMS = {
    "operation": Param("operation", "reads (RCU) or writes (WCU)", choices=("read", "write")),
    "consistency": Param(
        "consistency",
        "strong | eventual | transactional for reads; standard | transactional for writes",
        choices=("strong", "eventual", "transactional", "standard"),
    ),
    "max_item_kb": Param(
        "max_item_kb", "largest item size drawn, in KB (default 40)", int, minimum=1, maximum=400
    ),
    "max_rate": Param(
        "max_rate",
        "largest requests per second drawn (default 500)",
        int,
        minimum=1,
        maximum=100_000,
    ),
    "answer_type": Param(
        "answer_type", "type in a number, or pick it from options", choices=("numeric", "single")
    ),
}


def _check(params: dict[str, Any]) -> None:
    operation, consistency = params.get("operation"), params.get("consistency")
    if operation == "write" and consistency in ("strong", "eventual"):
        raise ValueError(
            f"dynamodb-capacity: param 'consistency' {consistency!r} applies to reads only; "
            "writes take 'standard' or 'transactional'"
        )
    if operation == "read" and consistency == "standard":
        raise ValueError(
            "dynamodb-capacity: param 'consistency' 'standard' applies to writes only; "
            "reads take 'strong', 'eventual' or 'transactional'"
        )


def _modes(rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
    consistency = params.get("consistency")
    implied = {"strong": "read", "eventual": "read", "standard": "write"}.get(consistency or "")
    drawn_operation = rng.choice(["read", "write"])
    operation = params.get("operation") or implied or drawn_operation
    drawn_mode = rng.choice(READ_MODES if operation == "read" else WRITE_MODES)
    return operation, consistency or drawn_mode


PHRASES = {
    ("read", "strong"): (
        "The reads are strongly consistent (`ConsistentRead` is true), because the service "
        "must always see the latest write."
    ),
    ("read", "eventual"): (
        "The reads are eventually consistent (the default), since data a second old is fine."
    ),
    ("read", "transactional"): (
        "Every read is part of a `TransactGetItems` call, so that related items are read as "
        "one consistent snapshot."
    ),
    ("write", "standard"): "Each write is a plain `PutItem`.",
    ("write", "transactional"): (
        "Every write goes through `TransactWriteItems`, so that the item and its audit record "
        "are written all-or-nothing."
    ),
}


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    operation, mode = _modes(rng, params)
    app = rng.choice(APPS)
    halves = rng.randint(1, 2 * params.get("max_item_kb", 40))
    size = Decimal(halves) / 2
    rate = rng.randint(1, params.get("max_rate", 500))

    read = operation == "read"
    unit_kb = READ_UNIT_KB if read else WRITE_UNIT_KB
    other_kb = WRITE_UNIT_KB if read else READ_UNIT_KB
    units = ceil_div(size, unit_kb)
    raw = rate * units
    factor = {"strong": 1, "eventual": Decimal("0.5"), "standard": 1, "transactional": 2}[mode]
    answer = Decimal(ceil_div(raw * factor, 1))
    cu = "RCUs" if read else "WCUs"
    verb = "reads" if read else "writes"

    per_item = (
        f"An item of {fmt(size)} KB rounds up to {units} {TIMES} {unit_kb} KB, so each request costs "
        f"{units} {'read' if read else 'write'} unit{'s' if units != 1 else ''}."
    )
    how = {
        "strong": f"{fmt(rate)} strongly consistent reads/s {TIMES} {units} = {fmt(answer)} RCUs.",
        "eventual": (
            f"Eventually consistent reads cost half: {fmt(rate)} {TIMES} {units} ÷ 2 = "
            f"{fmt(raw * factor)}, rounded up to whole units = {fmt(answer)} RCUs."
        ),
        "transactional": (
            f"Transactional {verb} cost double: {fmt(rate)} {TIMES} {units} {TIMES} 2 = {fmt(answer)} {cu}."
        ),
        "standard": f"{fmt(rate)} writes/s {TIMES} {units} = {fmt(answer)} WCUs.",
    }[mode]
    explanation = f"{per_item} {how}"

    exact = Decimal(rate) * size / unit_kb * factor
    mistakes = [
        Mistake(
            exact,
            f"The item size was divided by {unit_kb} KB without rounding up: every request "
            f"consumes whole units, so an item of {fmt(size)} KB costs {units}.",
        ),
        Mistake(
            Decimal(ceil_div(exact, 1)),
            f"Only the total was rounded up. DynamoDB rounds each item up to the next "
            f"{unit_kb} KB before counting, so every request costs {units} units.",
        ),
        Mistake(
            Decimal(ceil_div(rate * ceil_div(size, other_kb) * factor, 1)),
            f"That uses {other_kb} KB units; {'reads' if read else 'writes'} are counted in "
            f"{unit_kb} KB units.",
        ),
    ]
    if mode == "strong":
        mistakes.insert(
            0,
            Mistake(
                Decimal(ceil_div(raw, 2)),
                "Halving applies to eventually consistent reads; a strongly consistent read "
                "costs a full unit per 4 KB.",
            ),
        )
    if mode == "eventual":
        mistakes.insert(
            0,
            Mistake(
                Decimal(raw),
                "That is the strongly consistent figure; eventually consistent reads cost "
                "half as much.",
            ),
        )
        mistakes.insert(
            1,
            Mistake(
                Decimal(raw) / 2,
                "Capacity is provisioned in whole units: round the half up.",
            ),
        )
    if mode == "transactional":
        mistakes.insert(
            0,
            Mistake(
                Decimal(raw),
                f"Transactional {verb} consume twice the units of ordinary ones; "
                "the doubling is missing.",
            ),
        )
        if read:
            mistakes.insert(
                1,
                Mistake(
                    Decimal(ceil_div(raw, 2)),
                    "Transactional reads are never discounted like eventually consistent "
                    "reads; they cost double a strongly consistent read.",
                ),
            )

    stem = (
        f"A team's {app} {'reads' if read else 'writes'} {fmt(rate)} items per second "
        f"{'from' if read else 'to'} a DynamoDB table in provisioned capacity mode. Each item "
        f"is {fmt(size)} KB. {PHRASES[(operation, mode)]}\n\n"
        f"How many {'read' if read else 'write'} capacity units ({cu}) must the table "
        "provision for this traffic, in whole units?"
    )
    fact_keys = ["dynamodb.rcu.item_size"] if read else ["dynamodb.wcu.item_size"]
    if mode == "eventual":
        fact_keys.append("dynamodb.rcu.eventual_reads")
    if mode == "transactional":
        fact_keys.append("dynamodb.transactions.capacity_multiplier")
    lessons = ["dynamodb-capacity"]
    if read:
        lessons.append("dynamodb-consistency")
    if mode == "transactional":
        lessons.append("dynamodb-ttl-transactions")

    question = numeric_question(
        stem=stem,
        answer=answer,
        tolerance=Decimal(0),
        unit=cu[:-1],
        explanation=explanation,
        mistakes=mistakes,
        difficulty={"strong": "easy", "standard": "easy", "eventual": "medium"}.get(mode, "hard"),
        facts=fact_keys,
        lessons=lessons,
    )
    if params.get("answer_type", "numeric") == "numeric":
        return question
    return numeric_as_single(
        rng,
        question,
        render=lambda value: f"{fmt(value)} {cu}",
        fillers=[
            Mistake(
                Decimal(ceil_div(rate * (units + 1) * factor, 1)),
                f"That counts {units + 1} units per item; an item of {fmt(size)} KB rounds up to "
                f"{units} {TIMES} {unit_kb} KB.",
            ),
            Mistake(
                answer * 3,
                "Far more than needed: each request costs "
                f"{units} unit{'s' if units != 1 else ''}"
                f"{' at double rate' if mode == 'transactional' else ''}.",
            ),
        ],
        prompt=f"How many {cu} must the table provision for this traffic?",
    )


FAMILY = Family(
    name="dynamodb-capacity",
    title="DynamoDB read/write capacity units",
    default_domain="capacity",
    default_lessons=("dynamodb-capacity", "dynamodb-consistency"),
    build=build,
    params_schema=PARAMS,
    check=_check,
)
