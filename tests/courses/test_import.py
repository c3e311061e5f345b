import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from courses.content_errors import ContentErrors
from courses.importer import build_plan, import_content
from courses.models import Lesson, Section
from courses.note_parsing import decode_note, parse_note

COURSE_MODELS = [
    m for m in apps.get_app_config("courses").get_models() if m.__name__ != "LessonProgress"
]


def snapshot() -> dict:
    """Every course row, field by field: equal snapshots mean nothing was written."""
    return {
        model.__name__: sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
        for model in COURSE_MODELS
    }


MINI_OUTLINE = """\
sources:
  - file: 001_a.md
    title: Note A
modules:
  - slug: lambda
    title: Lambda
  - slug: dynamodb
    title: DynamoDB
lessons:
  - slug: lambda-limits
    module: lambda
    title: Lambda limits
    headings: [Limits]
    keywords: [timeout]
  - slug: lambda-pricing
    module: lambda
    title: Lambda pricing
    keywords: [pricing, free tier]
  - slug: dynamodb-capacity
    module: dynamodb
    title: DynamoDB capacity
    keywords: [rcu, wcu, capacity]
"""

MINI_FACTS = """\
facts:
  - key: lambda.timeout.max
    label: Maximum Lambda timeout
    service: lambda
    value: 900
    unit: s
    verified: 2026-11-22
    reference: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
    patterns:
      - re: '(?P<value>\\d+)\\s*(?P<unit>minutes|mins?)'
"""


@pytest.fixture
def mini(db, tmp_path) -> Path:
    """A small, self-contained content/ tree: errors are injected into it."""
    root = tmp_path / "mini"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "001_a.md").write_text(
        "# Lambda\n## Limits\n- Max 15 minutes\n## Pricing\n- Free tier of 1M requests\n"
        "## Capacity\n- One RCU reads 4 KB\n"
    )
    (root / "notes" / "002_b.md").write_text("# DynamoDB\n## RCU and WCU\n- WCU writes 1 KB\n")
    (root / "course.yaml").write_text(MINI_OUTLINE)
    (root / "facts.yaml").write_text(MINI_FACTS)
    import_content(root)
    return root


@pytest.fixture
def content(tmp_path) -> Path:
    """A private copy of content/ that a test may break."""
    copy = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, copy)
    return copy


def test_import_places_every_section_of_every_note_once(course):
    parsed = 0
    for path in sorted((Path(settings.CONTENT_DIR) / "notes").iterdir()):
        parsed += len(parse_note(path.name, decode_note(path.name, path.read_bytes())).sections)
    assert Section.objects.count() == parsed
    assert Section.objects.filter(lesson__isnull=True).count() == len(course.plan.unplaced)
    placed = Section.objects.filter(lesson__isnull=False)
    assert placed.count() + len(course.plan.unplaced) == parsed
    assert all(s.placement != "unplaced" for s in placed)


def test_second_import_changes_no_row_and_says_no_changes(course, capsys):
    before = snapshot()
    call_command("import_content")
    assert capsys.readouterr().out.strip().endswith(": no changes")
    assert snapshot() == before


def test_reimport_keeps_lesson_ids_and_urls_after_an_outline_edit(mini):
    before = {
        lesson.slug: (lesson.pk, lesson.get_absolute_url()) for lesson in Lesson.objects.all()
    }
    outline = mini / "course.yaml"
    text = outline.read_text()
    outline.write_text(
        text.replace("title: Lambda limits\n", "title: Lambda limits and quotas\n", 1)
    )
    result = import_content(mini)
    assert result.updated["lessons"] == 1
    after = {lesson.slug: (lesson.pk, lesson.get_absolute_url()) for lesson in Lesson.objects.all()}
    assert after == before
    assert Lesson.objects.get(slug="lambda-limits").title == "Lambda limits and quotas"


def _expect_error(root: Path, file: str, line: int | None, words: str):
    before = snapshot()
    with pytest.raises(ContentErrors) as caught:
        import_content(root)
    errors = [(e.file, e.line) for e in caught.value.errors]
    assert (file, line) in errors, caught.value
    assert words in str(caught.value)
    assert snapshot() == before  # atomic: nothing changed


def test_malformed_yaml_is_reported_with_line_and_changes_nothing(mini):
    path = mini / "course.yaml"
    lines = path.read_text().splitlines()
    lines.insert(3, "  - file: [unclosed")
    path.write_text("\n".join(lines) + "\n")
    before = snapshot()
    with pytest.raises(ContentErrors) as caught:
        import_content(mini)
    (error,) = caught.value.errors
    assert error.file == "content/course.yaml"
    assert error.line is not None and 4 <= error.line <= 6
    assert "malformed YAML" in error.message
    assert snapshot() == before


def test_unknown_module_is_reported_with_line(mini):
    path = mini / "course.yaml"
    text = path.read_text()
    line = text.splitlines().index("    module: lambda") + 1
    path.write_text(text.replace("    module: lambda\n", "    module: lamda\n", 1))
    _expect_error(mini, "content/course.yaml", line, "names unknown module 'lamda'")


def test_duplicate_lesson_slug_is_reported_with_both_lines(mini):
    path = mini / "course.yaml"
    text = path.read_text()
    lines = text.splitlines()
    first = lines.index("  - slug: lambda-limits") + 1
    second = lines.index("  - slug: lambda-pricing") + 1
    lines[second - 1] = "  - slug: lambda-limits"
    path.write_text("\n".join(lines) + "\n")
    _expect_error(
        mini,
        "content/course.yaml",
        second,
        f"duplicate lesson slug 'lambda-limits' (first at line {first})",
    )


def test_undecodable_note_is_reported_with_line(mini):
    (mini / "notes" / "005_broken.txt").write_bytes(b"## Title\n- fine\n- caf\xe9 latin-1\n")
    _expect_error(mini, "content/notes/005_broken.txt", 3, "is not valid UTF-8")


def test_bad_fact_value_and_pattern_are_reported(mini):
    path = mini / "facts.yaml"
    text = path.read_text()
    path.write_text(text.replace("    value: 900\n", "    value: lots\n", 1))
    before = snapshot()
    with pytest.raises(ContentErrors) as caught:
        import_content(mini)
    assert any(
        e.file == "content/facts.yaml" and "'value' must be a number" in e.message
        for e in caught.value.errors
    )
    assert snapshot() == before


def test_check_mode_writes_nothing_and_fails_on_errors(mini, content, capsys):
    before = snapshot()
    call_command("import_content", "--check", "--content-dir", str(content))
    assert "content OK" in capsys.readouterr().out
    assert snapshot() == before
    (content / "course.yaml").write_text("modules: [\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_content", "--check", "--content-dir", str(content))
    assert "content/course.yaml:" in capsys.readouterr().err


def test_new_note_in_a_known_shape_needs_no_code_change(mini):
    (mini / "notes" / "005_extra.txt").write_text(
        "Content-Type: text/x-zim-wiki\n\n====== Extra ======\n\n===== Limits =====\n* Timeout : 15mn max\n"
    )
    result = import_content(mini)
    assert result.created["notes"] == 1
    section = Section.objects.get(note__filename="005_extra.txt")
    assert (section.heading, section.lesson.slug, section.placement) == (
        "Limits",
        "lambda-limits",
        "heading",
    )


def test_plan_reports_mentions_with_converted_values(content, db):
    # build_plan writes nothing, but the quiz extension reads the bank for slug clashes.
    plan = build_plan(content)
    note = next(n for n in plan.notes if n.filename.startswith("002_"))
    memory = [m for m in note.mentions if m.fact.key == "lambda.memory.max"]
    assert [(m.line, m.stated, m.normalized, m.is_stale) for m in memory] == [
        (45, "3 GB", Decimal(3072), True)
    ]


def test_seed_notes_fifteen_minute_timeout_is_one_point_crediting_four_notes(course):
    from courses.models import MergedPoint

    point = MergedPoint.objects.get(lesson__slug="lambda-overview", text__contains="15 minutes")
    sources = [(s.section.note.filename[:3], s.line, s.text) for s in point.sources.all()]
    assert sources[:4] == [
        ("000", 32, "Limited by time - short executions (up to 15 minutes)"),
        ("001", 31, "Max 15 mins runtime"),
        ("003", 18, "Limited by time - 15mn max"),
        ("004", 32, "900s (15 minute) function timeout"),
    ]
    lesson_html = "".join(
        Section.objects.filter(lesson__slug="lambda-overview").values_list("html_merged", flat=True)
    )
    assert lesson_html.count("15 mins runtime") == 0
    assert "Also in:" in lesson_html


def test_lesson_that_receives_no_section_is_warned_about(mini, capsys):
    path = mini / "course.yaml"
    path.write_text(
        path.read_text()
        + "  - slug: lambda-edge\n    module: lambda\n    title: Lambda@Edge\n    keywords: [cloudfront]\n"
    )
    line = path.read_text().splitlines().index("  - slug: lambda-edge") + 1
    call_command("import_content", "--content-dir", str(mini))
    out = capsys.readouterr().out
    assert (
        f"warning: content/course.yaml:{line}: lesson 'lambda-edge' received no section; "
        "add heading aliases or keywords, or remove it"
    ) in out


def test_markup_in_the_outline_is_shown_as_text(mini, client, learner):
    path = mini / "course.yaml"
    path.write_text(
        path.read_text().replace(
            "title: Lambda limits\n", 'title: "Limits <script>alert(1)</script>"\n', 1
        )
    )
    import_content(mini)
    client.force_login(learner)
    page = client.get("/lessons/lambda-limits/").content.decode()
    assert "<h1>Limits &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "<script>" not in page
