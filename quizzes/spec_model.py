"""The shapes of question and exam specs (quizzes/spec.py parses files into these).

Constants mirror QUIZ-CONTRACT.md; `QuestionSpec.to_dict()` is the canonical YAML shape
stored in Question.spec and written by the exports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from courses.content_errors import ContentError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 100

TYPES = ("single", "multiple", "numeric", "matching", "ordering", "generated")
DOMAINS: dict[str, str] = {
    "limits": "Limits and quotas",
    "endpoints": "API Gateway endpoint types",
    "auth": "Authentication and authorization",
    "capacity": "Capacity units",
    "events": "Event sources and async patterns",
    "lambda-config": "Lambda configuration",
    "data-modelling": "DynamoDB data modelling",
}
DIFFICULTIES = ("easy", "medium", "hard")
# (min, max) counts per list, from QUIZ-CONTRACT.md.
OPTION_COUNTS = {"single": (3, 6), "multiple": (4, 7)}
PAIR_COUNT = (3, 7)
TRUE_FALSE = (["True", "False"], ["False", "True"])
ITEM_COUNT = (3, 5)

COMMON_KEYS = {"slug", "type", "domain", "difficulty", "stem", "lessons", "facts", "explanation"}
TYPE_KEYS = {
    "single": {"options"},
    "multiple": {"options"},
    "numeric": {"answer", "tolerance", "unit", "mistakes"},
    "matching": {"pairs", "extra_right"},
    "ordering": {"items"},
    "generated": {"generator", "params"},
}

EXAM_DEFAULTS = {"questions": 65, "minutes": 130, "pass_mark": 720, "passing_fraction": 0.72}


@dataclass
class SpecError(ContentError):
    """A ContentError that also names the field, so a form can show it next to the input."""

    path: str = ""


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Pair:
    left: str
    right: str
    explanation: str


@dataclass(frozen=True)
class Item:
    text: str
    explanation: str


@dataclass(frozen=True)
class Mistake:
    value: Decimal
    explanation: str


@dataclass
class QuestionSpec:
    slug: str
    type: str
    domain: str
    difficulty: str
    stem: str = ""
    lessons: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    explanation: str = ""
    options: list[Option] = field(default_factory=list)
    answer: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    unit: str = ""
    mistakes: list[Mistake] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    extra_right: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    generator: str = ""
    params: dict = field(default_factory=dict)
    # Where it was read from ("content/quizzes/x.yaml" and the line of its mapping).
    file: str = ""
    line: int | None = None

    @property
    def lesson_slugs(self) -> list[str]:
        """Lesson slugs without section anchors, in order, without repeats."""
        return list(dict.fromkeys(entry.split("#", 1)[0] for entry in self.lessons))

    @property
    def choose(self) -> int:
        """How many options a learner must pick ("Choose two.")."""
        return sum(o.correct for o in self.options) if self.type == "multiple" else 1

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict:
        """The canonical YAML shape: fixed key order, optional empties left out, so two
        specs are equal exactly when their dicts are (export -> import round trips)."""
        out: dict = {
            "slug": self.slug,
            "type": self.type,
            "domain": self.domain,
            "difficulty": self.difficulty,
        }
        if self.type != "generated" or self.stem:
            out["stem"] = self.stem
        out["lessons"] = list(self.lessons)
        if self.facts:
            out["facts"] = list(self.facts)
        if self.type in ("single", "multiple"):
            out["options"] = [
                {"text": o.text, "correct": o.correct, "explanation": o.explanation}
                for o in self.options
            ]
        elif self.type == "numeric":
            out["answer"] = number_out(self.answer)
            if self.tolerance:
                out["tolerance"] = number_out(self.tolerance)
            if self.unit:
                out["unit"] = self.unit
            if self.mistakes:
                out["mistakes"] = [
                    {"value": number_out(m.value), "explanation": m.explanation}
                    for m in self.mistakes
                ]
        elif self.type == "matching":
            out["pairs"] = [
                {"left": p.left, "right": p.right, "explanation": p.explanation} for p in self.pairs
            ]
            if self.extra_right:
                out["extra_right"] = list(self.extra_right)
        elif self.type == "ordering":
            out["items"] = [{"text": i.text, "explanation": i.explanation} for i in self.items]
        elif self.type == "generated":
            out["generator"] = self.generator
            if self.params:
                out["params"] = plain_data(self.params)
        if self.explanation:
            out["explanation"] = self.explanation
        return out


@dataclass
class ExamSpec:
    slug: str
    title: str
    questions: int = EXAM_DEFAULTS["questions"]
    minutes: int = EXAM_DEFAULTS["minutes"]
    pass_mark: int = EXAM_DEFAULTS["pass_mark"]
    passing_fraction: float = EXAM_DEFAULTS["passing_fraction"]
    blueprint: dict[str, int | float] = field(default_factory=dict)
    file: str = ""
    line: int | None = None

    def to_dict(self) -> dict:
        return {
            "slug": self.slug,
            "title": self.title,
            "questions": self.questions,
            "minutes": self.minutes,
            "pass_mark": self.pass_mark,
            "passing_fraction": self.passing_fraction,
            "blueprint": dict(self.blueprint),
        }


@dataclass
class Catalog:
    """What questions may point at: lesson slugs (with their section anchors) and fact keys.
    A None member skips that check (e.g. parsing generator output or trusted stored specs)."""

    lessons: set[str] | None = None
    anchors: dict[str, set[str]] | None = None
    facts: set[str] | None = None
    # Family name -> family, or None to skip; filled lazily from quizzes.generators.
    families: dict | None = None

    @classmethod
    def from_plan(cls, plan) -> Catalog:
        """From a courses.importer.Plan being imported (content files, not yet in the DB)."""
        anchors: dict[str, set[str]] = {}
        for section in plan.assembly.sections:
            if section.lesson:
                anchors.setdefault(section.lesson, set()).add(section.anchor)
        return cls(
            lessons={lesson.slug for lesson in plan.outline.lessons},
            anchors=anchors,
            facts={f.key for f in plan.facts},
            families=load_families(),
        )

    @classmethod
    def from_db(cls) -> Catalog:
        """From the imported course, for questions authored in the browser or via GIFT."""
        from courses.models import Fact, Lesson, Section

        anchors: dict[str, set[str]] = {}
        for lesson_slug, anchor in Section.objects.filter(lesson__isnull=False).values_list(
            "lesson__slug", "anchor"
        ):
            anchors.setdefault(lesson_slug, set()).add(anchor)
        return cls(
            lessons=set(Lesson.objects.values_list("slug", flat=True)),
            anchors=anchors,
            facts=set(Fact.objects.values_list("key", flat=True)),
            families=load_families(),
        )


def load_families() -> dict | None:
    """quizzes.generators.FAMILIES, or {} when the package cannot be imported (then every
    `generated` question is reported as naming an unknown family, with the import error)."""
    try:
        from quizzes.generators import FAMILIES
    except Exception as exc:  # the generators are another helper's code; report, don't crash
        return _BrokenFamilies(f"{type(exc).__name__}: {exc}")
    return dict(FAMILIES)


class _BrokenFamilies(dict):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def number_out(value: Decimal | None) -> int | float | None:
    """A Decimal as the plain YAML number an author would write (12, 0.5)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def plain_data(value):
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, Decimal):
        return number_out(value)
    return value


def to_decimal(value) -> Decimal | None:
    """A YAML number (int, float or Decimal) as a finite Decimal; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return result if result.is_finite() else None
