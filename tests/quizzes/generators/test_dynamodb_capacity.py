"""dynamodb-capacity: the key recomputed from the numbers in the stem."""

import math
import re
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.generators import generate
from tests.quizzes.generators.helpers import NUMBER, find, key_option, number

SEEDS = st.integers(min_value=0, max_value=2**32)
MODES = st.sampled_from(
    [
        ("read", "strong"),
        ("read", "eventual"),
        ("read", "transactional"),
        ("write", "standard"),
        ("write", "transactional"),
    ]
)


def expected_units(stem: str) -> tuple[int, str]:
    """Capacity units from the stem's own numbers: rate x per-item units, with each item
    rounded up to 4 KB (reads) or 1 KB (writes); eventual halves, transactions double."""
    operation = re.search(r"\b(reads|writes) [\d,]+ items per second", stem).group(1)
    rate = find(rf"(?:reads|writes) ({NUMBER}) items per second", stem)
    size = find(rf"Each item is ({NUMBER}) KB", stem)
    unit_kb = 4 if operation == "reads" else 1
    per_item = math.ceil(size / unit_kb)
    if "TransactGetItems" in stem or "TransactWriteItems" in stem:
        total = 2 * rate * per_item
    elif "eventually consistent" in stem:
        total = Fraction(rate * per_item, 2)
    else:
        total = rate * per_item
    return math.ceil(total), "RCU" if operation == "reads" else "WCU"


@settings(max_examples=300, deadline=None)
@given(seed=SEEDS, mode=MODES, max_item_kb=st.integers(1, 400), max_rate=st.integers(1, 5000))
def test_numeric_key_matches_the_stem(seed, mode, max_item_kb, max_rate):
    operation, consistency = mode
    params = {
        "operation": operation,
        "consistency": consistency,
        "max_item_kb": max_item_kb,
        "max_rate": max_rate,
    }
    question = generate("dynamodb-capacity", seed, params)
    units, unit = expected_units(question["stem"])
    assert question["type"] == "numeric"
    assert question["answer"] == units
    assert question["unit"] == unit
    assert question["tolerance"] == 0
    assert all(m["value"] != units for m in question["mistakes"])
    # The stem states the chosen mode and stays inside the drawn ranges.
    assert find(r"Each item is ([\d.]+) KB", question["stem"]) <= max_item_kb
    assert find(r"([\d,]+) items per second", question["stem"]) <= max_rate
    assert ("reads" if operation == "read" else "writes") in question["stem"]
    # The explanation walks through the same total.
    assert f"= {units:,} {unit}s." in question["explanation"]


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS, mode=MODES)
def test_single_answer_key_and_distractors(seed, mode):
    operation, consistency = mode
    question = generate(
        "dynamodb-capacity",
        seed,
        {"operation": operation, "consistency": consistency, "answer_type": "single"},
    )
    units, unit = expected_units(question["stem"])
    assert key_option(question)["text"] == f"{units:,} {unit}s"
    for o in question["options"]:
        if not o["correct"]:
            assert number(o["text"].split()[0]) != units


def test_classic_mistakes_are_named():
    """Seed 3 reads 190 transactional items of 8.5 KB: 3 units each, doubled."""
    question = generate(
        "dynamodb-capacity", 3, {"operation": "read", "consistency": "transactional"}
    )
    assert "reads 190 items per second" in question["stem"]
    assert "Each item is 8.5 KB" in question["stem"]
    assert question["answer"] == 190 * 3 * 2
    mistakes = {m["value"]: m["explanation"] for m in question["mistakes"]}
    assert "doubling is missing" in mistakes[190 * 3]
    assert "without rounding up" in mistakes[807.5]  # 190 x 8.5 / 4 x 2
    assert "1 KB units" in mistakes[190 * 9 * 2]


def test_eventual_reads_round_half_units_up():
    for seed in range(200):
        question = generate("dynamodb-capacity", seed, {"consistency": "eventual"})
        units, _ = expected_units(question["stem"])
        assert question["answer"] == units
        raw = find(r"÷ 2 = ([\d,.]+)", question["explanation"])
        if raw != int(raw):
            assert units == math.ceil(raw)
            assert any(
                m["value"] == float(raw) and "whole units" in m["explanation"]
                for m in question["mistakes"]
            )
            return
    raise AssertionError("no seed in 0..199 produced an odd eventual-read total")
