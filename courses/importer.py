"""`import_content`: content/ files -> database rows, idempotent and atomic.

The import first reads and validates everything (notes, course.yaml, facts.yaml) and builds
the complete desired state in memory; only then does it open one transaction and bring the
tables to that state, matching rows on natural keys (note file name, lesson slug, section
anchor, fact key ...). Unchanged rows are not written, so a second run reports "no changes";
any error before or during the write leaves the database exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils.module_loading import import_string

from courses.assembly import Assembly, NoteInput, assemble, normalize
from courses.content_errors import ContentError, ContentErrors
from courses.facts import FactSpec, find_mentions, find_uncovered, load_facts
from courses.models import (
    Fact,
    FactMention,
    Lesson,
    MergedPoint,
    MergedPointSource,
    MissingImage,
    Module,
    Note,
    Section,
    UncoveredNumber,
)
from courses.note_parsing import decode_note, parse_note
from courses.outline import Outline, load_outline

NOTE_SUFFIXES = {".txt", ".md", ".markdown", ".zim"}
SIX_PLACES = Decimal("0.000001")


@dataclass
class Plan:
    outline: Outline
    facts: list[FactSpec]
    notes: list[NoteInput]
    assembly: Assembly
    uncovered: dict[str, list] = field(default_factory=dict)
    # Built state of each content extension (quizzes, labs), keyed by extension name.
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def unplaced(self):
        return [s for s in self.assembly.sections if s.lesson is None]


@dataclass
class ImportResult:
    plan: Plan
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())
        )

    def summary(self) -> str:
        if not self.changed:
            return "no changes"
        parts = []
        for label, counter in (
            ("created", self.created),
            ("updated", self.updated),
            ("deleted", self.deleted),
        ):
            if counter:
                parts.append(
                    f"{label} " + ", ".join(f"{n} {m}" for m, n in sorted(counter.items()))
                )
        return "; ".join(parts)


def build_plan(content_dir: Path) -> Plan:
    """Read and validate every content file; raises ContentErrors listing all problems."""
    errors: list[ContentError] = []
    notes_dir = content_dir / "notes"
    files = (
        sorted(p for p in notes_dir.iterdir() if p.is_file() and p.suffix in NOTE_SUFFIXES)
        if notes_dir.is_dir()
        else []
    )
    if not files:
        errors.append(
            ContentError(
                "content/notes/",
                None,
                "no notes found",
                "add .txt or .md study notes to content/notes/",
            )
        )
    outline = facts = None
    try:
        outline = load_outline(content_dir, [p.name for p in files])
    except ContentErrors as exc:
        errors.extend(exc.errors)
    except ContentError as exc:
        errors.append(exc)
    try:
        facts = load_facts(content_dir)
    except ContentErrors as exc:
        errors.extend(exc.errors)
    except ContentError as exc:
        errors.append(exc)

    titles = {s.file: s.title for s in outline.sources} if outline else {}
    notes: list[NoteInput] = []
    uncovered = {}
    for order, path in enumerate(files):
        display = f"content/notes/{path.name}"
        try:
            data = path.read_bytes()
            text = decode_note(display, data)
            parsed = parse_note(display, text)
        except ContentError as exc:
            errors.append(exc)
            continue
        mentions = find_mentions(parsed.lines, facts or [])
        uncovered[path.name] = find_uncovered(parsed.lines, mentions)
        notes.append(
            NoteInput(
                filename=path.name,
                title=titles.get(path.name) or parsed.title,
                order=order,
                sha256=hashlib.sha256(data).hexdigest(),
                parsed=parsed,
                mentions=mentions,
            )
        )
    if outline:
        errors.extend(_check_placements(outline, notes))
    if errors:
        raise ContentErrors(errors)
    plan = Plan(
        outline=outline,
        facts=facts,
        notes=notes,
        assembly=assemble(outline, notes),
        uncovered=uncovered,
    )
    # Extensions validate their own folders against the course just built, so a question can
    # name a lesson or fact and a lab can link its lessons; all their errors are reported
    # together before anything is written.
    for extension in content_extensions():
        try:
            plan.extras[extension.name] = extension.build(content_dir, plan)
        except ContentErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ContentErrors(errors)
    return plan


class ContentExtension:
    """A kind of content beside the notes (content/quizzes/, content/labs/).

    `build` reads and validates its files without writing anything and raises ContentErrors;
    `apply` runs inside the import's transaction after the course tables are synced and
    records its row changes in the shared result counters; `describe` gives the counts the
    command prints ("152 questions"); a `warnings` list on the built object, when present, is
    printed by the command too."""

    name = ""

    def build(self, content_dir: Path, plan: Plan) -> object:
        raise NotImplementedError

    def apply(self, built: object, result: ImportResult) -> None:
        raise NotImplementedError

    def describe(self, built: object) -> str:
        raise NotImplementedError


def content_extensions() -> list[ContentExtension]:
    return [import_string(path)() for path in settings.COLDSTART_CONTENT_EXTENSIONS]


def _check_placements(outline: Outline, notes: list[NoteInput]) -> list[ContentError]:
    errors = []
    by_file = {n.filename: n for n in notes}
    for placement in outline.placements:
        note = by_file.get(placement.note)
        if note is None:
            continue
        wanted = [normalize(p) for p in placement.heading.split(">")]
        if not any(
            [normalize(p) for p in s.path][-len(wanted) :] == wanted for s in note.parsed.sections
        ):
            errors.append(
                ContentError(
                    "content/course.yaml",
                    placement.line,
                    f"placement heading {placement.heading!r} matches no section of {placement.note}",
                    "copy the heading text exactly as the note writes it",
                )
            )
    return errors


class _Sync:
    """Brings one table to a desired set of rows keyed by natural key, counting changes."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.deferred: list[tuple[type[models.Model], list[models.Model]]] = []

    def delete_deferred(self) -> None:
        for model, rows in self.deferred:
            model.objects.filter(pk__in=[o.pk for o in rows]).delete()
            self.result.deleted[model._meta.verbose_name_plural] += len(rows)
        self.deferred.clear()

    def run(
        self,
        model: type[models.Model],
        key,
        desired: dict[tuple, dict],
        *,
        defer_delete: bool = False,
    ) -> dict[tuple, models.Model]:
        """Create, update and delete rows of `model` to match `desired`. With `defer_delete`,
        leftover rows are remembered and removed by `delete_deferred()` instead, so children
        can move to new parents before old parents (and their cascades) go."""
        name = model._meta.verbose_name_plural
        existing = {key(obj): obj for obj in model.objects.all()}
        out: dict[tuple, models.Model] = {}
        to_create = []
        for natural_key, fields in desired.items():
            obj = existing.pop(natural_key, None)
            if obj is None:
                obj = model(**fields)
                to_create.append((natural_key, obj))
                continue
            changed = [f for f, v in fields.items() if getattr(obj, f) != v]
            if changed:
                for f in changed:
                    setattr(obj, f, fields[f])
                obj.save(update_fields=changed)
                self.result.updated[name] += 1
            out[natural_key] = obj
        if existing and defer_delete:
            self.deferred.append((model, list(existing.values())))
        elif existing:
            model.objects.filter(pk__in=[o.pk for o in existing.values()]).delete()
            self.result.deleted[name] += len(existing)
        if to_create:
            model.objects.bulk_create([obj for _, obj in to_create])
            self.result.created[name] += len(to_create)
            # bulk_create sets primary keys on PostgreSQL and SQLite 3.35+; re-read to be sure.
            if any(obj.pk is None for _, obj in to_create):
                fresh = {key(obj): obj for obj in model.objects.all()}
                out.update({k: fresh[k] for k, _ in to_create})
            else:
                out.update(dict(to_create))
        return out


def _q(value: Decimal) -> Decimal:
    return value.quantize(SIX_PLACES)


def apply_plan(plan: Plan) -> ImportResult:
    result = ImportResult(plan=plan)
    sync = _Sync(result)
    with transaction.atomic():
        notes = sync.run(
            Note,
            lambda o: (o.filename,),
            {
                (n.filename,): dict(
                    filename=n.filename,
                    title=n.title[:255],
                    shape=n.parsed.shape,
                    sha256=n.sha256,
                    order=n.order,
                )
                for n in plan.notes
            },
        )
        modules = sync.run(
            Module,
            lambda o: (o.slug,),
            {
                (m.slug,): dict(slug=m.slug, title=m.title, summary=m.summary, order=i)
                for i, m in enumerate(plan.outline.modules)
            },
            defer_delete=True,
        )
        module_order = {m.slug: i for i, m in enumerate(plan.outline.modules)}
        ordered_lessons = sorted(
            enumerate(plan.outline.lessons), key=lambda x: (module_order[x[1].module], x[0])
        )
        lessons = sync.run(
            Lesson,
            lambda o: (o.slug,),
            {
                (spec.slug,): dict(
                    module_id=modules[(spec.module,)].pk,
                    slug=spec.slug,
                    title=spec.title,
                    summary=spec.summary,
                    order=i,
                    search_text=plan.assembly.search_text.get(spec.slug, ""),
                )
                for i, (_, spec) in enumerate(ordered_lessons)
            },
        )
        sync.delete_deferred()
        note_ids = {k[0]: v.pk for k, v in notes.items()}
        sections = sync.run(
            Section,
            lambda o: (o.note_id, o.anchor),
            {
                (note_ids[s.note.filename], s.anchor): dict(
                    note_id=note_ids[s.note.filename],
                    anchor=s.anchor,
                    heading=s.section.heading[:300],
                    path=list(s.section.path),
                    level=s.section.level,
                    line_start=s.section.line,
                    line_end=s.section.end_line,
                    order=s.order,
                    lesson_id=lessons[(s.lesson,)].pk if s.lesson else None,
                    placement=s.placement,
                    placement_detail=s.placement_detail[:300],
                    lesson_order=s.lesson_order,
                    group_title=s.group_title[:300],
                    html_source=s.html_source,
                    html_merged=s.html_merged,
                    text=s.text,
                )
                for s in plan.assembly.sections
            },
        )
        section_id = {
            id(s): sections[(note_ids[s.note.filename], s.anchor)].pk
            for s in plan.assembly.sections
        }
        lesson_points: Counter = Counter()
        desired_points, desired_sources = {}, {}
        for point in plan.assembly.merged_points:
            lesson_pk = lessons[(point.lesson,)].pk
            order = lesson_points[lesson_pk]
            lesson_points[lesson_pk] += 1
            desired_points[(lesson_pk, order)] = dict(
                lesson_id=lesson_pk, order=order, text=point.text
            )
        points = sync.run(MergedPoint, lambda o: (o.lesson_id, o.order), desired_points)
        lesson_points.clear()
        for point in plan.assembly.merged_points:
            lesson_pk = lessons[(point.lesson,)].pk
            point_pk = points[(lesson_pk, lesson_points[lesson_pk])].pk
            lesson_points[lesson_pk] += 1
            for section, line, text in point.sources:
                sid = section_id[id(section)]
                desired_sources[(point_pk, sid, line)] = dict(
                    point_id=point_pk, section_id=sid, line=line, text=text
                )
        sync.run(MergedPointSource, lambda o: (o.point_id, o.section_id, o.line), desired_sources)

        facts = sync.run(
            Fact,
            lambda o: (o.key,),
            {
                (f.key,): dict(
                    key=f.key,
                    label=f.label,
                    service=f.service,
                    value=_q(f.value),
                    unit=f.unit,
                    display=f.display,
                    since=f.since,
                    verified=f.verified,
                    reference=f.reference,
                    note=f.note,
                    order=i,
                )
                for i, f in enumerate(plan.facts)
            },
        )
        desired_mentions, desired_images, desired_uncovered = {}, {}, {}
        for note in plan.notes:
            nid = note_ids[note.filename]
            note_sections = [s for s in plan.assembly.sections if s.note is note]

            def section_for(line: int, note_sections=note_sections):
                found = [s for s in note_sections if s.section.line <= line <= s.section.end_line]
                return section_id[id(found[-1])] if found else None

            for m in note.mentions:
                fid = facts[(m.fact.key,)].pk
                desired_mentions[(fid, nid, m.line, m.start)] = dict(
                    fact_id=fid,
                    note_id=nid,
                    section_id=section_for(m.line),
                    line=m.line,
                    column=m.start,
                    text=m.text[:300],
                    stated=m.stated[:50],
                    normalized=_q(m.normalized),
                )
            for s in note_sections:
                for image in s.images:
                    desired_images[(nid, image.line, image.src[:1000])] = dict(
                        note_id=nid,
                        section_id=section_id[id(s)],
                        line=image.line,
                        src=image.src[:1000],
                        alt=image.alt[:500],
                    )
            for u in plan.uncovered.get(note.filename, []):
                desired_uncovered[(nid, u.line, u.column)] = dict(
                    note_id=nid,
                    line=u.line,
                    column=u.column,
                    text=u.text[:100],
                    context=u.context[:300],
                )
        sync.run(FactMention, lambda o: (o.fact_id, o.note_id, o.line, o.column), desired_mentions)
        sync.run(MissingImage, lambda o: (o.note_id, o.line, o.src), desired_images)
        sync.run(UncoveredNumber, lambda o: (o.note_id, o.line, o.column), desired_uncovered)
        for extension in content_extensions():
            if extension.name in plan.extras:
                extension.apply(plan.extras[extension.name], result)
    return result


def import_content(content_dir: Path) -> ImportResult:
    """Validate content/ and bring the database to it. Side effects: rewrites course tables
    (never LessonProgress, except through lessons deleted from course.yaml)."""
    return apply_plan(build_plan(content_dir))
