"""`manage.py quiz_variant`: bank questions and families, as JSON and as text."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from courses.models import Fact
from quizzes.bank import SyncCounts, sync_questions
from quizzes.generators import FAMILIES, generate
from quizzes.models import Question
from quizzes.spec import parse_question
from quizzes.variants import variant_for

REPORT_KEYS = {"question", "slug", "seed", "generator", "params", "public", "key"}


def run(*args: str) -> str:
    out = StringIO()
    call_command("quiz_variant", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json"))


def add_question(data: dict) -> Question:
    spec = parse_question(
        {"domain": "capacity", "difficulty": "medium", "lessons": ["dynamodb-capacity"], **data},
        where="test",
    )
    return sync_questions([spec], origin="browser", counts=SyncCounts(), retire_missing=False)[
        spec.slug
    ]


@pytest.fixture
def generated_question(db) -> Question:
    return add_question(
        {
            "slug": "qgen-strong-reads",
            "type": "generated",
            "generator": "dynamodb-capacity",
            "params": {"operation": "read", "consistency": "strong"},
        }
    )


@pytest.fixture
def static_question(db) -> Question:
    return add_question(
        {
            "slug": "qgen-static-single",
            "type": "single",
            "stem": "Which unit does a strongly consistent 4 KB read consume?",
            "options": [
                {"text": "One RCU", "correct": True, "explanation": "4 KB per RCU."},
                {"text": "Half an RCU", "correct": False, "explanation": "That is eventual."},
                {"text": "Two RCUs", "correct": False, "explanation": "That is transactional."},
                {"text": "One WCU", "correct": False, "explanation": "WCUs are for writes."},
            ],
        }
    )


def test_generated_bank_question_prints_its_family_variant_and_key(generated_question):
    report = run_json("qgen-strong-reads", "--seed", "5")
    expected = generate("dynamodb-capacity", 5, {"operation": "read", "consistency": "strong"})
    assert set(report) == REPORT_KEYS
    assert report["question"] == "qgen-strong-reads"
    assert report["seed"] == 5
    assert report["generator"] == "dynamodb-capacity"
    assert report["params"] == {"operation": "read", "consistency": "strong"}
    assert report["slug"] == "qgen-strong-reads"
    assert report["public"] == {
        "type": "numeric",
        "stem": expected["stem"],
        "unit": "RCU",
    }
    assert report["key"]["answer"] == expected["answer"]
    assert report["key"]["explanation"] == expected["explanation"]
    assert report["key"]["mistakes"] == expected["mistakes"]
    assert report["key"]["seed"] == 5


def test_same_seed_same_output_and_another_seed_another_variant(generated_question):
    first = run("qgen-strong-reads", "--seed", "9", "--json")
    assert run("qgen-strong-reads", "--seed", "9", "--json") == first
    assert (
        json.loads(run("qgen-strong-reads", "--seed", "10", "--json"))["public"]
        != (json.loads(first)["public"])
    )


def test_static_question_uses_the_seeds_shuffle(static_question):
    report = run_json("qgen-static-single", "--seed", "3")
    variant = variant_for(static_question, 3)
    assert set(report) == REPORT_KEYS
    assert report["generator"] == ""
    assert report["params"] == {}
    assert report["public"]["choices"] == variant.choices
    assert report["key"]["answer"] == variant.expected()
    (right,) = [o for o in report["key"]["options"] if o["correct"]]
    assert right["text"] == "One RCU"
    assert right["key"] == report["key"]["answer"]
    # What a learner sees carries no key material.
    assert "correct" not in json.dumps(report["public"])
    assert "explanation" not in json.dumps(report["public"])


def test_family_variant_without_the_bank(db):
    report = run_json("family:lambda-cost", "--seed", "4", "--params", '{"ask": "cost"}')
    expected = generate("lambda-cost", 4, {"ask": "cost"})
    assert set(report) == REPORT_KEYS
    assert report["question"] == "family:lambda-cost"
    assert report["slug"] == "family-lambda-cost"
    assert report["generator"] == "lambda-cost"
    assert report["params"] == {"ask": "cost"}
    assert report["public"]["stem"] == expected["stem"]
    assert report["public"]["unit"] == "USD"
    assert report["key"]["answer"] == expected["answer"]


def test_limit_breach_family_reads_the_imported_facts(course):
    before = run_json("family:limit-breach", "--seed", "2")
    (right,) = [o for o in before["key"]["options"] if o["correct"]]
    fact = Fact.objects.get(label=right["text"])
    Fact.objects.filter(pk=fact.pk).update(value=fact.value * 3)
    after = run_json("family:limit-breach", "--seed", "2")
    (right_after,) = [o for o in after["key"]["options"] if o["correct"]]
    assert right_after["text"] == fact.label
    tripled = generate("limit-breach", 2, None, {f.key: f for f in Fact.objects.all()})
    assert after["public"]["stem"] == tripled["stem"] != before["public"]["stem"]


def test_text_output_shows_stem_options_and_answer(static_question):
    text = run("qgen-static-single", "--seed", "3")
    variant = variant_for(static_question, 3)
    assert text.startswith("qgen-static-single (single, seed 3)\n")
    assert "Which unit does a strongly consistent 4 KB read consume?" in text
    for choice in variant.choices:
        assert f"  {choice['key']}. {choice['text']}" in text
    assert f"Answer: {variant.expected_display()}" in text
    assert "       WCUs are for writes." in text


def test_unknown_slug_is_a_clear_error(static_question):
    with pytest.raises(CommandError, match=r"no question with slug 'qgen-static-singel'") as e:
        run("qgen-static-singel", "--seed", "1")
    assert "did you mean qgen-static-single" in str(e.value)


def test_unknown_family_lists_the_families(db):
    with pytest.raises(CommandError, match=r"unknown question family 'lambda-costs'") as e:
        run("family:lambda-costs", "--seed", "1")
    for name in FAMILIES:
        assert name in str(e.value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ('{"ask": "price"}', r"lambda-cost: param 'ask' must be one of"),
        ('{"colour": 1}', r"unknown param 'colour'"),
        ("[1]", r"--params must be a JSON object"),
        ("{ask", r"--params is not valid JSON"),
    ],
)
def test_bad_family_params_are_clear_errors(db, params, message):
    with pytest.raises(CommandError, match=message):
        run("family:lambda-cost", "--seed", "1", "--params", params)


def test_params_are_refused_for_bank_questions(generated_question):
    with pytest.raises(CommandError, match="--params only applies to family:<name>"):
        run("qgen-strong-reads", "--seed", "1", "--params", '{"operation": "write"}')
