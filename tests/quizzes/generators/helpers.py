"""Checks shared by the generator tests, written without the generators' own helpers."""

import json
import re
from fractions import Fraction

DOMAINS = {"limits", "endpoints", "auth", "capacity", "events", "lambda-config", "data-modelling"}
NUMBER = r"\d[\d,]*(?:\.\d+)?"


def number(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


def find(pattern: str, text: str) -> Fraction:
    """The first number captured by `pattern` (its group 1) in `text`; fails loudly."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in {text!r}"
    return number(match.group(1))


def correct_options(question: dict) -> list[dict]:
    return [o for o in question["options"] if o["correct"]]


def key_option(question: dict) -> dict:
    (right,) = correct_options(question)
    return right


def assert_well_formed(question: dict, facts: dict, lesson_slugs: set[str]) -> None:
    """The contract's YAML shape: what every family's output must satisfy."""
    assert json.loads(json.dumps(question)) == question
    assert question["type"] in ("single", "numeric")
    assert question["domain"] in DOMAINS
    assert question["difficulty"] in ("easy", "medium", "hard")
    assert question["stem"].strip()
    assert question["lessons"] and set(question["lessons"]) <= lesson_slugs
    assert set(question.get("facts", [])) <= set(facts)
    if question["type"] == "single":
        options = question["options"]
        assert 3 <= len(options) <= 6
        assert len(correct_options(question)) == 1
        texts = [" ".join(o["text"].lower().split()) for o in options]
        assert len(set(texts)) == len(texts), texts
        for o in options:
            assert isinstance(o["correct"], bool)
            assert o["text"].strip() and o["explanation"].strip()
    else:
        answer, tolerance = Fraction(str(question["answer"])), Fraction(str(question["tolerance"]))
        assert tolerance >= 0
        assert question["unit"].strip() and question["explanation"].strip()
        values = []
        for mistake in question["mistakes"]:
            value = Fraction(str(mistake["value"]))
            # A mistake must be graded wrong, and each wrong number is explained once.
            assert abs(value - answer) > tolerance, (value, answer, tolerance)
            assert all(abs(value - v) > tolerance for v in values)
            assert mistake["explanation"].strip()
            values.append(value)
