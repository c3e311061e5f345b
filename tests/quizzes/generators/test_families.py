"""What holds for every family: the contract's shape, determinism, variety, validation."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.generators import FAMILIES, generate
from quizzes.spec import parse_question
from tests.quizzes.generators.helpers import DOMAINS, assert_well_formed

NAMES = sorted(FAMILIES)
SEEDS = st.integers(min_value=0, max_value=2**32)

# Valid params for each family: every accepted param, each one optional.
PARAMS = {
    "dynamodb-capacity": st.fixed_dictionaries(
        {},
        optional={
            "operation": st.sampled_from(["read", "write"]),
            "consistency": st.sampled_from(["strong", "eventual", "transactional", "standard"]),
            "max_item_kb": st.integers(1, 400),
            "max_rate": st.integers(1, 100_000),
            "answer_type": st.sampled_from(["numeric", "single"]),
        },
    ).filter(
        lambda p: (
            not (
                (p.get("operation") == "write" and p.get("consistency") in ("strong", "eventual"))
                or (p.get("operation") == "read" and p.get("consistency") == "standard")
            )
        )
    ),
    "lambda-cost": st.fixed_dictionaries(
        {},
        optional={
            "ask": st.sampled_from(["gb_seconds", "cost"]),
            "free_tier": st.booleans(),
            "max_invocations_millions": st.integers(1, 1000),
            "answer_type": st.sampled_from(["numeric", "single"]),
        },
    ).filter(lambda p: not (p.get("ask") == "gb_seconds" and "free_tier" in p)),
    "sqs-visibility": st.fixed_dictionaries(
        {},
        optional={
            "ask": st.sampled_from(["minimal", "duplicates"]),
            "batch_window": st.booleans(),
            "answer_type": st.sampled_from(["numeric", "single"]),
        },
    ).filter(
        lambda p: p.get("ask") != "duplicates" or not {"batch_window", "answer_type"} & set(p)
    ),
    "limit-breach": st.fixed_dictionaries(
        {},
        optional={
            "service": st.sampled_from(
                ["lambda", "sqs", "dynamodb", "apigateway", "kinesis", "stepfunctions"]
            ),
            "options": st.integers(3, 5),
        },
    ),
    "endpoint-type": st.fixed_dictionaries(
        {}, optional={"answer": st.sampled_from(["edge", "regional", "private"])}
    ),
    "authorizer-choice": st.fixed_dictionaries(
        {},
        optional={
            "answer": st.sampled_from(["cognito", "token", "request", "iam", "jwt", "api-keys"]),
            "options": st.integers(3, 6),
        },
    ),
    "lambda-concurrency": st.fixed_dictionaries(
        {},
        optional={
            "ask": st.sampled_from(["concurrency", "throttled", "unreserved", "outcome", "burst"]),
            "answer_type": st.sampled_from(["numeric", "single"]),
        },
    ).filter(lambda p: p.get("ask") not in ("outcome", "burst") or "answer_type" not in p),
}


def test_every_family_has_a_params_strategy_covering_its_schema():
    assert set(PARAMS) == set(FAMILIES)
    for name, family in FAMILIES.items():
        assert family.name == name
        assert all(param.name == key for key, param in family.params_schema.items())


@pytest.mark.parametrize("name", NAMES)
def test_family_metadata_points_at_real_domains_and_lessons(name, lesson_slugs):
    family = FAMILIES[name]
    assert family.title
    assert family.default_domain in DOMAINS
    assert family.default_lessons and set(family.default_lessons) <= lesson_slugs


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_variant_is_well_formed_and_deterministic(name, data, facts, lesson_slugs):
    seed = data.draw(SEEDS, label="seed")
    params = data.draw(PARAMS[name], label="params")
    question = generate(name, seed, params, facts)
    assert_well_formed(question, facts, lesson_slugs)
    assert generate(name, seed, dict(params), facts) == question
    # The bank's own validator accepts it once the question file supplies the slug.
    parse_question({**question, "slug": "generated-question"}, where="test")


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("dynamodb-capacity", 48),
        ("lambda-cost", 48),
        ("sqs-visibility", 45),
        ("limit-breach", 48),
        ("endpoint-type", 40),
        ("authorizer-choice", 35),
        ("lambda-concurrency", 45),
    ],
)
def test_different_seeds_give_different_variants(name, minimum, facts):
    variants = {json.dumps(generate(name, seed, None, facts), sort_keys=True) for seed in range(50)}
    assert len(variants) >= minimum


def test_describe_lists_every_param_with_its_bounds():
    described = FAMILIES["dynamodb-capacity"].describe()
    assert json.loads(json.dumps(described)) == described
    assert described["name"] == "dynamodb-capacity"
    assert described["default_domain"] == "capacity"
    assert described["needs_facts"] is False
    assert set(described["params"]) == {
        "operation",
        "consistency",
        "max_item_kb",
        "max_rate",
        "answer_type",
    }
    assert described["params"]["operation"]["choices"] == ["read", "write"]
    assert described["params"]["max_item_kb"] == {
        "type": "int",
        "help": "largest item size drawn, in KB (default 40)",
        "minimum": 1,
        "maximum": 400,
    }
    assert FAMILIES["limit-breach"].describe()["needs_facts"] is True


def test_unknown_family_is_a_key_error_listing_the_families():
    with pytest.raises(KeyError) as raised:
        generate("dynamo-capacity", 1)
    message = str(raised.value)
    assert "'dynamo-capacity'" in message
    for name in FAMILIES:
        assert name in message


@pytest.mark.parametrize("name", NAMES)
def test_unknown_param_is_rejected_by_name(name, facts):
    with pytest.raises(ValueError, match=r"unknown param 'colour'"):
        generate(name, 1, {"colour": "blue"}, facts)


@pytest.mark.parametrize(
    ("name", "params", "param"),
    [
        ("dynamodb-capacity", {"operation": "delete"}, "operation"),
        ("dynamodb-capacity", {"max_item_kb": 401}, "max_item_kb"),
        ("dynamodb-capacity", {"max_rate": "10"}, "max_rate"),
        ("dynamodb-capacity", {"operation": "write", "consistency": "eventual"}, "consistency"),
        ("dynamodb-capacity", {"operation": "read", "consistency": "standard"}, "consistency"),
        ("lambda-cost", {"free_tier": "yes"}, "free_tier"),
        ("lambda-cost", {"max_invocations_millions": 0}, "max_invocations_millions"),
        ("sqs-visibility", {"ask": "maximal"}, "ask"),
        ("limit-breach", {"service": "s3"}, "service"),
        ("limit-breach", {"options": 6}, "options"),
        ("endpoint-type", {"answer": "global"}, "answer"),
        ("authorizer-choice", {"options": True}, "options"),
        ("lambda-concurrency", {"answer_type": "multiple"}, "answer_type"),
        ("lambda-concurrency", {"ask": "burst", "answer_type": "numeric"}, "answer_type"),
        ("lambda-cost", {"ask": "gb_seconds", "free_tier": False}, "free_tier"),
        ("sqs-visibility", {"ask": "duplicates", "batch_window": True}, "batch_window"),
    ],
)
def test_invalid_param_value_is_rejected_by_name(name, params, param, facts):
    with pytest.raises(ValueError, match=rf"{name}: param '{param}'"):
        generate(name, 1, params, facts)


def test_params_must_be_a_mapping():
    with pytest.raises(ValueError, match="params must be a mapping"):
        generate("endpoint-type", 1, ["answer"])


@pytest.mark.parametrize("seed", ["7", 1.5, True])
def test_seed_must_be_an_integer(seed):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        generate("endpoint-type", seed)


@pytest.mark.parametrize("facts_arg", [None, {}])
def test_limit_breach_needs_the_fact_catalogue(facts_arg):
    with pytest.raises(ValueError, match="limit-breach: needs the fact catalogue"):
        generate("limit-breach", 1, None, facts_arg)


@pytest.mark.parametrize("name", sorted(set(NAMES) - {"limit-breach"}))
def test_families_without_facts_ignore_them(name, facts):
    assert generate(name, 11, None, None) == generate(name, 11, None, facts)
