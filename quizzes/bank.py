"""Writing and exporting the question bank.

Every write of a Question goes through here: the content import (origin=file, see
quizzes/content.py), GIFT imports (origin=gift) and browser authoring (origin=browser). A
question's row is derived from its validated QuestionSpec, so the columns used for filtering
never disagree with the spec used for grading. Questions and exams are retired
(is_active=False), never deleted, because attempts keep pointing at them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Q

from courses.content_errors import ContentError
from courses.models import Fact, Lesson
from quizzes.models import Exam, Question
from quizzes.spec import ExamSpec, QuestionSpec, spec_from_dict

ORIGINS = ("file", "browser", "gift")
EXPORT_FILES = {"browser": "browser.yaml", "gift": "gift.yaml"}


@dataclass
class SyncCounts:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)


def describe_origin(question: Question) -> str:
    """Where a question lives, for error messages ("authored in the browser (id 12)")."""
    if question.origin == Question.Origin.FILE:
        return question.source or "a content/quizzes/ file"
    label = question.get_origin_display()
    return f"{label} ({question.source})" if question.source else f"{label} (id {question.pk})"


def question_row(spec: QuestionSpec, *, origin: str, source: str) -> dict:
    """The Question columns for a spec (everything but the M2M links)."""
    return {
        "slug": spec.slug,
        "type": spec.type,
        "domain": spec.domain,
        "difficulty": spec.difficulty,
        "stem": spec.stem,
        "spec": spec.to_dict(),
        "generator": spec.generator,
        "origin": origin,
        "source": source[:300],
        "is_active": True,
    }


class _Links:
    """Lesson and fact ids by slug/key, loaded once per sync."""

    def __init__(self) -> None:
        self.lessons = dict(Lesson.objects.values_list("slug", "pk"))
        self.facts = dict(Fact.objects.values_list("key", "pk"))

    def of(self, spec: QuestionSpec) -> tuple[set[int], set[int]]:
        lessons = {self.lessons[s] for s in spec.lesson_slugs if s in self.lessons}
        facts = {self.facts[k] for k in spec.facts if k in self.facts}
        return lessons, facts


def sync_questions(
    specs: list[QuestionSpec], *, origin: str, counts: SyncCounts, retire_missing: bool
) -> dict[str, Question]:
    """Bring the questions of one origin to `specs` (matched on slug), writing only rows
    that differ. With `retire_missing`, questions of that origin absent from `specs` are
    retired. Callers check slug clashes with other origins first (see clashes()). Side
    effects: Question rows and their lesson/fact links; runs in one transaction."""
    with transaction.atomic():
        links = _Links()
        # Same-spec questions of other origins are adopted (see clashes()); different ones
        # were refused before the sync started.
        existing = {
            q.slug: q
            for q in Question.objects.filter(
                Q(origin=origin) | Q(slug__in=[s.slug for s in specs])
            ).prefetch_related("lessons", "facts")
        }
        out: dict[str, Question] = {}
        new: list[tuple[Question, QuestionSpec]] = []
        for spec in specs:
            row = question_row(spec, origin=origin, source=spec.source)
            question = existing.pop(spec.slug, None)
            if question is None:
                new.append((Question(**row), spec))
                continue
            changed = [f for f, v in row.items() if getattr(question, f) != v]
            lessons, facts = links.of(spec)
            have_lessons = {x.pk for x in question.lessons.all()}
            have_facts = {x.pk for x in question.facts.all()}
            if changed:
                for f in changed:
                    setattr(question, f, row[f])
                question.save(update_fields=[*changed, "updated_at"])
            if lessons != have_lessons:
                question.lessons.set(lessons)
            if facts != have_facts:
                question.facts.set(facts)
            if changed or lessons != have_lessons or facts != have_facts:
                counts.updated["questions"] += 1
            out[spec.slug] = question
        if new:
            Question.objects.bulk_create([q for q, _ in new])
            created = {
                q.slug: q for q in Question.objects.filter(slug__in=[q.slug for q, _ in new])
            }
            lesson_links, fact_links = [], []
            for _, spec in new:
                question = created[spec.slug]
                lessons, facts = links.of(spec)
                lesson_links += [
                    Question.lessons.through(question_id=question.pk, lesson_id=pk)
                    for pk in sorted(lessons)
                ]
                fact_links += [
                    Question.facts.through(question_id=question.pk, fact_id=pk)
                    for pk in sorted(facts)
                ]
                out[spec.slug] = question
            Question.lessons.through.objects.bulk_create(lesson_links)
            Question.facts.through.objects.bulk_create(fact_links)
            counts.created["questions"] += len(new)
        if retire_missing:
            gone = [q.pk for q in existing.values() if q.is_active and q.origin == origin]
            if gone:
                Question.objects.filter(pk__in=gone).update(is_active=False)
                counts.deleted["questions (retired, kept for past attempts)"] += len(gone)
    return out


def sync_exams(exams: list[ExamSpec], *, counts: SyncCounts) -> None:
    """Bring the Exam table to exams.yaml; exams no longer listed are retired."""
    with transaction.atomic():
        existing = {e.slug: e for e in Exam.objects.all()}
        for order, spec in enumerate(exams):
            row = {
                "slug": spec.slug,
                "title": spec.title,
                "question_count": spec.questions,
                "minutes": spec.minutes,
                "pass_mark": spec.pass_mark,
                "passing_fraction": spec.passing_fraction,
                "blueprint": dict(spec.blueprint),
                "order": order,
                "source": f"{spec.file}:{spec.line}" if spec.line else spec.file,
                "is_active": True,
            }
            exam = existing.pop(spec.slug, None)
            if exam is None:
                Exam.objects.create(**row)
                counts.created["exams"] += 1
                continue
            changed = [f for f, v in row.items() if getattr(exam, f) != v]
            if changed:
                for f in changed:
                    setattr(exam, f, row[f])
                exam.save(update_fields=changed)
                counts.updated["exams"] += 1
        gone = [e.pk for e in existing.values() if e.is_active]
        if gone:
            Exam.objects.filter(pk__in=gone).update(is_active=False)
            counts.deleted["exams (retired, kept for past attempts)"] += len(gone)


def clashes(specs: list[QuestionSpec], *, origin: str) -> list[ContentError]:
    """An error for each spec whose slug is taken by a different question of another origin,
    naming both places (a file question must not silently replace a browser-authored one).
    A question with the very same spec is not a clash: that is an exported question coming
    back (e.g. browser questions committed as a file), and the sync takes it over."""
    others = {
        q.slug: q
        for q in Question.objects.filter(slug__in=[s.slug for s in specs]).exclude(origin=origin)
    }
    return [
        ContentError(
            spec.file,
            spec.line,
            f"slug {spec.slug!r} is already used by a question {describe_origin(others[spec.slug])}",
            "rename one of them (slugs are unique across the whole bank)",
        )
        for spec in specs
        if spec.slug in others and others[spec.slug].spec != spec.to_dict()
    ]


# --- export --------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    # Multi-line text (stems with lists, code) reads best as a literal block.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)


def export_files(origin: str = "all") -> dict[str, list[dict]]:
    """The bank's active questions as import-format dicts grouped by file name: file
    questions under the content/quizzes/ file they came from, browser-authored ones in
    browser.yaml, GIFT-imported ones in gift.yaml. One query."""
    questions = Question.objects.filter(is_active=True).order_by("origin", "source", "slug")
    if origin != "all":
        questions = questions.filter(origin=origin)
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for q in questions.only("slug", "spec", "origin", "source"):
        if q.origin == Question.Origin.FILE:
            name, _, line = q.source.partition(":")
            filename = Path(name).name or "questions.yaml"
            grouped[filename].append(
                (int(line) if line.isascii() and line.isdigit() else 0, q.slug, q.spec)
            )
        else:
            grouped[EXPORT_FILES[q.origin]].append((0, q.slug, q.spec))
    # File questions keep their order in the file, so an export diffs cleanly against it.
    return {
        name: [spec_from_dict(spec).to_dict() for _, _, spec in sorted(rows, key=lambda r: r[:2])]
        for name, rows in sorted(grouped.items())
    }


def export_yaml(origin: str = "all") -> str:
    """Every exported question in one YAML document of the import format."""
    questions = [q for rows in export_files(origin).values() for q in rows]
    return dump_yaml({"questions": questions})
