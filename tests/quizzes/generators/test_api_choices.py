"""endpoint-type and authorizer-choice: the key read off the scenario's decisive clue.

The oracle below is this test's own reading of a scenario (which wording means which
answer), kept apart from the families' tables, so a scenario edited into saying something
else fails here.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.generators import generate
from tests.quizzes.generators.helpers import key_option

SEEDS = st.integers(min_value=0, max_value=2**32)

ENDPOINT_TEXT = {
    "edge": "An edge-optimized endpoint",
    "regional": "A Regional endpoint",
    "private": "A private endpoint",
}


def endpoint_for(stem: str) -> str:
    if "interface VPC endpoint" in stem or "private subnets" in stem:
        return "private"
    if (
        "its own CloudFront distribution" in stem
        or "the same Region where" in stem
        or "is used only by customers in" in stem
    ):
        return "regional"
    assert "spread across" in stem or "several continents" in stem, stem
    return "edge"


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS)
def test_endpoint_key_follows_the_client_population(seed):
    question = generate("endpoint-type", seed)
    expected = endpoint_for(question["stem"])
    assert key_option(question)["text"] == ENDPOINT_TEXT[expected]
    assert sorted(o["text"] for o in question["options"]) == sorted(ENDPOINT_TEXT.values())


@settings(max_examples=100, deadline=None)
@given(seed=SEEDS, answer=st.sampled_from(sorted(ENDPOINT_TEXT)))
def test_endpoint_answer_param_fixes_the_key(seed, answer):
    question = generate("endpoint-type", seed, {"answer": answer})
    assert endpoint_for(question["stem"]) == answer
    assert key_option(question)["text"] == ENDPOINT_TEXT[answer]


REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1")


def test_endpoint_explanations_only_name_the_scenarios_own_region():
    for seed in range(60):
        question = generate("endpoint-type", seed)
        in_stem = {r for r in REGIONS if r in question["stem"]}
        assert len(in_stem) <= 1
        for o in question["options"]:
            assert "{" not in o["explanation"]
            assert {r for r in REGIONS if r in o["explanation"]} <= in_stem


AUTH_TEXT = {
    "cognito": "A Cognito user pool authorizer (`COGNITO_USER_POOLS`)",
    "token": "A Lambda authorizer of type `TOKEN`",
    "request": "A Lambda authorizer of type `REQUEST`",
    "iam": "IAM authorization (`AWS_IAM`), with callers signing requests with SigV4",
    "jwt": "A JWT authorizer on an HTTP API",
    "api-keys": "API keys attached to a usage plan",
}


def authorizer_for(stem: str) -> str:
    if "HTTP API (not a REST API)" in stem:
        return "jwt"
    if "request quota" in stem:
        return "api-keys"
    if "combination of values" in stem:
        return "request"
    if "opaque bearer tokens" in stem:
        return "token"
    if "IAM role" in stem:
        return "iam"
    assert "Cognito user pool" in stem and "ID token" in stem, stem
    return "cognito"


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS, count=st.integers(3, 6))
def test_authorizer_key_follows_the_identity_setup(seed, count):
    question = generate("authorizer-choice", seed, {"options": count})
    expected = authorizer_for(question["stem"])
    assert key_option(question)["text"] == AUTH_TEXT[expected]
    texts = {o["text"] for o in question["options"]}
    assert len(texts) == count and texts <= set(AUTH_TEXT.values())
    # API keys are the classic trap: always on offer, and never the key for a login.
    assert AUTH_TEXT["api-keys"] in texts
    if expected != "api-keys":
        assert any(
            o["text"] == AUTH_TEXT["api-keys"] and "not a way to authenticate" in o["explanation"]
            for o in question["options"]
        )


def test_authorizer_answer_param_covers_every_choice():
    for answer, text in AUTH_TEXT.items():
        for seed in range(20):
            question = generate("authorizer-choice", seed, {"answer": answer})
            assert authorizer_for(question["stem"]) == answer
            assert key_option(question)["text"] == text
