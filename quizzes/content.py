"""content/quizzes/ as part of `import_content`: question files and exams.yaml.

`build` reads and validates every file against the course being imported (lessons, section
anchors, facts, generator families) and the bank's other questions (slug clashes), writing
nothing; `apply` runs inside the import transaction and touches only origin=file questions,
so questions authored in the browser or imported from GIFT survive any import, including one
without a content/quizzes/ folder.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from courses.content_errors import ContentError, ContentErrors
from courses.importer import ContentExtension, ImportResult, Plan
from quizzes.bank import SyncCounts, clashes, sync_exams, sync_questions
from quizzes.spec import (
    Catalog,
    ExamSpec,
    QuestionSpec,
    blueprint_counts,
    parse_exams_file,
    parse_questions_file,
)

QUIZ_DIR = "content/quizzes"
EXAMS_FILE = "exams.yaml"


@dataclass
class BuiltQuizzes:
    questions: list[QuestionSpec]
    exams: list[ExamSpec]
    warnings: list[str] = field(default_factory=list)
    files: int = 0


class QuizContent(ContentExtension):
    name = "quizzes"

    def build(self, content_dir: Path, plan: Plan) -> BuiltQuizzes:
        folder = content_dir / "quizzes"
        catalog = Catalog.from_plan(plan)
        errors: list[ContentError] = []
        questions: list[QuestionSpec] = []
        exams: list[ExamSpec] = []
        files = (
            sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []
        )
        for path in files:
            display = f"{QUIZ_DIR}/{path.name}"
            if path.name == EXAMS_FILE:
                found, problems = parse_exams_file(path, display)
                exams.extend(found)
            else:
                found, problems = parse_questions_file(path, display, catalog=catalog)
                questions.extend(found)
            errors.extend(problems)
        errors.extend(_duplicates(questions, "question"))
        errors.extend(_duplicates(exams, "exam"))
        errors.extend(_check_generated(questions, plan))
        if _bank_table_exists():
            errors.extend(clashes(questions, origin="file"))
        if errors:
            raise ContentErrors(errors)
        built = BuiltQuizzes(questions=questions, exams=exams, files=len(files))
        built.warnings = _blueprint_warnings(built)
        return built

    def apply(self, built: BuiltQuizzes, result: ImportResult) -> None:
        counts = SyncCounts(result.created, result.updated, result.deleted)
        sync_questions(built.questions, origin="file", counts=counts, retire_missing=True)
        sync_exams(built.exams, counts=counts)

    def describe(self, built: BuiltQuizzes) -> str:
        return f"{len(built.questions)} questions, {len(built.exams)} exams"


def _duplicates(specs, what: str) -> list[ContentError]:
    first: dict[str, object] = {}
    errors = []
    for spec in specs:
        if not spec.slug:
            continue
        if spec.slug in first:
            other = first[spec.slug]
            errors.append(
                ContentError(
                    spec.file,
                    spec.line,
                    f"{what} slug {spec.slug!r} is also used at {other.file}:{other.line}",
                    "slugs must be unique; rename one of them",
                )
            )
        else:
            first[spec.slug] = spec
    return errors


def _check_generated(questions: list[QuestionSpec], plan: Plan) -> list[ContentError]:
    """Run each generated question once (seed 0) with the facts being imported, so bad
    params or a broken family fail the import instead of a learner's page."""
    from quizzes.variants import VariantError, variant_for

    facts = {f.key: f for f in plan.facts}
    errors = []
    for spec in questions:
        if spec.type != "generated":
            continue
        try:
            variant_for(spec, 0, facts=facts)
        except VariantError as exc:
            errors.append(
                ContentError(
                    spec.file,
                    spec.line,
                    str(exc),
                    "check the generator name and params against docs/QUIZZES.md",
                )
            )
    return errors


def _blueprint_warnings(built: BuiltQuizzes) -> list[str]:
    """Exams whose blueprint asks for more questions of a domain than the bank has: the
    draw would come up short. Counts file questions plus active questions of other origins."""
    from quizzes.models import Question

    available: Counter = Counter(q.domain for q in built.questions)
    if _bank_table_exists():
        available.update(
            Question.objects.filter(is_active=True)
            .exclude(origin="file")
            .values_list("domain", flat=True)
        )
    warnings = []
    for exam in built.exams:
        for domain, needed in blueprint_counts(exam.blueprint, exam.questions).items():
            if available[domain] < needed:
                warnings.append(
                    f"{exam.file}:{exam.line}: exam {exam.slug!r} draws {needed} {domain} "
                    f"questions but the bank has {available[domain]}; add questions or lower "
                    "its weight"
                )
    return warnings


def _bank_table_exists() -> bool:
    """`import_content --check` also runs before `migrate`: then no question can clash."""
    from django.db import connection

    from quizzes.models import Question

    return Question._meta.db_table in connection.introspection.table_names()
