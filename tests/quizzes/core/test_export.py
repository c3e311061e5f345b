"""export_quizzes writes the import format: export -> import gives identical specs."""

import shutil
from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from courses.importer import build_plan, import_content
from quizzes.bank import SyncCounts, dump_yaml, export_yaml, sync_questions
from quizzes.models import Question
from quizzes.spec import parse_question, parse_questions_file
from tests.quizzes.core.conftest import QUESTIONS, question_data

pytestmark = pytest.mark.usefixtures("quiz_extension_only")


@pytest.fixture
def content_without_quizzes(tmp_path):
    root = tmp_path / "content"
    root.mkdir()
    for name in ("course.yaml", "facts.yaml"):
        shutil.copy(settings.CONTENT_DIR / name, root / name)
    (root / "notes").symlink_to(settings.CONTENT_DIR / "notes")
    return root


def add_browser_questions():
    specs = [
        parse_question(question_data(t, slug=f"browser-{t}"), where="by ines") for t in QUESTIONS
    ]
    # A multi-line stem exercises the literal-block style of the export.
    specs[0].stem = "A team runs:\n\n- one function\n- `two` queues\n\nWhich one?"
    sync_questions(specs, origin="browser", counts=SyncCounts(), retire_missing=False)
    return specs


def test_export_all_then_import_gives_identical_specs(course, content_without_quizzes):
    add_browser_questions()
    out = content_without_quizzes / "quizzes"
    call_command("export_quizzes", "--out", str(out), stdout=StringIO())
    names = sorted(p.name for p in out.iterdir())
    shipped = sorted(p.name for p in (settings.CONTENT_DIR / "quizzes").glob("*.yaml"))
    assert names == sorted({*(n for n in shipped if n != "exams.yaml"), "browser.yaml"})
    plan = build_plan(content_without_quizzes)
    imported = {s.slug: s.to_dict() for s in plan.extras["quizzes"].questions}
    stored = {q.slug: q.spec for q in Question.objects.filter(is_active=True)}
    assert imported == stored
    assert len(imported) == Question.objects.filter(is_active=True).count()


def test_committed_browser_questions_are_taken_over_by_the_file_import(
    course, content_without_quizzes
):
    specs = add_browser_questions()
    out = content_without_quizzes / "quizzes"
    out.mkdir()
    call_command(
        "export_quizzes",
        "--origin",
        "browser",
        "--out",
        str(out / "authored.yaml"),
        stdout=StringIO(),
    )
    result = import_content(content_without_quizzes)
    assert result.updated["questions"] == len(specs)
    assert set(
        Question.objects.filter(slug__startswith="browser-").values_list("origin", flat=True)
    ) == {"file"}
    assert import_content(content_without_quizzes).summary() == "no changes"


def test_export_stdout_is_the_yaml_shape(db):
    specs = add_browser_questions()
    data = yaml.safe_load(export_yaml("browser"))
    assert data == {"questions": [s.to_dict() for s in sorted(specs, key=lambda s: s.slug)]}
    assert "stem: |-\n    A team runs:\n" in export_yaml("browser")


@pytest.mark.django_db
def test_export_origin_with_no_questions():
    out = StringIO()
    call_command("export_quizzes", "--origin", "gift", stdout=out)
    assert out.getvalue() == "questions: []\n"


TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"))
        | st.sampled_from(list("\n\t:#-|>'\"")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@hypothesis_settings(max_examples=150, suppress_health_check=list(HealthCheck))
@given(stem=TEXT, why=TEXT, option=TEXT)
def test_yaml_export_round_trips_any_text(tmp_path_factory, stem, why, option):
    data = question_data("single", stem=stem, explanation=why)
    data["options"][1]["text"] = option + " (b)"
    spec = parse_question(data, where="t")
    path = tmp_path_factory.mktemp("yaml") / "q.yaml"
    path.write_text(dump_yaml({"questions": [spec.to_dict()]}), encoding="utf-8")
    specs, errors = parse_questions_file(path, "q.yaml")
    assert [str(e) for e in errors] == []
    assert specs[0].to_dict() == spec.to_dict()
