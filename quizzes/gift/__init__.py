"""Moodle GIFT files in and out of the bank.

Import maps each GIFT construct onto our question types (the table is in docs/QUIZZES.md)
and validates the result with the same parser as content files, so a GIFT question is held
to the same rules (every option explained, 3-6 options ...). Anything we cannot represent
faithfully (essays, missing-word blanks, typed-text short answers, images in HTML ...) is
an error naming its line, never a quietly different question. An import is all or nothing.

Export writes every question so that importing the file again gives the same specs: what
GIFT cannot say (domain, difficulty, lessons, facts, unit, ordering, generator families)
rides in a `// coldstart: key=value ...` comment line before the question, which Moodle
ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from courses.content_errors import ContentError, ContentErrors
from quizzes.bank import SyncCounts, describe_origin, sync_questions
from quizzes.gift.reader import GiftDefaults, GiftQuestion, read_blocks
from quizzes.gift.text import Unsupported, escape
from quizzes.gift.writer import export_gift
from quizzes.models import Question
from quizzes.spec import Catalog, QuestionSpec, parse_question

__all__ = [
    "GiftDefaults",
    "GiftImportResult",
    "escape",
    "export_gift",
    "import_gift_text",
    "parse_gift",
]


@dataclass
class GiftImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)
    specs: list[QuestionSpec] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_gift(
    text: str, filename: str, *, defaults: GiftDefaults | dict | None = None
) -> GiftImportResult:
    """Parse and validate a GIFT file against the imported course; writes nothing."""
    if isinstance(defaults, dict):
        defaults = GiftDefaults(**defaults)
    defaults = defaults or GiftDefaults()
    result = GiftImportResult()
    blocks = read_blocks(text.lstrip("\ufeff"), result.errors, filename)
    catalog = Catalog.from_db()
    seen: dict[str, int] = {}
    for block in blocks:
        question = GiftQuestion(block, filename, defaults)
        try:
            data = question.parse()
        except Unsupported as exc:
            result.errors.append(ContentError(filename, exc.line or block.line, str(exc), exc.hint))
            continue
        result.warnings.extend(question.warnings)

        def line_of(path: str, lines=question.lines, block=block) -> int:
            prefix = path.split(".")[0]
            return lines.get(prefix, block.line)

        try:
            spec = parse_question(data, where=filename, line_of=line_of, catalog=catalog)
        except ContentErrors as exc:
            result.errors.extend(_in_gift_terms(e) for e in exc.errors)
            continue
        spec.line = block.line
        if spec.type == "generated":
            problem = _generator_problem(spec)
            if problem:
                result.errors.append(ContentError(filename, block.line, problem))
                continue
        if spec.slug in seen:
            result.errors.append(
                ContentError(
                    filename,
                    block.line,
                    f"question name {spec.slug!r} is also used at line {seen[spec.slug]}",
                    "give each question its own ::name::",
                )
            )
            continue
        seen[spec.slug] = block.line
        result.specs.append(spec)
    if not blocks and not result.errors:
        result.errors.append(
            ContentError(filename, None, "no questions found", "is this a GIFT file?")
        )
    return result


def _generator_problem(spec: QuestionSpec) -> str:
    """Run a generated question once, as the content import does, so bad params fail here."""
    from quizzes.variants import VariantError, variant_for

    try:
        variant_for(spec, 0)
    except VariantError as exc:
        return str(exc)
    return ""


def _in_gift_terms(error: ContentError) -> ContentError:
    """parse_question speaks YAML; say how to fix the same problem in GIFT."""
    path = getattr(error, "path", "")
    if path.endswith("explanation") and error.message.endswith((": missing", ": is empty")):
        error.message = f"{path}: no feedback"
        error.hint = (
            "add '#why' after the answer, or '####why' general feedback before the closing }"
        )
    return error


def import_gift_text(
    text: str,
    filename: str,
    *,
    defaults: GiftDefaults | dict | None = None,
    check: bool = False,
) -> GiftImportResult:
    """Import a GIFT file's questions as origin=gift, all or nothing.

    Questions are matched on slug (the ::name::, or the first words of the text): a GIFT
    question imported before is updated; one identical to a bank question of another origin
    is left alone (counted unchanged); one that differs from a file or browser question with
    that slug is an error naming both. With `check`, or any error, nothing is written.
    Side effects: Question rows (origin=gift) and their lesson/fact links."""
    result = parse_gift(text, filename, defaults=defaults)
    if result.errors:
        return result
    existing = {q.slug: q for q in Question.objects.filter(slug__in=[s.slug for s in result.specs])}
    to_write = []
    for spec in result.specs:
        other = existing.get(spec.slug)
        if other is not None and other.spec == spec.to_dict() and other.is_active:
            result.unchanged += 1
            continue
        if other is not None and other.origin != Question.Origin.GIFT:
            result.errors.append(
                ContentError(
                    filename,
                    spec.line,
                    f"question {spec.slug!r} differs from the bank's question "
                    f"{describe_origin(other)}",
                    "rename it with a different ::name::, or edit the bank's question instead",
                )
            )
            continue
        to_write.append(spec)
    if result.errors or check:
        return result
    counts = SyncCounts()
    sync_questions(to_write, origin="gift", counts=counts, retire_missing=False)
    result.created = counts.created["questions"]
    result.updated = counts.updated["questions"]
    result.unchanged += len(to_write) - result.created - result.updated
    return result
