"""limit-breach: the broken limit, checked against the fact catalogue passed in."""

import dataclasses
import re
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from courses.models import Fact
from quizzes.generators import generate
from tests.quizzes.generators.helpers import NUMBER, key_option, number

SEEDS = st.integers(min_value=0, max_value=2**32)
SERVICES = ["lambda", "sqs", "dynamodb", "apigateway", "kinesis", "stepfunctions"]

# Which fact each scenario line is about, recognised by its wording (the test's own table).
CUES = {
    "of memory": "lambda.memory.max",
    "which takes about": "lambda.timeout.max",
    "invokes it synchronously": "lambda.payload.sync",
    "invoke it asynchronously": "lambda.payload.async",
    "environment variables": "lambda.env_vars.max_size",
    "into /tmp": "lambda.tmp.max",
    "It uses": "lambda.layers.max",
    "zipped deployment package": "lambda.package.zip_max",
    "Unzipped": "lambda.package.unzipped_max",
    "message body": "sqs.message.max_size",
    "visibility timeout to": "sqs.visibility_timeout.max",
    "survive": "sqs.retention.max",
    "delayed by": "sqs.delay.max",
    "long-poll": "sqs.long_poll.max_wait",
    "SendMessageBatch": "sqs.batch.max_messages",
    "largest item": "dynamodb.item.max_size",
    "global secondary indexes": "dynamodb.gsi.max_per_table",
    "local secondary indexes": "dynamodb.lsi.max_per_table",
    "point-in-time restore": "dynamodb.pitr.max_days",
    "stream consumer": "dynamodb.streams.retention",
    "edge-optimized REST API": "apigateway.rest.integration_timeout",
    "HTTP API route": "apigateway.http.integration_timeout",
    "upload files": "apigateway.payload.max",
    "cached with a TTL": "apigateway.cache.ttl_max",
    "stage cache is sized": "apigateway.cache.capacity_max",
    "replay any record": "kinesis.retention.max",
    "to a single shard": "kinesis.shard.write_records",
    "per second into one shard": "kinesis.shard.write_mb",
    "together read": "kinesis.shard.read_mb",
    "Express workflow": "stepfunctions.express.max_duration",
    "manager's approval": "stepfunctions.standard.max_duration",
    "in its history": "stepfunctions.history.max_events",
    "A Task state invokes": "lambda.timeout.max",
}
UNITS = {"seconds": "s", "minutes": "min", "hours": "h", "days": "days"}
AMOUNT = re.compile(
    rf"({NUMBER}) (seconds|minutes|hours|days|MB|KB|GB|layers|messages|events"
    r"|records per second|global secondary indexes|local secondary indexes)\b"
)


def scenario(stem: str, facts: dict) -> dict[str, Fraction]:
    """Fact key -> the quantity the design needs, in the fact's unit, from the bullets."""
    out = {}
    for line in re.findall(r"^- (.+)$", stem, re.M):
        (key,) = [k for cue, k in CUES.items() if cue in line]
        amount, unit = AMOUNT.search(line).groups()
        assert UNITS.get(unit, unit if unit in ("MB", "KB", "GB") else "count") == facts[key].unit
        out[key] = number(amount)
    return out


def assert_key_is_the_one_broken_limit(question: dict, facts: dict) -> str:
    needs = scenario(question["stem"], facts)
    broken = [k for k, amount in needs.items() if amount > Fraction(str(facts[k].value))]
    assert len(broken) == 1, (needs, broken)
    (key,) = broken
    assert key_option(question)["text"] == facts[key].label
    assert sorted(o["text"] for o in question["options"]) == sorted(facts[k].label for k in needs)
    assert sorted(question["facts"]) == sorted(needs)
    return key


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS, service=st.sampled_from(SERVICES), options=st.integers(3, 5))
def test_exactly_one_quantity_exceeds_its_fact(seed, service, options, facts):
    question = generate("limit-breach", seed, {"service": service, "options": options}, facts)
    # Kinesis and Step Functions have four limits to draw from; the others at least five.
    assert len(question["options"]) == (
        min(options, 4) if service in ("kinesis", "stepfunctions") else options
    )
    assert_key_is_the_one_broken_limit(question, facts)


def scaled(facts: dict, key: str, factor: Fraction) -> dict:
    fact = facts[key]
    value = Decimal(str(round(float(fact.value * Decimal(str(float(factor)))), 1))) or Decimal(1)
    changed = dict(facts)
    changed[key] = dataclasses.replace(fact, value=value, display=f"{value} {fact.unit}")
    return changed


@settings(max_examples=300, deadline=None)
@given(
    seed=SEEDS,
    key=st.sampled_from(sorted(set(CUES.values()))),
    factor=st.fractions(min_value=Fraction(1, 4), max_value=8),
)
def test_a_changed_fact_moves_the_scenario_and_the_key_with_it(seed, key, factor, facts):
    changed = scaled(facts, key, factor)
    service = key.split(".")[0]
    question = generate("limit-breach", seed, {"service": service}, changed)
    assert_key_is_the_one_broken_limit(question, changed)


def test_raising_the_broken_limit_raises_the_scenario_and_the_explanation(facts):
    """Same seed, same story, new numbers: the key follows the catalogue's value."""
    for seed in range(500):
        before = generate("limit-breach", seed, {"service": "lambda"}, facts)
        if key_option(before)["text"] == facts["lambda.payload.sync"].label:
            break
    else:
        raise AssertionError("no seed in 0..499 broke the synchronous payload limit")
    old_need = scenario(before["stem"], facts)["lambda.payload.sync"]
    assert 6 < old_need <= 15  # drawn between 1.15 and 2.5 times the 6 MB limit

    raised = scaled(facts, "lambda.payload.sync", Fraction(10, 3))  # 6 MB -> 20 MB
    assert raised["lambda.payload.sync"].value == 20
    after = generate("limit-breach", seed, {"service": "lambda"}, raised)
    assert assert_key_is_the_one_broken_limit(after, raised) == "lambda.payload.sync"
    new_need = scenario(after["stem"], raised)["lambda.payload.sync"]
    assert new_need > 20 >= old_need
    assert key_option(after)["explanation"] == (
        f"Broken: the design needs {float(new_need):g} MB, but the limit is 20 MB."
    )
    assert key_option(before)["explanation"] == (
        f"Broken: the design needs {float(old_need):g} MB, but the limit is 6 MB."
    )


def test_lowering_a_distractor_limit_keeps_it_within_the_new_limit(facts):
    for seed in range(500):
        before = generate("limit-breach", seed, {"service": "sqs"}, facts)
        needs = scenario(before["stem"], facts)
        if (
            "sqs.retention.max" in needs
            and key_option(before)["text"] != facts["sqs.retention.max"].label
        ):
            break
    else:
        raise AssertionError("no seed in 0..499 used SQS retention as a distractor")
    lowered = scaled(facts, "sqs.retention.max", Fraction(1, 2))  # 14 days -> 7 days
    after = generate("limit-breach", seed, {"service": "sqs"}, lowered)
    assert scenario(after["stem"], lowered)["sqs.retention.max"] < 7
    assert assert_key_is_the_one_broken_limit(after, lowered) != "sqs.retention.max"
    assert after["stem"] != before["stem"]


def test_a_fact_missing_from_the_catalogue_is_never_asked(facts):
    without = {k: f for k, f in facts.items() if k != "lambda.memory.max"}
    for seed in range(100):
        question = generate("limit-breach", seed, {"service": "lambda"}, without)
        assert "lambda.memory.max" not in question["facts"]
        assert "of memory" not in question["stem"]
        assert_key_is_the_one_broken_limit(question, without)


def test_a_limit_of_one_is_only_ever_the_broken_one(facts):
    single_layer = dict(facts)
    single_layer["lambda.layers.max"] = dataclasses.replace(
        facts["lambda.layers.max"], value=Decimal(1), display="1 layer"
    )
    seen = 0
    for seed in range(200):
        question = generate("limit-breach", seed, {"service": "lambda"}, single_layer)
        key = assert_key_is_the_one_broken_limit(question, single_layer)
        if "lambda.layers.max" in question["facts"]:
            seen += 1
            assert key == "lambda.layers.max"
    assert seen > 0


def test_too_few_limits_is_a_clear_error(facts):
    tiny = {k: facts[k] for k in ("dynamodb.item.max_size", "dynamodb.gsi.max_per_table")}
    try:
        generate("limit-breach", 1, {"service": "dynamodb"}, tiny)
    except ValueError as exc:
        assert "lacks enough numeric limits for service 'dynamodb'" in str(exc)
    else:
        raise AssertionError("expected a ValueError")


def test_database_facts_give_the_same_variant_as_the_file(facts):
    """courses.models.Fact stores values with six decimals; the numbers must not show it."""
    rows = {
        key: Fact(
            key=f.key,
            label=f.label,
            service=f.service,
            value=Decimal(f"{f.value:.6f}"),
            unit=f.unit,
            display=f.display,
        )
        for key, f in facts.items()
    }
    for seed in range(30):
        assert generate("limit-breach", seed, None, rows) == generate(
            "limit-breach", seed, None, facts
        )
