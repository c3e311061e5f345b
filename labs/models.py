"""Labs as imported from content/labs/, and the learners' submissions with their results.

Lab rows are written only by the content import (labs/content.py), matched on slug so ids,
URLs and submission history survive re-imports. A lab whose folder disappears is
deactivated, never deleted: its submissions and gradebook stay readable.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Lab(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300)
    minutes = models.PositiveSmallIntegerField(help_text="Time estimate.")
    order = models.IntegerField(default=0)
    instructions_html = models.TextField(help_text="lab.md rendered and sanitised at import.")
    lessons = models.ManyToManyField("courses.Lesson", related_name="labs", blank=True)
    starter_files = models.JSONField(help_text="Filename -> text of starter/.")
    checks_digest = models.CharField(
        max_length=64, help_text="sha256 of checks.py at the last import."
    )
    source_path = models.CharField(
        max_length=300, help_text="The lab folder, relative to the content directory."
    )
    is_active = models.BooleanField(
        default=True, help_text="False once the folder is gone; history is kept."
    )

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("labs:lab", kwargs={"slug": self.slug})


class Submission(models.Model):
    class Kind(models.TextChoices):
        RUN = "run", "Run"
        SUBMIT = "submit", "Submit"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        GRADED = "graded", "Graded"
        UNGRADABLE = "ungradable", "Could not be run"
        ERROR = "error", "Grader error"

    FINISHED = (Status.GRADED, Status.UNGRADABLE, Status.ERROR)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_submissions"
    )
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="submissions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    files = models.JSONField(help_text="Filename -> text, exactly as submitted.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    result = models.JSONField(null=True, blank=True, help_text="The engine's result contract.")
    checks_digest = models.CharField(
        max_length=64, blank=True, help_text="checks.py digest the result was graded with."
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker started grading it (re-grades included)."
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # A learner's history on a lab page, newest first.
            models.Index(fields=["user", "lab", "-created"], name="labs_sub_user_lab_created"),
            # The rate limit counts one learner's submissions of the last minute, any lab.
            models.Index(fields=["user", "-created"], name="labs_sub_user_created"),
            # The gradebook: graded submits of one lab, grouped by learner.
            models.Index(fields=["lab", "kind", "status", "user"], name="labs_sub_gradebook"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0),
                name="labs_sub_score_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of {self.lab_id} by {self.user_id}"

    def get_absolute_url(self) -> str:
        return reverse("labs:submission", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score)
