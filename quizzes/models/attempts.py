"""Learners' practice answers and exam attempts.

Both store a snapshot of every question a learner saw (the concrete question's canonical
dict, its seed and the display order), so grading and review rebuild exactly the variant
that was on the screen, even after the question is edited, re-imported or retired, a fact
or a generator changes, or the shuffle code changes. The rules that write these rows live
in quizzes/practice.py and quizzes/exams.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from quizzes.variants import Variant, variant_from_snapshot

__all__ = ["AttemptItem", "ExamAttempt", "PracticeAnswer", "PracticeCard"]

SNAPSHOT_HELP = (
    "The question as drawn: the canonical dict of the concrete question (a generated "
    "question's output for this seed; type 'generated' if the generator failed at the "
    "draw). Grading and review read this, never the live Question."
)
ORDER_HELP = (
    'The shuffle shown, as indexes into the snapshot\'s lists: {"options": [2, 0, 1, 3]} '
    '(or "left"/"right"/"items"); stored at the draw.'
)


class PracticeCard(models.Model):
    """A learner's Leitner box for one question: missed questions drop to box 1 and are due
    again after a few answers; each right answer moves the card up and spaces it further out.
    Time is counted in the learner's answered practice questions ("steps"), see
    quizzes/practice.py."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_cards"
    )
    question = models.ForeignKey(
        "quizzes.Question", on_delete=models.CASCADE, related_name="practice_cards"
    )
    box = models.PositiveSmallIntegerField(default=1)
    due_step = models.PositiveIntegerField(
        help_text="The card is due once the learner has answered this many practice questions."
    )
    times_seen = models.PositiveIntegerField(default=0)
    times_correct = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="practice_card_unique"),
            models.CheckConstraint(condition=Q(box__gte=1, box__lte=5), name="practice_box_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.question_id} · box {self.box}"


class PracticeAnswer(models.Model):
    """One question drawn for practice: pending until answered, then graded once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_answers"
    )
    question = models.ForeignKey(
        "quizzes.Question", on_delete=models.CASCADE, related_name="practice_answers"
    )
    seed = models.BigIntegerField()
    spec = models.JSONField(help_text=SNAPSHOT_HELP)
    choice_order = models.JSONField(default=dict, help_text=ORDER_HELP)
    scope = models.JSONField(
        default=dict,
        help_text='What the learner chose to practise: {"domains": [...]} or '
        '{"lesson": slug}; the next question is drawn from the same scope.',
    )
    answer = models.JSONField(null=True, blank=True)
    correct = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One question on the learner's desk at a time: a double click on "Next" cannot
            # draw two, and a new scope replaces the pending question.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(answered_at__isnull=True),
                name="practice_one_pending_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.question_id} · seed {self.seed}"

    def get_absolute_url(self) -> str:
        return reverse("quizzes:practice_question", kwargs={"pk": self.pk})

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def variant(self) -> Variant:
        """The question exactly as drawn; raises VariantError if the snapshot is broken."""
        return variant_from_snapshot(self.spec, self.seed, self.choice_order)


class ExamAttempt(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "in progress"
        SUBMITTED = "submitted", "submitted"
        EXPIRED = "expired", "closed at the deadline"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts"
    )
    exam = models.ForeignKey("quizzes.Exam", on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    seed = models.BigIntegerField(help_text="Drove the draw and the question order.")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The exam's rules at the start, so editing the exam never changes a running attempt.
    pass_mark = models.PositiveSmallIntegerField()
    pass_fraction = models.FloatField()
    correct_count = models.PositiveIntegerField(null=True, blank=True)
    question_count = models.PositiveIntegerField()
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    breakdown = models.JSONField(
        default=list,
        blank=True,
        help_text="Per domain: {domain, label, correct, total}, after closing.",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_open_deadline")]

    def __str__(self) -> str:
        return f"{self.user} · {self.exam_id} · {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("quizzes:attempt", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AttemptItem(models.Model):
    """One question of an attempt at its (shuffled) position."""

    attempt = models.ForeignKey(ExamAttempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(help_text="1-based, as the learner sees it.")
    question = models.ForeignKey("quizzes.Question", on_delete=models.PROTECT, related_name="+")
    seed = models.BigIntegerField(help_text="The seed the question was drawn with.")
    spec = models.JSONField(help_text=SNAPSHOT_HELP)
    choice_order = models.JSONField(default=dict, help_text=ORDER_HELP)
    answer = models.JSONField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=0,
        help_text="Bumped on every answer change; a write based on an older "
        "version (a stale tab) is refused.",
    )
    flagged = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    correct = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="item_position_unique"),
            models.UniqueConstraint(fields=["attempt", "question"], name="item_question_unique"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.attempt_id} · #{self.position}"

    @property
    def is_answered(self) -> bool:
        return self.answer not in (None, "", [], {})

    @property
    def domain(self) -> str:
        return self.spec.get("domain", "")

    def variant(self) -> Variant:
        """The question exactly as drawn; raises VariantError if it could not be built."""
        return variant_from_snapshot(self.spec, self.seed, self.choice_order)
