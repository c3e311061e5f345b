"""The course as imported from content/: notes, modules, lessons, sections, facts, reports.

Everything except LessonProgress is written only by the importer (courses/importer.py) and
is rebuilt from files; rows are matched on natural keys so re-imports keep ids and URLs.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Note(models.Model):
    class Shape(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        ZIM = "zim", "Zim wiki"
        OUTLINE = "outline", "Markdown headings over indented outlines"

    filename = models.CharField(max_length=255, unique=True)
    title = models.CharField(max_length=255)
    shape = models.CharField(max_length=16, choices=Shape.choices)
    sha256 = models.CharField(max_length=64)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title


class Module(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveIntegerField(help_text="Position in the whole course.")
    search_text = models.TextField(blank=True, help_text="Plain text of the lesson, for search.")

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:lesson", kwargs={"slug": self.slug})


class Section(models.Model):
    """One heading of one note with its content, and the lesson it was routed to."""

    class Placement(models.TextChoices):
        EXPLICIT = "explicit", "placed explicitly in course.yaml"
        HEADING = "heading", "heading alias"
        KEYWORDS = "keywords", "keywords"
        UNPLACED = "unplaced", "unplaced"

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="sections")
    anchor = models.SlugField(max_length=200)
    heading = models.CharField(max_length=300)
    path = models.JSONField(help_text="Headings from the note's top down to this one.")
    level = models.PositiveSmallIntegerField()
    line_start = models.PositiveIntegerField()
    line_end = models.PositiveIntegerField()
    order = models.PositiveIntegerField(help_text="Position in the note.")
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="sections"
    )
    placement = models.CharField(max_length=16, choices=Placement.choices)
    placement_detail = models.CharField(max_length=300, blank=True)
    lesson_order = models.PositiveIntegerField(default=0)
    group_title = models.CharField(max_length=300, blank=True)
    html_source = models.TextField(help_text="Sanitised HTML of the note's own version.")
    html_merged = models.TextField(
        blank=True, help_text="Sanitised HTML in the merged lesson, near-duplicates removed."
    )
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["note__order", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "anchor"], name="section_anchor_unique_per_note"
            )
        ]

    def __str__(self) -> str:
        return f"{self.note.filename} › {self.heading_path}"

    @property
    def heading_path(self) -> str:
        return " › ".join(self.path)


class MergedPoint(models.Model):
    """A point several notes make in near-identical words, shown once with every source."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="merged_points")
    order = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["lesson", "order"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "order"], name="merged_point_order_unique")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class MergedPointSource(models.Model):
    point = models.ForeignKey(MergedPoint, on_delete=models.CASCADE, related_name="sources")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="+")
    line = models.PositiveIntegerField()
    text = models.TextField(help_text="The words this note used.")

    class Meta:
        ordering = ["point", "section__note__order", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "section", "line"], name="merged_point_source_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.section} line {self.line}"


class Fact(models.Model):
    key = models.CharField(max_length=100, unique=True)
    label = models.CharField(max_length=200)
    service = models.CharField(max_length=50)
    value = models.DecimalField(max_digits=24, decimal_places=6)
    unit = models.CharField(max_length=20)
    display = models.CharField(max_length=100)
    since = models.CharField(max_length=100, blank=True)
    verified = models.DateField()
    reference = models.URLField(max_length=500)
    note = models.TextField(blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{self.label}: {self.display}"


class FactMention(models.Model):
    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="mentions")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="fact_mentions")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="fact_mentions"
    )
    line = models.PositiveIntegerField()
    column = models.PositiveIntegerField()
    text = models.CharField(max_length=300)
    stated = models.CharField(max_length=50, help_text="The value as the note states it.")
    normalized = models.DecimalField(
        max_digits=24, decimal_places=6, help_text="The stated value in the fact's unit."
    )

    class Meta:
        ordering = ["fact__order", "note__order", "line", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["fact", "note", "line", "column"], name="fact_mention_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.note.filename}:{self.line} {self.fact.key}={self.stated}"

    @property
    def is_stale(self) -> bool:
        return self.normalized != self.fact.value


class MissingImage(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="missing_images")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.CASCADE)
    line = models.PositiveIntegerField()
    src = models.CharField(max_length=1000)
    alt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["note__order", "line", "src"]
        constraints = [
            models.UniqueConstraint(fields=["note", "line", "src"], name="missing_image_unique")
        ]

    def __str__(self) -> str:
        return f"{self.note.filename}:{self.line} {self.src}"

    @property
    def is_remote(self) -> bool:
        return self.src.lower().startswith(("http://", "https://", "//"))


class UncoveredNumber(models.Model):
    """A number with a unit in a note that no catalogue fact accounts for."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="uncovered_numbers")
    line = models.PositiveIntegerField()
    column = models.PositiveIntegerField()
    text = models.CharField(max_length=100)
    context = models.CharField(max_length=300)

    class Meta:
        ordering = ["note__order", "line", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "line", "column"], name="uncovered_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.note.filename}:{self.line} {self.text}"


class LessonProgress(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_progress_once_per_user")
        ]
        permissions = [
            ("view_content_report", "Can view the content report (facts, conflicts, unplaced)"),
        ]

    def __str__(self) -> str:
        return f"{self.user} done {self.lesson}"
