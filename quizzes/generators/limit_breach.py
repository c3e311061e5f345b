"""`limit-breach`: which limit does this design break?

Every number in the scenario is derived from the caller's fact catalogue: one quantity is
drawn above its fact's value, the others below theirs. So when a fact's value changes in
content/facts.yaml, the scenarios and their keys follow it. The seed alone decides which
facts appear, which one is broken and the relative sizes, so the same seed with a changed
fact yields the same scenario with the new numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quizzes.generators.base import (
    FactLike,
    Facts,
    Family,
    Param,
    ceil_to,
    floor_to,
    fmt,
    option,
    single_question,
)

UNIT_WORDS = {"s": "seconds", "min": "minutes", "h": "hours", "days": "days"}


@dataclass(frozen=True)
class Template:
    fact: str
    group: str
    phrase: str  # "{amount}" is replaced by the quantity with its unit
    lesson: str
    noun: str = ""  # unit word for count facts ("layers")
    rate: str = ""  # " per second" for throughput limits, added in the explanations


TEMPLATES = (
    Template("lambda.memory.max", "lambda", "The function is configured with {amount} of memory.", "lambda-limits"),
    Template("lambda.timeout.max", "lambda", "One invocation processes a whole day's files, which takes about {amount}.", "lambda-limits"),
    Template("lambda.payload.sync", "lambda", "The mobile app invokes it synchronously with request bodies of up to {amount}.", "lambda-limits"),
    Template("lambda.payload.async", "lambda", "Other services invoke it asynchronously with events of up to {amount}.", "lambda-invocation"),
    Template("lambda.env_vars.max_size", "lambda", "Its environment variables add up to {amount}.", "lambda-limits"),
    Template("lambda.tmp.max", "lambda", "Each run unpacks a {amount} reference dataset into /tmp.", "lambda-limits"),
    Template("lambda.layers.max", "lambda", "It uses {amount}.", "lambda-packaging", noun="layers"),
    Template("lambda.package.zip_max", "lambda", "The zipped deployment package, uploaded directly rather than through S3, is {amount}.", "lambda-packaging"),
    Template("lambda.package.unzipped_max", "lambda", "Unzipped, its code plus layers take {amount}.", "lambda-packaging"),
    Template("sqs.message.max_size", "sqs", "Each message body is up to {amount}.", "sqs"),
    Template("sqs.visibility_timeout.max", "sqs", "A slow consumer extends a message's visibility timeout to {amount}.", "sqs"),
    Template("sqs.retention.max", "sqs", "Messages must survive {amount} in the queue when the consumers are down.", "sqs"),
    Template("sqs.delay.max", "sqs", "Some messages are delayed by {amount} before delivery.", "sqs"),
    Template("sqs.long_poll.max_wait", "sqs", "Consumers long-poll with a wait time of {amount}.", "sqs"),
    Template("sqs.batch.max_messages", "sqs", "The producer sends {amount} per `SendMessageBatch` call.", "sqs", noun="messages"),
    Template("dynamodb.item.max_size", "dynamodb", "The largest item, with its attribute names, is {amount}.", "dynamodb-data-model"),
    Template("dynamodb.gsi.max_per_table", "dynamodb", "The table needs {amount} for its access patterns.", "dynamodb-indexes", noun="global secondary indexes"),
    Template("dynamodb.lsi.max_per_table", "dynamodb", "The table is created with {amount}.", "dynamodb-indexes", noun="local secondary indexes"),
    Template("dynamodb.pitr.max_days", "dynamodb", "Auditors want point-in-time restore to any second of the last {amount}.", "dynamodb-data-protection"),
    Template("dynamodb.streams.retention", "dynamodb", "A stream consumer may fall {amount} behind and must still read every change.", "dynamodb-streams-global-tables"),
    Template("apigateway.rest.integration_timeout", "apigateway", "An edge-optimized REST API waits {amount} for its backend to build a report.", "apigateway-lambda-integration"),
    Template("apigateway.http.integration_timeout", "apigateway", "An HTTP API route's integration takes up to {amount} to answer.", "apigateway-http-vs-rest"),
    Template("apigateway.payload.max", "apigateway", "Clients upload files of up to {amount} in one request body.", "apigateway-overview"),
    Template("apigateway.cache.ttl_max", "apigateway", "Responses are cached with a TTL of {amount}.", "apigateway-deployment"),
    Template("apigateway.cache.capacity_max", "apigateway", "The stage cache is sized at {amount}.", "apigateway-deployment"),
    Template("kinesis.retention.max", "kinesis", "Analysts want to replay any record from the last {amount}.", "kinesis-data-streams"),
    Template("kinesis.shard.write_records", "kinesis", "Its busiest partition key sends {amount} to a single shard.", "kinesis-data-streams", noun="records per second"),
    Template("kinesis.shard.write_mb", "kinesis", "Producers write {amount} per second into one shard.", "kinesis-data-streams", rate=" per second"),
    Template("kinesis.shard.read_mb", "kinesis", "Three consumers sharing one shard, without enhanced fan-out, together read {amount} per second from it.", "kinesis-data-streams", rate=" per second"),
    Template("stepfunctions.express.max_duration", "stepfunctions", "An Express workflow that orchestrates checkout runs for up to {amount}.", "step-functions"),
    Template("stepfunctions.standard.max_duration", "stepfunctions", "A Standard workflow waits for a manager's approval for up to {amount}.", "step-functions"),
    Template("stepfunctions.history.max_events", "stepfunctions", "One long-running Standard execution records {amount} in its history.", "step-functions", noun="events"),
    Template("lambda.timeout.max", "stepfunctions", "A Task state invokes a Lambda function that needs {amount} to finish its work.", "lambda-limits"),
)  # fmt: skip

INTROS = {
    "lambda": "A team reviews the design of a new {thing} function before launch:",
    "sqs": "A team reviews the queue design of its new {thing} pipeline:",
    "dynamodb": "A team reviews the DynamoDB table design for its new {thing} service:",
    "apigateway": "A team reviews the API Gateway design for its new {thing} API:",
    "kinesis": "A team reviews the streaming design of its new {thing} pipeline:",
    "stepfunctions": "A team reviews the workflow design of its new {thing} process:",
}
THINGS = ["document-conversion", "order", "telemetry", "booking", "billing", "media", "claims"]
GROUPS = tuple(INTROS)

PARAMS = {
    "service": Param("service", "which service's limits to draw from", choices=GROUPS),
    "options": Param(
        "options",
        "number of options (default 4; fewer when the service has fewer limits)",
        int,
        minimum=3,
        maximum=5,
    ),
}


def _unit(template: Template, fact: FactLike) -> str:
    if template.noun:
        return template.noun
    return UNIT_WORDS.get(fact.unit, fact.unit)


def _value(fact: FactLike) -> Decimal:
    return Decimal(fact.value).normalize()


def _step(template: Template, value: Decimal) -> Decimal:
    return Decimal(1) if template.noun or value >= 10 else Decimal("0.1")


def _below(template: Template, value: Decimal, fraction: float) -> Decimal | None:
    step = _step(template, value)
    amount = max(step, floor_to(value * Decimal(str(round(fraction, 3))), step))
    return amount if amount < value else None


def _above(template: Template, value: Decimal, fraction: float) -> Decimal:
    step = _step(template, value)
    amount = ceil_to(value * Decimal(str(round(fraction, 3))), step)
    return amount if amount > value else value + step


def _usable(template: Template, facts: Facts) -> bool:
    fact = facts.get(template.fact)
    return fact is not None and _value(fact) > 0


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    assert facts is not None  # Family.generate refuses to call without facts
    wanted = params.get("options", 4)
    drawn_group = rng.choice(GROUPS)
    groups = [params["service"]] if "service" in params else [drawn_group, *GROUPS]
    for group in groups:
        pool = [t for t in TEMPLATES if t.group == group and _usable(t, facts)]
        # Only templates whose quantity can also sit below the limit can be distractors.
        if (
            len(pool) >= 3
            and sum(_below(t, _value(facts[t.fact]), 0.5) is not None for t in pool) >= 2
        ):
            break
    else:
        raise ValueError(
            f"limit-breach: the fact catalogue lacks enough numeric limits for "
            f"{'service ' + repr(params['service']) if 'service' in params else 'any service'}"
            f"; needs at least 3 of: " + ", ".join(t.fact for t in TEMPLATES if t.group in groups)
        )

    chosen = rng.sample(pool, min(wanted, len(pool)))
    broken_at = rng.randrange(len(chosen))
    lows = [rng.uniform(0.3, 0.85) for _ in chosen]
    highs = [rng.uniform(1.15, 2.5) for _ in chosen]
    below = [_below(t, _value(facts[t.fact]), lows[i]) for i, t in enumerate(chosen)]
    # A limit with no room below it (a limit of 1 of something) cannot be a distractor.
    keep = [i for i in range(len(chosen)) if i == broken_at or below[i] is not None]
    if len(keep) < 3:
        raise ValueError(
            "limit-breach: too few of the drawn limits leave room for a quantity below them: "
            + ", ".join(t.fact for t in chosen)
        )
    broken_at = keep.index(broken_at)
    chosen = [chosen[i] for i in keep]
    below = [below[i] for i in keep]
    highs = [highs[i] for i in keep]

    bullets, options = [], []
    for i, template in enumerate(chosen):
        fact = facts[template.fact]
        value, unit = _value(fact), _unit(template, fact)
        broken = i == broken_at
        amount = _above(template, value, highs[i]) if broken else below[i]
        text = f"{fmt(amount)} {unit}"
        need, limit = f"{text}{template.rate}", f"{fmt(value)} {unit}{template.rate}"
        explanation = (
            f"Broken: the design needs {need}, but the limit is {limit}."
            if broken
            else f"Within the limit: the design needs {need} and the limit is {limit}."
        )
        options.append(option(fact.label, broken, explanation))
        bullets.append("- " + template.phrase.format(amount=text))

    key_template = chosen[broken_at]
    key_fact = facts[key_template.fact]
    intro = INTROS[group].format(thing=rng.choice(THINGS))
    stem = "\n".join([intro, "", *bullets, "", "Which limit does this design break?"])
    return single_question(
        rng,
        stem=stem,
        correct=options[broken_at],
        wrong=[o for i, o in enumerate(options) if i != broken_at],
        explanation=f"Only one quantity is over its limit: {key_fact.label} is "
        f"{fmt(_value(key_fact))} {_unit(key_template, key_fact)}.",
        difficulty="medium",
        facts=[t.fact for t in chosen],
        lessons=list(dict.fromkeys([key_template.lesson, *(t.lesson for t in chosen)])),
    )


FAMILY = Family(
    name="limit-breach",
    title="Which limit does this scenario break?",
    default_domain="limits",
    default_lessons=("lambda-limits",),
    build=build,
    params_schema=PARAMS,
    needs_facts=True,
)
