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
        # Final: our grading machinery failed MAX_ATTEMPTS times (labs.services); the
        # learner's code may be fine, so this is never shown or counted as a score.
        ERROR = "error", "Grading failed (not your score)"

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
    # The grading lease (labs.services): the database, not the broker, is the source of truth
    # for what still needs grading. A worker claims a queued row (queued -> running) with a
    # fresh token and an expiry; only the holder of the token may record the result, and the
    # sweeper gives an expired lease to another worker.
    round = models.PositiveSmallIntegerField(
        default=1, help_text="Grading round: 1, then one more for each re-grade."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker claimed it in the current round."
    )
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(
        max_length=200, blank=True, help_text="Celery hostname of the last worker to claim it."
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When its grading task last reached the broker."
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
            # The sweeper's two scans: expired leases, and queued rows waiting for a message.
            models.Index(
                fields=["lease_expires"],
                name="labs_sub_running_lease",
                condition=models.Q(status="running"),
            ),
            models.Index(
                fields=["created"],
                name="labs_sub_queued",
                condition=models.Q(status="queued"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0),
                name="labs_sub_score_not_negative",
            ),
            # A running row always has a lease the sweeper can expire; no other row has one.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="running",
                        lease_token__isnull=False,
                        lease_expires__isnull=False,
                    )
                    | (
                        ~models.Q(status="running")
                        & models.Q(lease_token__isnull=True, lease_expires__isnull=True)
                    )
                ),
                name="labs_sub_lease_iff_running",
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


class GradingResult(models.Model):
    """The ledger of recorded gradings: one row per submission and round, written in the
    same transaction that finishes the submission. The unique constraint is what makes a
    result exactly-once: a second worker that somehow got past the lease (a duplicate
    delivery, a lease that expired while the first was still running) cannot record a
    second result for the same round, whatever the code above it does."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    round = models.PositiveSmallIntegerField()
    attempt = models.PositiveSmallIntegerField(help_text="The claim that produced it.")
    status = models.CharField(max_length=12, choices=Submission.Status.choices)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    result = models.JSONField()
    worker = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "round"], name="labs_result_once_per_round"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["graded", "ungradable", "error"]),
                name="labs_result_finished_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Result of submission {self.submission_id}, round {self.round}: {self.status}"
