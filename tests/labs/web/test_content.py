"""import_content's lab extension: every kind of broken lab folder, with exact messages, and
an idempotent sync of Lab rows."""

import shutil

import pytest

from courses.content_errors import ContentErrors
from courses.importer import ImportResult
from courses.models import Lesson
from labs.content import LabContent, load_lab, render_instructions
from labs.models import Lab, Submission

from .conftest import LAB_FOLDERS, QUEUE_LAB

LESSONS = {"sqs", "sqs-lambda", "lambda-limits"}


@pytest.fixture
def lab_copy(tmp_path):
    folder = tmp_path / QUEUE_LAB
    shutil.copytree(LAB_FOLDERS / QUEUE_LAB, folder)
    return folder


def errors_of(folder) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_lab(folder, LESSONS)
    return [str(e) for e in caught.value.errors]


def test_a_valid_folder_is_read_with_rendered_sanitised_instructions(lab_copy):
    spec = load_lab(lab_copy, LESSONS)
    assert (spec.slug, spec.title, spec.minutes, spec.order) == (
        "queue-timeout",
        "Queue with a long visibility timeout",
        5,
        3,
    )
    assert spec.lessons == ("sqs", "sqs-lambda")
    assert spec.summary == "Create one SQS queue whose visibility timeout outlasts its consumer."
    assert list(spec.starter_files) == ["provision.py"]
    assert 'QueueName="jobs")' in spec.starter_files["provision.py"]
    assert "VisibilityTimeout" in spec.solution_files["provision.py"]
    assert spec.source_path == "labs/queue-timeout"
    assert len(spec.checks_digest) == 64
    # '#' becomes h2 (the page's h1 is the title); raw HTML is shown as text, never run.
    assert "<h2>Goal</h2>" in spec.instructions_html
    assert "<h2>Why</h2>" in spec.instructions_html
    assert "<script>" not in spec.instructions_html
    assert "&lt;script&gt;" in spec.instructions_html


def test_render_instructions_keeps_tables_and_drops_unsafe_links():
    html = render_instructions("| a | b |\n| --- | --- |\n| 1 | 2 |\n\n[x](javascript:alert(1))")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<a" not in html  # markdown-it refuses the javascript: link; it stays text


def test_missing_parts_are_each_reported(tmp_path):
    folder = tmp_path / "empty-lab"
    folder.mkdir()
    assert errors_of(folder) == [
        "content/labs/empty-lab/lab.md: not found (fix: every lab needs lab.md: front matter "
        "(title, lessons, minutes, summary), then the instructions)",
        "content/labs/empty-lab/starter/: not found (fix: add starter/ with the files the "
        "learner starts from)",
        "content/labs/empty-lab/solution/: not found (fix: add solution/ with the reference "
        "solution (it must score full marks))",
        "content/labs/empty-lab/checks.py: not found (fix: add checks.py with @check functions "
        "(see docs/LABS.md))",
    ]


def test_a_folder_name_that_is_not_a_slug(tmp_path):
    folder = tmp_path / "Queue_Lab"
    shutil.copytree(LAB_FOLDERS / QUEUE_LAB, folder)
    assert errors_of(folder) == [
        "content/labs/Queue_Lab/: 'Queue_Lab' is not a valid lab slug (fix: name the folder "
        "with lowercase letters, digits and single hyphens)"
    ]


def test_front_matter_missing(lab_copy):
    (lab_copy / "lab.md").write_text("# Just instructions\n")
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:1: lab.md must start with front matter between "
        "'---' lines (fix: begin with '---', then title, lessons, minutes and summary, then '---')"
    ]


def test_front_matter_never_closed(lab_copy):
    (lab_copy / "lab.md").write_text("---\ntitle: x\n")
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:1: the front matter is never closed "
        "(fix: add a line with '---' after it)"
    ]


def test_malformed_front_matter_names_the_line(lab_copy):
    (lab_copy / "lab.md").write_text("---\ntitle: Queue\nlessons: [sqs\nminutes: 5\n---\nDo it.\n")
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:4: malformed front matter: while parsing a flow "
        "sequence expected ',' or ']', but got ':' (fix: check indentation and quoting on that "
        "line (a ':' inside a value needs quotes))"
    ]


def test_bad_fields_are_reported_with_their_lines(lab_copy):
    (lab_copy / "lab.md").write_text(
        "---\n"
        "title: Queue\n"
        "lessons: [sqs, no-such-lesson]\n"
        "minutes: lots\n"
        "order: 2\n"
        "colour: blue\n"
        "---\n"
        "\n"
    )
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:6: unknown key 'colour' in the front matter "
        "(fix: allowed keys are lessons, minutes, order, summary, title)",
        "content/labs/queue-timeout/lab.md:2: the front matter has no 'summary' (fix: add "
        "'summary: ...')",
        "content/labs/queue-timeout/lab.md:3: unknown lesson 'no-such-lesson' (fix: use a "
        "lesson slug from content/course.yaml)",
        "content/labs/queue-timeout/lab.md:4: 'minutes' must be a whole number, not 'lots'",
        "content/labs/queue-timeout/lab.md:8: lab.md has no instructions after the front "
        "matter (fix: write the task)",
    ]


def test_minutes_out_of_range_and_no_lessons(lab_copy):
    (lab_copy / "lab.md").write_text(
        "---\ntitle: Queue\nsummary: One queue.\nminutes: 0\n---\nDo it.\n"
    )
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:2: the front matter has no 'lessons' "
        "(fix: add 'lessons: [slug, ...]')",
        "content/labs/queue-timeout/lab.md:4: 'minutes' must be between 1 and 600",
    ]


def test_checks_with_a_syntax_error_name_the_line(lab_copy):
    checks = lab_copy / "checks.py"
    checks.write_text(checks.read_text().replace("def _url(ctx):", "def _url(ctx)"))
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/checks.py:6: checks.py does not load: expected ':' "
        "(fix: fix the Python syntax on that line)"
    ]


def test_submission_folders_must_hold_utf8_files_within_limits(lab_copy):
    (lab_copy / "starter" / "data.bin").write_bytes(b"\xff\xfe\x00")
    (lab_copy / "solution" / ".env").write_text("SECRET=1\n")
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/starter/data.bin: is not UTF-8 text (invalid start byte) "
        "(fix: a submission folder holds only the UTF-8 files a learner would send)",
        "content/labs/queue-timeout/solution/: solution/ '.env': use letters, digits, '_', '-' "
        "and '.' only, not starting with '.' or '-' (fix: a submission folder holds only the "
        "UTF-8 files a learner would send)",
    ]


def test_apply_creates_updates_and_deactivates_lab_rows(course, tmp_path, learner):
    folder = tmp_path / QUEUE_LAB
    shutil.copytree(LAB_FOLDERS / QUEUE_LAB, folder)
    slugs = set(Lesson.objects.values_list("slug", flat=True))
    before = set(Lab.objects.filter(is_active=True).values_list("slug", flat=True))

    first = ImportResult(plan=None)
    LabContent().apply([load_lab(folder, slugs)], first)
    lab = Lab.objects.get(slug=QUEUE_LAB)
    assert first.created == {"labs": 1}
    assert first.updated["labs"] == len(before)  # labs not in this content are deactivated
    assert sorted(lab.lessons.values_list("slug", flat=True)) == ["sqs", "sqs-lambda"]
    assert lab.starter_files == {"provision.py": (folder / "starter/provision.py").read_text()}

    again = ImportResult(plan=None)
    LabContent().apply([load_lab(folder, slugs)], again)
    assert not again.changed and again.summary() == "no changes"

    (folder / "lab.md").write_text(
        (folder / "lab.md")
        .read_text()
        .replace("  - sqs-lambda\n", "")
        .replace("minutes: 5", "minutes: 7")
    )
    changed = ImportResult(plan=None)
    LabContent().apply([load_lab(folder, slugs)], changed)
    lab.refresh_from_db()
    assert changed.summary() == "updated 1 labs"
    assert (lab.minutes, list(lab.lessons.values_list("slug", flat=True))) == (7, ["sqs"])

    # The folder goes: the lab is deactivated, its submissions stay.
    Submission.objects.create(user=learner, lab=lab, kind="submit", files={"provision.py": ""})
    gone = ImportResult(plan=None)
    LabContent().apply([], gone)
    lab.refresh_from_db()
    assert gone.summary() == "updated 1 labs"
    assert lab.is_active is False
    assert Submission.objects.filter(lab=lab).count() == 1
    # ...and comes back as the same row.
    LabContent().apply([load_lab(folder, slugs)], ImportResult(plan=None))
    assert Lab.objects.get(slug=QUEUE_LAB).pk == lab.pk
    assert Lab.objects.get(slug=QUEUE_LAB).is_active is True


def test_empty_or_malformed_lessons(lab_copy):
    front = "---\ntitle: Queue\nsummary: One queue.\nminutes: 5\nlessons: {lessons}\n---\nDo it.\n"
    (lab_copy / "lab.md").write_text(front.format(lessons="[]"))
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:5: 'lessons' is empty (fix: name at least one lesson)"
    ]
    (lab_copy / "lab.md").write_text(front.format(lessons="{a: 1}"))
    assert errors_of(lab_copy) == [
        "content/labs/queue-timeout/lab.md:5: the front matter: 'lessons' must be a list of "
        "text items"
    ]
