"""Grading a learner's answer to a Variant: all or nothing, never an exception.

Answers use the Variant's display keys (see quizzes/variants.py) in the JSON shapes of
QUIZ-CONTRACT.md. An answer that cannot be read (wrong shape, unknown or repeated key, wrong
count, not a number) is graded wrong with `malformed` saying why in words a learner can act
on; an empty answer (None, "", [], {}) is unanswered: wrong, with `answered` False and no
`malformed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from quizzes.variants import LETTERS, Variant

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
# "1,200" and "1,200.5": commas only as thousands separators, so "1,2" stays ambiguous.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
CURRENCY = {"usd": "$", "dollars": "$", "eur": "€", "gbp": "£"}
MAX_ANSWER_CHARS = 100


@dataclass
class GradeResult:
    correct: bool
    score: float  # 0.0 or 1.0
    malformed: str | None = None
    feedback: list[dict] = field(default_factory=list)
    explanation: str = ""
    expected_display: str = ""
    answered: bool = True

    def to_dict(self) -> dict:
        return {
            "correct": self.correct,
            "score": self.score,
            "malformed": self.malformed,
            "answered": self.answered,
            "feedback": self.feedback,
            "explanation": self.explanation,
            "expected_display": self.expected_display,
        }


class _Malformed(Exception):
    pass


def choose_text(n: int) -> str:
    """'Choose two.' — the instruction shown with a multiple-response question."""
    return f"Choose {NUMBER_WORDS.get(n, str(n))}."


def grade(variant: Variant, answer) -> GradeResult:
    """Grade `answer` against `variant`; see the module docstring for the shapes."""
    unanswered = answer is None or answer in ("", [], {})
    if isinstance(answer, str) and not answer.strip():
        unanswered = True
    try:
        chosen = None if unanswered else _READERS[variant.type](variant, answer)
    except _Malformed as exc:
        return _result(variant, None, malformed=str(exc))
    except (TypeError, ValueError, AttributeError, ArithmeticError):
        # Shapes the readers do not foresee (e.g. a dict with unhashable values) are still
        # the learner's input, not our bug: grade them wrong and say so.
        return _result(variant, None, malformed="this answer could not be read")
    return _result(variant, chosen, answered=not unanswered)


def _result(variant: Variant, chosen, *, malformed: str | None = None, answered: bool = True):
    feedback, correct = _FEEDBACK[variant.type](variant, chosen)
    correct = correct and malformed is None and chosen is not None
    return GradeResult(
        correct=correct,
        score=1.0 if correct else 0.0,
        malformed=malformed,
        feedback=feedback,
        explanation=variant.spec.explanation,
        expected_display=variant.expected_display(),
        answered=answered and malformed is None,
    )


# --- reading answers: each returns a normalised answer or raises _Malformed -------------------


def _option_key(variant: Variant, value, n: int) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"an option is chosen by its letter, not {_show(value)}")
    key = value.strip().lower()
    if len(key) != 1 or key not in LETTERS[:n]:
        raise _Malformed(f"there is no option {_show(value)}; the options are {_span(n)}")
    return key


def _read_single(variant: Variant, answer) -> str:
    if isinstance(answer, list) and len(answer) == 1:
        answer = answer[0]  # a one-item list is a harmless form encoding of one choice
    if isinstance(answer, list):
        raise _Malformed("choose exactly one option")
    return _option_key(variant, answer, len(variant.option_order))


def _read_multiple(variant: Variant, answer) -> frozenset[str]:
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, list):
        raise _Malformed(f"choose options by their letters, not {_show(answer)}")
    keys = [_option_key(variant, v, len(variant.option_order)) for v in answer]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise _Malformed(f"option {repeated[0]} is chosen twice")
    need = variant.choose
    if len(keys) != need:
        raise _Malformed(
            f"this question asks for {NUMBER_WORDS.get(need, need)} options and "
            f"{len(keys)} {'was' if len(keys) == 1 else 'were'} chosen"
        )
    return frozenset(keys)


def _read_numeric(variant: Variant, answer) -> Decimal:
    return parse_number(answer, variant.unit)


def parse_number(answer, unit: str = "") -> Decimal:
    """A typed number: "12.5", "1,200", "-3", "120 RCU" (the question's own unit), "$4.20"
    for dollar questions. Raises _Malformed with a reason for anything else."""
    if isinstance(answer, bool):
        raise _Malformed("type a number")
    if isinstance(answer, int | float | Decimal):
        text = str(answer)
    elif isinstance(answer, str):
        text = answer.strip()
    else:
        raise _Malformed("type a number")
    if len(text) > MAX_ANSWER_CHARS:
        raise _Malformed("that answer is too long to be a number")
    lowered = text.lower()
    if unit:
        u = unit.lower()
        if lowered.endswith(u) and len(text) > len(u):
            text = text[: -len(u)].rstrip()
        symbol = CURRENCY.get(u)
        if symbol and text.startswith(symbol):
            text = text[len(symbol) :].lstrip()
    text = text.replace("\u00a0", " ").replace(" ", "") if _digit_groups(text) else text
    if THOUSANDS.match(text):
        text = text.replace(",", "")
    elif "," in text:
        raise _Malformed(
            f"{_show(answer)} is not a number; use a dot for decimals and commas only "
            "between groups of three digits (1,200.5)"
        )
    if not PLAIN.match(text):
        tail = re.sub(r"^[+-]?[\d.,]+\s*", "", text)
        if tail and tail != text and tail[0].isalpha():
            expected = f"the unit is {unit}" if unit else "this answer has no unit"
            raise _Malformed(f"{_show(tail)} is not the unit of this answer; {expected}")
        raise _Malformed(f"{_show(answer)} is not a number")
    try:
        value = Decimal(text)
    except InvalidOperation:  # PLAIN matched, so this is defensive only
        raise _Malformed(f"{_show(answer)} is not a number") from None
    if not value.is_finite():
        raise _Malformed(f"{_show(answer)} is not a number")
    if value and not -30 <= value.adjusted() <= 30:
        # Exponents like 1e999999999 would overflow the comparison; no answer is that big.
        raise _Malformed(f"{_show(answer)} is out of range")
    return value


def _digit_groups(text: str) -> bool:
    # "1 200" (a space as thousands separator) is common when typing large numbers.
    return bool(re.fullmatch(r"[+-]?\d{1,3}( \d{3})+(\.\d+)?", text))


def _read_matching(variant: Variant, answer) -> dict[str, str]:
    if not isinstance(answer, dict):
        raise _Malformed("match each left item to a letter")
    lefts = {item["key"] for item in variant.left}
    n_right = len(variant.right_order)
    out: dict[str, str] = {}
    for left, right in answer.items():
        if str(left) not in lefts:
            raise _Malformed(f"there is no item {_show(left)} on the left")
        if right in (None, ""):
            continue
        if not isinstance(right, str) or right.strip().lower() not in LETTERS[:n_right]:
            raise _Malformed(
                f"item {left} is matched to {_show(right)}; the choices are {_span(n_right)}"
            )
        out[str(left)] = right.strip().lower()
    used = list(out.values())
    repeated = sorted({r for r in used if used.count(r) > 1})
    if repeated:
        raise _Malformed(f"{repeated[0]} is used for more than one item; each fits one only")
    return out


def _read_ordering(variant: Variant, answer) -> list[str]:
    n = len(variant.item_order)
    if not isinstance(answer, list):
        raise _Malformed("put the items in order by their letters")
    keys = []
    for value in answer:
        if not isinstance(value, str) or value.strip().lower() not in LETTERS[:n]:
            raise _Malformed(f"there is no item {_show(value)}; the items are {_span(n)}")
        keys.append(value.strip().lower())
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise _Malformed(f"item {repeated[0]} appears twice")
    if len(keys) != n:
        raise _Malformed(f"place all {n} items; {len(keys)} were placed")
    return keys


_READERS = {
    "single": _read_single,
    "multiple": _read_multiple,
    "numeric": _read_numeric,
    "matching": _read_matching,
    "ordering": _read_ordering,
}


# --- feedback: (entries, correct) for a normalised answer (None = unanswered) ----------------


def _options_feedback(variant: Variant, chosen):
    if chosen is None:
        picked: set[str] = set()
    elif isinstance(chosen, str):
        picked = {chosen}
    else:
        picked = set(chosen)
    entries = []
    all_right = True
    for pos, i in enumerate(variant.option_order):
        option = variant.spec.options[i]
        key = LETTERS[pos]
        entries.append(
            {
                "key": key,
                "text": option.text,
                "correct": option.correct,
                "chosen": key in picked,
                "explanation": option.explanation,
            }
        )
        all_right &= option.correct == (key in picked)
    return entries, all_right


def _numeric_feedback(variant: Variant, chosen):
    spec = variant.spec
    if chosen is None:
        return [], False
    correct = abs(chosen - spec.answer) <= spec.tolerance
    explanation = ""
    if not correct:
        explanation = next(
            (m.explanation for m in spec.mistakes if abs(chosen - m.value) <= spec.tolerance),
            "",
        )
    text = f"{chosen.normalize():f}" + (f" {spec.unit}" if spec.unit else "")
    return [
        {
            "key": "answer",
            "text": text,
            "correct": correct,
            "chosen": True,
            "explanation": explanation,
        }
    ], correct


def _matching_feedback(variant: Variant, chosen):
    chosen = chosen or {}
    expected = variant.expected()
    rights = {r["key"]: r["text"] for r in variant.right}
    entries = []
    all_right = True
    for pos, i in enumerate(variant.left_order):
        key = str(pos + 1)
        pair = variant.spec.pairs[i]
        picked = chosen.get(key)
        ok = picked == expected[key]
        all_right &= ok
        entries.append(
            {
                "key": key,
                "text": pair.left,
                "correct": ok,
                "chosen": picked,
                "chosen_text": rights.get(picked, "") if picked else "",
                "expected": expected[key],
                "expected_text": pair.right,
                "explanation": pair.explanation,
            }
        )
    return entries, all_right


def _ordering_feedback(variant: Variant, chosen):
    expected = variant.expected()
    placed = {key: pos + 1 for pos, key in enumerate(chosen or [])}
    entries = []
    for pos, key in enumerate(expected):
        item = variant.spec.items[pos]
        entries.append(
            {
                "key": key,
                "text": item.text,
                "correct": placed.get(key) == pos + 1,
                "chosen": placed.get(key),
                "expected": pos + 1,
                "explanation": item.explanation,
            }
        )
    return entries, chosen == expected


_FEEDBACK = {
    "single": _options_feedback,
    "multiple": _options_feedback,
    "numeric": _numeric_feedback,
    "matching": _matching_feedback,
    "ordering": _ordering_feedback,
}


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "...'"


def _span(n: int) -> str:
    return f"{LETTERS[0]} to {LETTERS[n - 1]}" if n > 1 else LETTERS[0]
