"""The question bank: questions and exams as imported from content/quizzes/ or authored."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from quizzes.spec import DIFFICULTIES, DOMAINS, TYPES

__all__ = ["Exam", "Question"]


class Question(models.Model):
    """One question of the bank. `spec` is the canonical dict of quizzes.spec (the YAML
    shape) and is the source of truth for grading; the other columns are copies of it kept
    for filtering (domain, difficulty, lessons) and lists."""

    class Origin(models.TextChoices):
        FILE = "file", "content/quizzes/ file"
        BROWSER = "browser", "authored in the browser"
        GIFT = "gift", "imported from GIFT"

    Type = models.TextChoices("Type", [(t, t) for t in TYPES])
    Domain = models.TextChoices("Domain", [(k, v) for k, v in DOMAINS.items()])
    Difficulty = models.TextChoices("Difficulty", [(d, d) for d in DIFFICULTIES])

    slug = models.SlugField(max_length=100, unique=True)
    type = models.CharField(max_length=16, choices=Type.choices)
    domain = models.CharField(max_length=32, choices=Domain.choices)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    stem = models.TextField(blank=True, help_text="Empty for generated questions.")
    spec = models.JSONField(help_text="Canonical question dict (quizzes.spec.QuestionSpec).")
    generator = models.CharField(max_length=50, blank=True)
    lessons = models.ManyToManyField("courses.Lesson", related_name="questions")
    facts = models.ManyToManyField("courses.Fact", related_name="questions", blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text='Where it came from, e.g. "content/quizzes/x.yaml:12".',
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Retired questions stay for the attempts that used them but are not drawn.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        indexes = [
            models.Index(fields=["is_active", "domain"], name="question_active_domain"),
            models.Index(fields=["origin"], name="question_origin"),
        ]

    def __str__(self) -> str:
        return self.slug


class Exam(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    question_count = models.PositiveIntegerField(
        default=65, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    minutes = models.PositiveIntegerField(default=130, validators=[MinValueValidator(1)])
    pass_mark = models.PositiveIntegerField(
        default=720, validators=[MinValueValidator(101), MaxValueValidator(999)]
    )
    passing_fraction = models.FloatField(
        default=0.72, help_text="Raw fraction correct that scales to the pass mark."
    )
    blueprint = models.JSONField(help_text="Domain -> relative weight.")
    order = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.title
