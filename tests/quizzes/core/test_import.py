"""content/quizzes/ through import_content: idempotent, atomic, --check, origins kept."""

import shutil
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.content_errors import ContentErrors
from courses.importer import import_content
from quizzes.bank import SyncCounts, sync_questions
from quizzes.models import Exam, Question
from quizzes.spec import parse_question
from tests.quizzes.core.conftest import question_data

QUESTIONS_YAML = """
questions:
  - slug: mem-max
    type: single
    domain: limits
    difficulty: easy
    stem: How much memory can a function have at most?
    lessons: [lambda-limits]
    facts: [lambda.memory.max]
    options:
      - {text: 10240 MB, correct: true, explanation: The documented maximum.}
      - {text: 3008 MB, correct: false, explanation: The old maximum before 2020.}
      - {text: 1024 MB, correct: false, explanation: Far below the limit.}
  - slug: order-it
    type: ordering
    domain: events
    difficulty: medium
    stem: Order the steps.
    lessons: [lambda-limits]
    items:
      - {text: Receive, explanation: First the event arrives.}
      - {text: Process, explanation: Then the handler runs.}
      - {text: Delete, explanation: Finally the message is removed.}
"""

EXAMS_YAML = """
exams:
  - slug: mini
    title: Mini exam
    questions: 4
    minutes: 10
    blueprint: {limits: 1, events: 1}
"""


pytestmark = pytest.mark.usefixtures("quiz_extension_only")


@pytest.fixture
def content(tmp_path):
    """A copy of the real content/ (notes linked) with our own quizzes folder."""
    root = tmp_path / "content"
    root.mkdir()
    for name in ("course.yaml", "facts.yaml"):
        shutil.copy(settings.CONTENT_DIR / name, root / name)
    (root / "notes").symlink_to(settings.CONTENT_DIR / "notes")
    quizzes = root / "quizzes"
    quizzes.mkdir()
    (quizzes / "core.yaml").write_text(QUESTIONS_YAML.lstrip())
    (quizzes / "exams.yaml").write_text(EXAMS_YAML.lstrip())
    return root


def run(root, *args) -> str:
    out, err = StringIO(), StringIO()
    call_command("import_content", "--content-dir", str(root), *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def snapshot():
    return [
        (
            q.slug,
            q.origin,
            q.source,
            q.is_active,
            q.spec,
            sorted(q.lessons.values_list("slug", flat=True)),
        )
        for q in Question.objects.order_by("slug").prefetch_related("lessons")
    ]


def browser_question(slug="authored-in-browser"):
    spec = parse_question(question_data("single", slug=slug), where="by ines")
    sync_questions([spec], origin="browser", counts=SyncCounts(), retire_missing=False)
    return Question.objects.get(slug=slug)


def test_import_creates_questions_exams_and_links(course, content):
    result = import_content(content)
    assert result.created["questions"] == 2
    assert result.created["exams"] == 1
    assert set(
        Question.objects.filter(origin="file", is_active=True).values_list("slug", flat=True)
    ) == {
        "mem-max",
        "order-it",
    }
    q = Question.objects.get(slug="mem-max")
    assert (q.type, q.domain, q.difficulty, q.source) == (
        "single",
        "limits",
        "easy",
        "content/quizzes/core.yaml:2",
    )
    assert list(q.lessons.values_list("slug", flat=True)) == ["lambda-limits"]
    assert list(q.facts.values_list("key", flat=True)) == ["lambda.memory.max"]
    assert q.spec["options"][0] == {
        "text": "10240 MB",
        "correct": True,
        "explanation": "The documented maximum.",
    }
    exam = Exam.objects.get(slug="mini")
    assert (exam.question_count, exam.minutes, exam.pass_mark, exam.blueprint) == (
        4,
        10,
        720,
        {"limits": 1, "events": 1},
    )


def test_import_rerun_reports_no_changes_and_writes_nothing(course, content):
    import_content(content)
    before = snapshot()
    output = run(content)
    assert output.endswith(": no changes\n")
    assert snapshot() == before


def test_import_check_writes_nothing(course, content):
    before = snapshot()
    output = run(content, "--check")
    assert "2 questions, 1 exams" in output
    assert "\ncontent OK:" in output
    assert snapshot() == before
    assert not Question.objects.filter(slug="mem-max").exists()


def test_import_errors_are_atomic_and_name_file_and_line(course, content):
    import_content(content)
    before = snapshot()
    (content / "quizzes" / "core.yaml").write_text(
        QUESTIONS_YAML.replace("stem: Order the steps.", "stem: Order the changed steps.").replace(
            "explanation: Far below the limit.", "explanation:"
        )
    )
    with pytest.raises(CommandError, match=r"1 error\(s\) in content; nothing was imported"):
        run(content)
    with pytest.raises(ContentErrors) as exc:
        import_content(content)
    assert [str(e) for e in exc.value.errors] == [
        "content/quizzes/core.yaml:13: options[2].explanation: missing (fix: add "
        "'explanation: ...' with some text)"
    ]
    assert snapshot() == before


def test_import_updates_and_retires_file_questions_only(course, content):
    import_content(content)
    browser = browser_question()
    (content / "quizzes" / "core.yaml").write_text(
        QUESTIONS_YAML.split("  - slug: order-it")[0].replace("easy", "hard")
    )
    result = import_content(content)
    assert result.updated["questions"] == 1
    assert result.deleted["questions (retired, kept for past attempts)"] == 1
    assert Question.objects.get(slug="mem-max").difficulty == "hard"
    assert Question.objects.get(slug="order-it").is_active is False
    assert Question.objects.get(pk=browser.pk).is_active is True
    # Back in the file: the same row comes back to life.
    (content / "quizzes" / "core.yaml").write_text(QUESTIONS_YAML.lstrip())
    import_content(content)
    assert Question.objects.get(slug="order-it").is_active is True


def test_import_without_quizzes_dir_keeps_browser_and_gift_questions(course, content):
    import_content(content)
    browser = browser_question()
    shutil.rmtree(content / "quizzes")
    import_content(content)
    assert list(Question.objects.filter(is_active=True).values_list("slug", "origin")) == [
        (browser.slug, "browser")
    ]
    assert Exam.objects.get(slug="mini").is_active is False


def test_import_slug_clash_with_browser_question_names_both(course, content):
    browser_question(slug="mem-max")
    with pytest.raises(ContentErrors) as exc:
        import_content(content)
    assert [str(e) for e in exc.value.errors] == [
        "content/quizzes/core.yaml:2: slug 'mem-max' is already used by a question authored "
        "in the browser (by ines) (fix: rename one of them (slugs are unique across the whole "
        "bank))"
    ]


def test_import_duplicate_slug_across_files(course, content):
    (content / "quizzes" / "more.yaml").write_text(
        QUESTIONS_YAML.lstrip().split("  - slug: order-it")[0]
    )
    with pytest.raises(ContentErrors) as exc:
        import_content(content)
    assert [str(e) for e in exc.value.errors] == [
        "content/quizzes/more.yaml:2: question slug 'mem-max' is also used at "
        "content/quizzes/core.yaml:2 (fix: slugs must be unique; rename one of them)"
    ]


def test_import_warns_when_bank_cannot_fill_blueprint(course, content):
    output = run(content, "--check")
    assert (
        "warning: content/quizzes/exams.yaml:2: exam 'mini' draws 2 limits questions but "
        "the bank has 1; add questions or lower its weight"
    ) in output
    assert "draws 2 events" in output


def test_import_bad_blueprint_domain_is_an_error(course, content):
    (content / "quizzes" / "exams.yaml").write_text(
        EXAMS_YAML.lstrip().replace("events: 1", "event: 1")
    )
    with pytest.raises(ContentErrors) as exc:
        import_content(content)
    assert [str(e) for e in exc.value.errors] == [
        "content/quizzes/exams.yaml:6: exams[0].blueprint.event: unknown domain 'event' "
        "(fix: did you mean events?)"
    ]


def test_real_bank_imported_and_idempotent(course):
    """The session import loaded content/quizzes/; importing again changes nothing."""
    files = sorted(p.name for p in (settings.CONTENT_DIR / "quizzes").glob("*.yaml"))
    assert files, "content/quizzes/ has question files"
    assert Question.objects.filter(origin="file", is_active=True).count() == len(
        course.plan.extras["quizzes"].questions
    )
    before = snapshot()
    again = import_content(settings.CONTENT_DIR)
    # Only the quiz tables: other extensions (labs) are checked by their own tests.
    quiz_changes = {
        key: n
        for counter in (again.created, again.updated, again.deleted)
        for key, n in counter.items()
        if key.startswith(("questions", "exams"))
    }
    assert quiz_changes == {}
    assert snapshot() == before
