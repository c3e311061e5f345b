"""Instructor authoring: the bank list, saving browser-authored questions, previews and GIFT
uploads. Views in quizzes/instructor_views.py stay thin and call these.

Questions from content/quizzes/ files are read-only here: the file is their source of truth
and the next `import_content` would overwrite a browser edit, so the page points at the file
and line instead. Questions imported from GIFT may be edited; saving one makes it a browser
question, since the bank's copy no longer matches the GIFT file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from courses.content_errors import ContentErrors
from quizzes import gift
from quizzes.bank import SyncCounts, describe_origin, sync_questions
from quizzes.models import Question
from quizzes.spec import Catalog, QuestionSpec, SpecError, parse_question
from quizzes.variants import Variant, VariantError, variant_for

BROWSER_FORM = "browser form"


class ReadOnlyQuestion(Exception):
    """A question whose source of truth is a content file; the message says which."""


def get_question(pk: int) -> Question:
    """The question an authoring page works on (instructors see the whole bank), or 404."""
    try:
        return Question.objects.prefetch_related("lessons").get(pk=pk)
    except Question.DoesNotExist as exc:
        raise Http404("No such question.") from exc


def file_location(question: Question) -> str | None:
    """ "content/quizzes/x.yaml:LINE" for a file question, None for editable ones."""
    if question.origin != Question.Origin.FILE:
        return None
    return question.source or "a file in content/quizzes/"


def bank_questions(
    *, domain: str = "", type: str = "", origin: str = "", text: str = ""
) -> QuerySet[Question]:
    """The bank list, filtered; inactive (retired) questions included and marked."""
    questions = Question.objects.only(
        "slug", "type", "domain", "difficulty", "origin", "source", "is_active", "stem"
    ).order_by("domain", "slug")
    if domain:
        questions = questions.filter(domain=domain)
    if type:
        questions = questions.filter(type=type)
    if origin:
        questions = questions.filter(origin=origin)
    if text.strip():
        questions = questions.filter(
            Q(slug__icontains=text.strip()) | Q(stem__icontains=text.strip())
        )
    return questions


def check_browser_question(*, data: dict, question: Question | None = None) -> QuestionSpec:
    """Validate `data` (the YAML shape of QUIZ-CONTRACT.md) as `save_browser_question`
    would, writing nothing: the spec, or ContentErrors (SpecErrors with field paths) for
    invalid input or a slug already used by another question. Raises ReadOnlyQuestion for
    file questions. A question's slug and type never change once saved (attempts, exports
    and GIFT re-imports find it by slug), so an edit keeps the stored ones."""
    if question is not None:
        location = file_location(question)
        if location:
            raise ReadOnlyQuestion(
                f"This question comes from a content file: edit {location} and run "
                "`manage.py import_content`."
            )
        data = {**data, "slug": question.slug, "type": question.type}
    spec = parse_question(data, where=BROWSER_FORM, catalog=Catalog.from_db())
    if spec.type == "generated":
        _check_generator(spec)
    taken = Question.objects.filter(slug=spec.slug)
    if question is not None:
        taken = taken.exclude(pk=question.pk)
    other = taken.first()
    if other is not None:
        raise ContentErrors(
            [
                SpecError(
                    BROWSER_FORM,
                    None,
                    f"slug: {spec.slug!r} is already used by a question {describe_origin(other)}",
                    "choose another slug; slugs are unique across the whole bank",
                    "slug",
                )
            ]
        )
    return spec


def save_browser_question(*, data: dict, user: User, question: Question | None = None) -> Question:
    """Create a browser-authored question from `data`, or update `question`, after
    `check_browser_question` (same exceptions). Side effects: one Question row
    (origin=browser, source naming the author) and its lesson/fact links, written through
    quizzes.bank.sync_questions; a GIFT question saved here becomes a browser question."""
    spec = check_browser_question(data=data, question=question)
    spec.file = f"browser:{user.get_username()}"
    saved = sync_questions([spec], origin="browser", counts=SyncCounts(), retire_missing=False)
    return saved[spec.slug]


def _check_generator(spec) -> None:
    """Build one variant, as the content import does, so bad params fail here and not on a
    learner's page."""
    try:
        variant_for(spec, 0)
    except VariantError as exc:
        raise ContentErrors(
            [SpecError(BROWSER_FORM, None, f"params: {exc}", "check the family's params", "params")]
        ) from exc


@dataclass
class Preview:
    variant: Variant
    public: dict
    key: dict


def preview(question: Question | QuestionSpec, seed: int) -> Preview:
    """What a learner would get for `seed` (the same variant_for the learner pages use),
    plus the key for the instructor's separate panel; `question` may be an unsaved spec
    from the editor. Raises VariantError if a generator fails for this seed."""
    variant = variant_for(question, seed)
    return Preview(variant=variant, public=variant.public(), key=variant.key())


@dataclass
class GiftUpload:
    """What the GIFT page reports: counts, and errors/warnings with their lines."""

    check: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    would_create: int = 0
    would_update: int = 0
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def upload_gift(
    *, text: str, filename: str, check: bool, defaults: gift.GiftDefaults | None = None
) -> GiftUpload:
    """Import (or with `check`, only validate) GIFT text through quizzes.gift, all or
    nothing. In check mode the counts say what an import would do. Side effects (not in
    check mode, and only without errors): Question rows with origin=gift."""
    result = gift.import_gift_text(text, filename, defaults=defaults, check=check)
    upload = GiftUpload(
        check=check,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors=list(result.errors),
        warnings=list(result.warnings),
        slugs=[s.slug for s in result.specs],
    )
    if check and not result.errors:
        stored = dict(Question.objects.filter(slug__in=upload.slugs).values_list("slug", "spec"))
        for spec in result.specs:
            if spec.slug not in stored:
                upload.would_create += 1
            elif stored[spec.slug] != spec.to_dict():
                upload.would_update += 1
    return upload
