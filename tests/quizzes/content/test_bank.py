"""The shipped question bank in content/quizzes/: it imports cleanly and meets the
minimums the course promises (per domain, per type, links to lessons and facts)."""

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from courses.facts import load_facts
from courses.importer import build_plan, import_content
from courses.models import Lesson
from quizzes.models import Exam, Question
from quizzes.spec import DOMAINS, Catalog, parse_exams_file, parse_questions_file
from quizzes.variants import variant_for

QUIZ_DIR = Path(settings.CONTENT_DIR) / "quizzes"
QUESTION_FILES = sorted(p for p in QUIZ_DIR.glob("*.yaml") if p.name != "exams.yaml")

MIN_TOTAL = 160
MIN_PER_DOMAIN = 15
# Each static type needs enough variety for practice and the exam draw.
MIN_PER_TYPE = {"single": 60, "multiple": 10, "numeric": 15, "matching": 5, "ordering": 5}
MIN_GENERATED = 10


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    """Every question spec in the shipped files, parsed against the real course."""
    with django_db_blocker.unblock():
        # build_plan checks slug clashes against the bank, so it reads the test database.
        plan = build_plan(Path(settings.CONTENT_DIR))
    catalog = Catalog.from_plan(plan)
    specs, errors = [], []
    for path in QUESTION_FILES:
        found, problems = parse_questions_file(
            path, f"content/quizzes/{path.name}", catalog=catalog
        )
        specs += found
        errors += problems
    return specs, errors


def test_shipped_files_have_no_errors(shipped):
    _, errors = shipped
    assert [f"{e.file}:{e.line}: {e.message}" for e in errors] == []


def test_check_run_of_the_whole_content_folder_reports_no_errors(db):
    # build_plan runs every extension's build(), i.e. what `import_content --check`
    # validates; it raises ContentErrors on any problem, and the bank is already imported.
    plan = build_plan(Path(settings.CONTENT_DIR))
    quiz = plan.extras["quizzes"]
    assert len(quiz.questions) >= MIN_TOTAL
    assert quiz.warnings == []


def test_bank_meets_total_domain_and_type_minimums(shipped):
    specs, _ = shipped
    by_domain = Counter(s.domain for s in specs)
    by_type = Counter(s.type for s in specs)
    assert len(specs) >= MIN_TOTAL
    assert set(by_domain) == set(DOMAINS)
    assert {d: n for d, n in by_domain.items() if n < MIN_PER_DOMAIN} == {}
    assert {t: by_type[t] for t, n in MIN_PER_TYPE.items() if by_type[t] < n} == {}
    assert by_type["generated"] >= MIN_GENERATED


def test_every_static_type_appears_in_every_domain_mix(shipped):
    # Not every domain needs every type, but each type must appear in several domains so
    # that an exam draw mixes them.
    specs, _ = shipped
    domains_per_type = {
        t: {s.domain for s in specs if s.type == t}
        for t in ("single", "multiple", "numeric", "matching", "ordering")
    }
    assert {t: len(d) for t, d in domains_per_type.items() if len(d) < 4} == {}


def test_slugs_are_unique_across_files(shipped):
    specs, _ = shipped
    repeats = [slug for slug, n in Counter(s.slug for s in specs).items() if n > 1]
    assert repeats == []


def test_no_question_repeats_an_option_pair_or_item_text(shipped):
    specs, _ = shipped
    problems = []
    for s in specs:
        for what, texts in (
            ("options", [o.text.casefold() for o in s.options]),
            ("lefts", [p.left.casefold() for p in s.pairs]),
            (
                "rights",
                [p.right.casefold() for p in s.pairs] + [x.casefold() for x in s.extra_right],
            ),
            ("items", [i.text.casefold() for i in s.items]),
        ):
            if len(texts) != len(set(texts)):
                problems.append((s.slug, what))
    assert problems == []


def test_every_option_pair_and_item_is_explained(shipped):
    specs, _ = shipped
    missing = [
        s.slug
        for s in specs
        if any(not o.explanation.strip() for o in s.options)
        or any(not p.explanation.strip() for p in s.pairs)
        or any(not i.explanation.strip() for i in s.items)
        or (s.type == "numeric" and not s.explanation.strip())
    ]
    assert missing == []


def test_keys_have_the_documented_shape(shipped):
    specs, _ = shipped
    wrong = []
    for s in specs:
        correct = sum(o.correct for o in s.options)
        if s.type == "single" and correct != 1:
            wrong.append(s.slug)
        if s.type == "multiple" and not 2 <= correct < len(s.options):
            wrong.append(s.slug)
        if s.type == "numeric" and any(m.value == s.answer for m in s.mistakes):
            wrong.append(s.slug)  # a "typical mistake" equal to the key would mark it wrong
    assert wrong == []


def test_multiple_stems_say_how_many_to_choose(shipped):
    specs, _ = shipped
    words = {2: "two", 3: "three", 4: "four"}
    missing = [
        s.slug
        for s in specs
        if s.type == "multiple" and f"(Choose {words[s.choose]}.)" not in s.stem
    ]
    assert missing == []


def test_numeric_questions_have_units(shipped):
    specs, _ = shipped
    assert [s.slug for s in specs if s.type == "numeric" and not s.unit] == []


def test_generated_questions_build_variants_for_many_seeds(shipped):
    specs, _ = shipped
    facts = {f.key: f for f in load_facts(Path(settings.CONTENT_DIR))}
    generated = [s for s in specs if s.type == "generated"]
    families = {s.generator for s in generated}
    assert families == {
        "dynamodb-capacity",
        "lambda-cost",
        "sqs-visibility",
        "limit-breach",
        "endpoint-type",
        "authorizer-choice",
        "lambda-concurrency",
    }
    for spec in generated:
        for seed in range(25):
            variant = variant_for(spec, seed, facts=facts)
            assert variant.type in ("single", "multiple", "numeric")
            assert variant.stem.strip()


def test_exams_file_defines_the_associate_and_mini_exams():
    exams, errors = parse_exams_file(QUIZ_DIR / "exams.yaml", "content/quizzes/exams.yaml")
    assert errors == []
    by_slug = {e.slug: e for e in exams}
    associate = by_slug["serverless-associate"]
    assert (associate.questions, associate.minutes, associate.pass_mark) == (65, 130, 720)
    assert set(associate.blueprint) == set(DOMAINS)
    mini = by_slug["mini-exam"]
    assert (mini.questions, mini.minutes) == (10, 20)
    assert set(mini.blueprint) == set(DOMAINS)


# --- the imported database state (tests/conftest.py imports content/ once per session) ---


def test_import_creates_one_file_question_per_spec_with_links(course, shipped):
    specs, _ = shipped
    questions = {
        q.slug: q
        for q in Question.objects.filter(origin=Question.Origin.FILE).prefetch_related(
            "lessons", "facts"
        )
    }
    assert set(questions) == {s.slug for s in specs}
    for spec in specs:
        question = questions[spec.slug]
        assert question.is_active
        assert (question.type, question.domain, question.difficulty) == (
            spec.type,
            spec.domain,
            spec.difficulty,
        )
        assert question.source.startswith("content/quizzes/")
        assert sorted(x.slug for x in question.lessons.all()) == sorted(spec.lesson_slugs)
        assert sorted(x.key for x in question.facts.all()) == sorted(spec.facts)


def test_every_imported_question_links_to_an_existing_lesson(course):
    unlinked = Question.objects.filter(origin=Question.Origin.FILE, lessons__isnull=True)
    assert list(unlinked.values_list("slug", flat=True)) == []
    assert Lesson.objects.filter(questions__isnull=False).distinct().count() >= 25


def test_second_import_of_the_shipped_bank_changes_nothing(course):
    # Numbers, multi-line stems and params must round-trip through Question.spec exactly,
    # or every import would rewrite the bank.
    result = import_content(Path(settings.CONTENT_DIR))
    # Only the quiz counters: other content (labs, notes) is not this test's business.
    quiz_changes = {
        (kind, key): n
        for kind, counter in (
            ("created", result.created),
            ("updated", result.updated),
            ("deleted", result.deleted),
        )
        for key, n in counter.items()
        if n and ("question" in key or "exam" in key)
    }
    assert quiz_changes == {}


def test_import_creates_the_exams(course):
    assert dict(Exam.objects.filter(is_active=True).values_list("slug", "question_count")) == {
        "serverless-associate": 65,
        "mini-exam": 10,
    }
