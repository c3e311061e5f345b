"""The parts every question family shares: parameter validation, number formatting and the
builders for the question dicts (the YAML shape of docs/QUIZ-CONTRACT: single | numeric).

A family is a plain function `build(rng, params, facts) -> dict`; all randomness comes from
the `random.Random(seed)` handed in, so a (family, seed, params, facts) tuple always yields
the same dict. Money and sizes are computed with Decimal so keys never carry float noise.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from courses.facts import format_number


class FactLike(Protocol):
    """What a family reads from a fact: `courses.facts.FactSpec` and `courses.models.Fact`
    both fit."""

    key: str
    label: str
    value: Decimal
    unit: str
    display: str


Facts = Mapping[str, FactLike]
Build = Callable[[random.Random, dict[str, Any], Facts | None], dict[str, Any]]

# The multiplication and minus signs shown in explanations ("6 x 120 s" typeset), spelled
# as escapes so the source stays free of look-alike characters.
TIMES = "\u00d7"
MINUS = "\u2212"


@dataclass(frozen=True)
class Param:
    """One accepted parameter. Without a value in `params` the family draws it from the
    seed, so an author fixes only what the question is about."""

    name: str
    help: str
    kind: type = str  # str | int | bool
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def clean(self, family: str, value: Any) -> Any:
        where = f"{family}: param {self.name!r}"
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false, got {value!r}")
            return value
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{where} must be a whole number, got {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{where} must be at least {self.minimum}, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{where} must be at most {self.maximum}, got {value}")
            return value
        if not isinstance(value, str) or (self.choices and value not in self.choices):
            raise ValueError(f"{where} must be one of {', '.join(self.choices)}; got {value!r}")
        return value

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind.__name__, "help": self.help}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    default_domain: str
    default_lessons: tuple[str, ...]
    build: Build
    params_schema: Mapping[str, Param] = field(default_factory=dict)
    needs_facts: bool = False
    # Cross-parameter rules (e.g. "consistency=eventual needs operation=read"); raises
    # ValueError naming the param.
    check: Callable[[dict[str, Any]], None] | None = None

    def clean_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if params is None:
            return {}
        if not isinstance(params, Mapping):
            raise ValueError(f"{self.name}: params must be a mapping, got {params!r}")
        cleaned: dict[str, Any] = {}
        for name, value in params.items():
            param = self.params_schema.get(name)
            if param is None:
                accepted = ", ".join(sorted(self.params_schema)) or "none"
                raise ValueError(
                    f"{self.name}: unknown param {name!r} (accepted params: {accepted})"
                )
            cleaned[name] = param.clean(self.name, value)
        if self.check is not None:
            self.check(cleaned)
        return cleaned

    def describe(self) -> dict[str, Any]:
        """Plain data for authoring pages and docs: what the family asks and accepts."""
        return {
            "name": self.name,
            "title": self.title,
            "default_domain": self.default_domain,
            "default_lessons": list(self.default_lessons),
            "needs_facts": self.needs_facts,
            "params": {name: param.describe() for name, param in self.params_schema.items()},
        }

    def generate(
        self, seed: int, params: Mapping[str, Any] | None = None, facts: Facts | None = None
    ) -> dict[str, Any]:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"{self.name}: seed must be a whole number, got {seed!r}")
        cleaned = self.clean_params(params)
        if self.needs_facts and not facts:
            raise ValueError(
                f"{self.name}: needs the fact catalogue (a mapping of fact key to fact); "
                "pass facts=... (e.g. from courses.facts.load_facts or courses.models.Fact)"
            )
        # A reproducible draw, not a secret: the seed is stored with the attempt.
        question = self.build(random.Random(seed), cleaned, facts)  # noqa: S311
        question.setdefault("domain", self.default_domain)
        question.setdefault("lessons", list(self.default_lessons))
        return question


def only_with(family: str, *names: str, key: str, values: tuple[str, ...]) -> Callable:
    """A `check` refusing params that would be ignored: each of `names` only takes effect
    when params[key] (if fixed) is one of `values`."""

    def check(params: dict[str, Any]) -> None:
        if key not in params or params[key] in values:
            return
        for name in names:
            if name in params:
                raise ValueError(
                    f"{family}: param {name!r} only applies when {key} is "
                    f"{' or '.join(values)}, not {params[key]!r}"
                )

    return check


# --------------------------------------------------------------------------- numbers


def num(value: Decimal | int) -> int | float:
    """A JSON number for a key: int when whole, else a float rounded to 6 places."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return int(d)
    return float(round(d, 6))


def fmt(value: Decimal | int | float) -> str:
    """How numbers appear in stems and explanations: thousands separators, no trailing
    zeros ("1,536", "0.0000166667", "12.5")."""
    return format_number(Decimal(str(value)))


def money(value: Decimal) -> str:
    return f"${round(value, 2):,.2f}"


def ceil_div(a: Decimal | int, b: Decimal | int) -> int:
    return int((Decimal(a) / Decimal(b)).to_integral_value(rounding=ROUND_CEILING))


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


# -------------------------------------------------------------------------- builders


@dataclass
class Mistake:
    value: Decimal
    explanation: str


def option(text: str, correct: bool, explanation: str) -> dict[str, Any]:
    return {"text": text, "correct": correct, "explanation": explanation}


def single_question(
    rng: random.Random,
    *,
    stem: str,
    correct: dict[str, Any],
    wrong: Sequence[dict[str, Any]],
    explanation: str,
    difficulty: str,
    facts: Sequence[str] = (),
    lessons: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A single-answer question with the key shuffled among the distractors; wrong
    options whose text equals the key (or each other) are dropped."""
    # Texts are compared the way the bank compares them (case and spacing ignored).
    seen = {_norm(correct["text"])}
    options = [correct]
    for item in wrong:
        if _norm(item["text"]) not in seen:
            seen.add(_norm(item["text"]))
            options.append(item)
    options = options[:6]
    if len(options) < 3:
        raise ValueError(f"too few distinct options for {stem[:60]!r}")
    rng.shuffle(options)
    question = {
        "type": "single",
        "difficulty": difficulty,
        "stem": stem,
        "options": options,
        "explanation": explanation,
        "facts": list(facts),
    }
    if lessons is not None:
        question["lessons"] = list(lessons)
    return question


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def distinct_mistakes(
    answer: Decimal, tolerance: Decimal, mistakes: Sequence[Mistake]
) -> list[Mistake]:
    """Mistakes a learner can actually be told about: outside the key's tolerance and not
    repeating a value already explained (the first, most likely, explanation wins)."""
    out: list[Mistake] = []
    for mistake in mistakes:
        value = round(mistake.value, 6)
        if abs(value - answer) <= tolerance:
            continue
        if any(abs(value - m.value) <= tolerance for m in out):
            continue
        out.append(Mistake(value, mistake.explanation))
    return out


def numeric_question(
    *,
    stem: str,
    answer: Decimal,
    tolerance: Decimal,
    unit: str,
    explanation: str,
    mistakes: Sequence[Mistake],
    difficulty: str,
    facts: Sequence[str] = (),
    lessons: Sequence[str] | None = None,
) -> dict[str, Any]:
    question = {
        "type": "numeric",
        "difficulty": difficulty,
        "stem": stem,
        "answer": num(answer),
        "tolerance": num(tolerance),
        "unit": unit,
        "explanation": explanation,
        "mistakes": [
            {"value": num(m.value), "explanation": m.explanation}
            for m in distinct_mistakes(answer, tolerance, mistakes)
        ],
        "facts": list(facts),
    }
    if lessons is not None:
        question["lessons"] = list(lessons)
    return question


def numeric_as_single(
    rng: random.Random,
    question: dict[str, Any],
    *,
    render: Callable[[Decimal], str],
    fillers: Sequence[Mistake],
    prompt: str,
) -> dict[str, Any]:
    """The same computation asked as a pick-one: the key plus the classic mistakes as
    distractors (filled up with `fillers` when fewer than three mistakes survive)."""
    answer = Decimal(str(question["answer"]))
    tolerance = Decimal(str(question["tolerance"]))
    pool = [Mistake(Decimal(str(m["value"])), m["explanation"]) for m in question["mistakes"]]
    pool = distinct_mistakes(answer, tolerance, [*pool, *fillers])
    key_text = render(answer)
    wrong = [
        option(render(m.value), False, m.explanation)
        for m in pool
        if render(m.value) != key_text and m.value >= 0
    ][:4]
    return single_question(
        rng,
        stem=question["stem"].rsplit("\n\n", 1)[0] + "\n\n" + prompt,
        correct=option(key_text, True, question["explanation"]),
        wrong=wrong,
        explanation=question["explanation"],
        difficulty=question["difficulty"],
        facts=question["facts"],
        lessons=question.get("lessons"),
    )
