"""Practice: one question at a time from the domains or the lesson a learner picked, graded
at once, with missed questions coming back sooner (a Leitner scheme, docs/QUIZZES.md).

Spacing counts in "steps": a learner's step is how many practice questions they have
answered. A card answered at step s in box b is due again at step s + INTERVALS[b]. A miss
puts the card in box 1 (back after two other questions); a right answer moves it up a box
(at most 5), so well-known questions come back ever later. The next question is: the due
card in the lowest box (the longest overdue first), else a question never seen
(random), else the card due soonest; never the question just answered while another
question is in scope.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from courses.models import Lesson
from quizzes.grading import GradeResult, grade
from quizzes.models import AttemptItem, ExamAttempt, PracticeAnswer, PracticeCard, Question
from quizzes.spec import DOMAINS
from quizzes.variants import Variant, VariantError, variant_for

logger = logging.getLogger(__name__)

# Steps until a card in each box is due again.
INTERVALS = {1: 2, 2: 5, 3: 11, 4: 23, 5: 47}
TOP_BOX = max(INTERVALS)


class PracticeError(Exception):
    """A request practice cannot serve; the message is shown to the learner as is."""


@dataclass(frozen=True)
class Scope:
    """What a learner practises: some domains (none = all), or one lesson."""

    domains: tuple[str, ...] = ()
    lesson: str = ""

    @classmethod
    def parse(cls, *, domains: list[str], lesson: str) -> Scope:
        """Validate a learner's choice; raises PracticeError naming the bad value."""
        if lesson:
            if not Lesson.objects.filter(slug=lesson).exists():
                raise PracticeError(f"There is no lesson {lesson!r} to practise.")
            return cls(lesson=lesson)
        unknown = [d for d in domains if d not in DOMAINS]
        if unknown:
            raise PracticeError(f"Unknown domain {unknown[0]!r}: pick from the list.")
        return cls(domains=tuple(d for d in DOMAINS if d in domains))

    @classmethod
    def from_json(cls, data: dict) -> Scope:
        return cls(domains=tuple(data.get("domains", ())), lesson=data.get("lesson", ""))

    def to_json(self) -> dict:
        return {"lesson": self.lesson} if self.lesson else {"domains": list(self.domains)}

    def questions(self):
        active = Question.objects.filter(is_active=True)
        if self.lesson:
            return active.filter(lessons__slug=self.lesson).distinct()
        if self.domains:
            return active.filter(domain__in=self.domains)
        return active

    def describe(self) -> str:
        if self.lesson:
            title = Lesson.objects.filter(slug=self.lesson).values_list("title", flat=True)
            return f"lesson “{title.first() or self.lesson}”"
        if not self.domains or len(self.domains) == len(DOMAINS):
            return "all domains"
        return ", ".join(DOMAINS[d] for d in self.domains)


def current_step(*, user: User) -> int:
    return PracticeAnswer.objects.filter(user=user, answered_at__isnull=False).count()


def choose_question_id(
    *, user: User, scope: Scope, rng: random.Random, exclude: set[int] | frozenset = frozenset()
) -> int:
    """The next question for this learner in this scope (rules in the module docstring),
    never one of `exclude` (questions that could not be built for this draw)."""
    # Questions of the learner's open exam attempt are not practised meanwhile: practice
    # feedback would show their keys during the exam.
    in_exam = set(
        AttemptItem.objects.filter(
            attempt__user=user, attempt__status=ExamAttempt.Status.OPEN
        ).values_list("question_id", flat=True)
    )
    in_scope = [
        pk
        for pk in scope.questions().values_list("pk", flat=True)
        if pk not in exclude and pk not in in_exam
    ]
    if not in_scope and exclude:
        raise PracticeError(
            f"No question for {scope.describe()} could be prepared just now; please try "
            "again, and tell an instructor if it keeps happening."
        )
    if not in_scope and in_exam:
        raise PracticeError(
            f"The questions for {scope.describe()} are in your open exam; practise them after "
            "you submit it."
        )
    if not in_scope:
        raise PracticeError(f"There are no questions for {scope.describe()} yet.")
    step = current_step(user=user)
    last = (
        PracticeAnswer.objects.filter(user=user, answered_at__isnull=False)
        .order_by("-answered_at", "-pk")
        .values_list("question_id", flat=True)
        .first()
    )
    candidates = [pk for pk in in_scope if pk != last] or in_scope
    cards = {
        card.question_id: card
        for card in PracticeCard.objects.filter(user=user, question_id__in=candidates)
    }
    due = [cards[pk] for pk in candidates if pk in cards and cards[pk].due_step <= step]
    if due:
        return min(due, key=lambda c: (c.box, c.due_step, c.question_id)).question_id
    unseen = sorted(pk for pk in candidates if pk not in cards)
    if unseen:
        return rng.choice(unseen)
    return min(cards.values(), key=lambda c: (c.due_step, c.box, c.question_id)).question_id


def draw_question(*, user: User, scope: Scope, seed: int | None = None) -> PracticeAnswer:
    """The learner's pending question in this scope, or a newly drawn one with a fresh
    seed (so generated questions differ each time). A pending question from another scope
    is dropped. Side effects: at most one PracticeAnswer created and one deleted."""
    pending = PracticeAnswer.objects.filter(user=user, answered_at__isnull=True).first()
    if pending and pending.scope == scope.to_json():
        return pending
    seed = secrets.randbits(31) if seed is None else seed
    rng = random.Random(seed)  # noqa: S311 - picks a question to practise, not a secret
    question, variant = _build_next(user=user, scope=scope, rng=rng, seed=seed)
    try:
        with transaction.atomic():
            if pending:
                pending.delete()
            return PracticeAnswer.objects.create(
                user=user,
                question=question,
                seed=seed,
                spec=variant.spec.to_dict(),
                choice_order=variant.display_order(),
                scope=scope.to_json(),
            )
    except IntegrityError:
        # A second click drew at the same moment; the one-pending constraint kept one.
        return PracticeAnswer.objects.get(user=user, answered_at__isnull=True)


def _build_next(
    *, user: User, scope: Scope, rng: random.Random, seed: int, exclude: set[int] | None = None
) -> tuple[Question, Variant]:
    """The next question and its variant for `seed`. A question whose generator fails is
    logged and skipped for this draw (another one is drawn), so a broken family costs the
    learner nothing; PracticeError when nothing in scope can be built."""
    exclude = set(exclude or ())
    while True:
        question_id = choose_question_id(user=user, scope=scope, rng=rng, exclude=exclude)
        question = Question.objects.get(pk=question_id)
        try:
            return question, variant_for(question, seed)
        except VariantError as exc:
            logger.error("practice draw for %s skipped a question: %s", user.pk, exc)
            exclude.add(question_id)


def replace_broken(*, practice: PracticeAnswer) -> PracticeAnswer | None:
    """A pending practice question whose stored snapshot no longer builds (see
    PracticeAnswer.variant) is swapped for another question of the same scope; the broken
    one is logged. Returns the new question, or None for an answered one (kept as it is).
    Raises PracticeError when nothing else in scope can be built.
    Side effects: the pending PracticeAnswer is replaced by a new one."""
    logger.error("practice %s (question %s) cannot be shown", practice.pk, practice.question_id)
    if practice.is_answered:
        return None
    scope = Scope.from_json(practice.scope)
    seed = secrets.randbits(31)
    rng = random.Random(seed)  # noqa: S311 - picks a question to practise, not a secret
    question, variant = _build_next(
        user=practice.user, scope=scope, rng=rng, seed=seed, exclude={practice.question_id}
    )
    with transaction.atomic():
        PracticeAnswer.objects.filter(pk=practice.pk, answered_at__isnull=True).delete()
        return PracticeAnswer.objects.create(
            user=practice.user,
            question=question,
            seed=seed,
            spec=variant.spec.to_dict(),
            choice_order=variant.display_order(),
            scope=scope.to_json(),
        )


def get_practice_for_user(*, user: User, pk: int) -> PracticeAnswer:
    """The one way views fetch a practice question: only its learner sees it (404 else)."""
    if not user.is_authenticated:
        raise Http404("No practice question")
    try:
        # No question row: the page, grading and review read the stored snapshot.
        return PracticeAnswer.objects.get(pk=pk, user=user)
    except PracticeAnswer.DoesNotExist:
        raise Http404("No such practice question") from None


def submit_answer(
    *, practice: PracticeAnswer, answer: Any, now: datetime | None = None
) -> GradeResult:
    """Grade the learner's answer and move the question's Leitner card.

    A malformed answer (nothing chosen, not a number, ...) raises PracticeError with the
    grader's reason and records nothing, so the learner can fix it. Submitting an already
    answered question again changes nothing and returns its stored result.
    Side effects: the PracticeAnswer is answered (once); the PracticeCard is created or
    moved."""
    now = now or timezone.now()
    if practice.is_answered:
        return feedback(practice=practice)
    result = grade(practice.variant(), answer)
    if result.malformed:
        raise PracticeError(f"Your answer could not be graded: {result.malformed}.")
    if not result.answered:
        raise PracticeError("Choose or type an answer first.")
    with transaction.atomic():
        # Conditional, so a double submit grades once and moves the card once.
        answered = PracticeAnswer.objects.filter(pk=practice.pk, answered_at__isnull=True).update(
            answer=answer, correct=result.correct, answered_at=now
        )
        if answered:
            _move_card(practice=practice, correct=bool(result.correct))
    practice.refresh_from_db()
    return feedback(practice=practice)


def _move_card(*, practice: PracticeAnswer, correct: bool) -> None:
    step = current_step(user=practice.user)  # includes the answer just stored
    card, _ = PracticeCard.objects.select_for_update().get_or_create(
        user=practice.user, question_id=practice.question_id, defaults={"due_step": step}
    )
    card.box = min(card.box + 1, TOP_BOX) if correct else 1
    card.due_step = step + INTERVALS[card.box]
    card.times_seen += 1
    card.times_correct += correct
    card.save(update_fields=["box", "due_step", "times_seen", "times_correct", "updated_at"])


def feedback(*, practice: PracticeAnswer) -> GradeResult:
    """The graded result of an answered question, rebuilt from its snapshot (the variant
    that was shown, whatever happened to the question since)."""
    if not practice.is_answered:
        raise PracticeError("This question has not been answered yet.")
    return grade(practice.variant(), practice.answer)
