"""Question and exam specs: the YAML shape of content/quizzes/, parsed and validated.

One parser serves every source of questions (content files, the authoring pages, GIFT
imports, generator output), so a question means the same thing wherever it came from.
Errors are `SpecError`s (a ContentError that also names the field path, e.g.
"options[2].explanation"), collected per question and raised together as ContentErrors.
Paths index lists from 0, as in JSON: options[0] is the first option.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from courses.content_errors import ContentError, ContentErrors
from courses.yaml_lines import load_yaml

# The shapes and the exam file live in their own modules; everything stays importable from
# quizzes.spec, the one place other code needs to know.
from quizzes.exam_spec import blueprint_counts, parse_exams_file
from quizzes.spec_fields import SpecReader, read_question
from quizzes.spec_model import (
    COMMON_KEYS,
    DIFFICULTIES,
    DOMAINS,
    EXAM_DEFAULTS,
    ITEM_COUNT,
    OPTION_COUNTS,
    PAIR_COUNT,
    SLUG,
    SLUG_MAX,
    TRUE_FALSE,
    TYPE_KEYS,
    TYPES,
    Catalog,
    ExamSpec,
    Item,
    Mistake,
    Option,
    Pair,
    QuestionSpec,
    SpecError,
    load_families,
    number_out,
    to_decimal,
)

__all__ = [
    "COMMON_KEYS",
    "DIFFICULTIES",
    "DOMAINS",
    "EXAM_DEFAULTS",
    "ITEM_COUNT",
    "OPTION_COUNTS",
    "PAIR_COUNT",
    "SLUG",
    "SLUG_MAX",
    "TRUE_FALSE",
    "TYPES",
    "TYPE_KEYS",
    "Catalog",
    "ExamSpec",
    "Item",
    "Mistake",
    "Option",
    "Pair",
    "QuestionSpec",
    "SpecError",
    "blueprint_counts",
    "load_families",
    "number_out",
    "parse_exams_file",
    "parse_question",
    "parse_questions_file",
    "spec_from_dict",
    "to_decimal",
]


def parse_question(
    data: dict,
    *,
    where: str,
    line_of: Callable[[str], int | None] | None = None,
    catalog: Catalog | None = None,
) -> QuestionSpec:
    """Validate one question mapping (YAML shape of QUIZ-CONTRACT.md) into a QuestionSpec.

    `where` is the file the errors name ("content/quizzes/limits.yaml", "browser form");
    lines come from the LineDicts of courses.yaml_lines, or from `line_of(path)` when given.
    `catalog` checks that lessons, anchors, facts and generator families exist.
    Raises ContentErrors with every SpecError of the question."""
    r = SpecReader(where, line_of)
    spec = read_question(r, data, catalog or Catalog())
    if r.errors:
        raise ContentErrors(r.errors)
    return spec


def spec_from_dict(data: dict) -> QuestionSpec:
    """A QuestionSpec from a stored canonical dict (Question.spec), which was validated when
    it was saved; raises ContentErrors if it somehow is not valid any more."""
    return parse_question(data, where="stored spec")


# --- files ---------------------------------------------------------------------------------


def parse_questions_file(
    path: Path, display: str, *, catalog: Catalog | None = None
) -> tuple[list[QuestionSpec], list[ContentError]]:
    """Every question of one YAML file and every error in it (all collected, none raised)."""
    try:
        raw = load_yaml(path, display)
    except ContentError as exc:
        return [], [exc]
    errors: list[ContentError] = []
    if raw is None:
        return [], []
    if not isinstance(raw, dict) or set(raw) != {"questions"}:
        keys = ", ".join(map(str, raw)) if isinstance(raw, dict) else type(raw).__name__
        return [], [
            ContentError(
                display,
                SpecReader.line(raw) or 1,
                f"a question file has one top-level key 'questions:' (found: {keys})",
                "start the file with 'questions:' followed by '- slug: ...' entries",
            )
        ]
    entries = raw["questions"] or []
    if not isinstance(entries, list):
        return [], [ContentError(display, raw.line_of("questions"), "'questions' must be a list")]
    specs: list[QuestionSpec] = []
    for entry in entries:
        try:
            specs.append(parse_question(entry, where=display, catalog=catalog))
        except ContentErrors as exc:
            errors.extend(exc.errors)
    return specs, errors
