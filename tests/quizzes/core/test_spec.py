"""Question and exam files: every error names file:line, the field path, why and the fix."""

import textwrap

import pytest

from courses.content_errors import ContentErrors
from quizzes.spec import (
    Catalog,
    blueprint_counts,
    parse_exams_file,
    parse_question,
    parse_questions_file,
)
from tests.quizzes.core.conftest import QUESTIONS, question_data

CATALOG = Catalog(
    lessons={"lambda-limits", "dynamodb-capacity"},
    anchors={"lambda-limits": {"memory", "timeout"}},
    facts={"lambda.memory.max", "lambda.timeout.max"},
    families={"dynamodb-capacity": object()},
)


def errors_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "q.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    _, errors = parse_questions_file(path, "content/quizzes/q.yaml", catalog=CATALOG)
    return [str(e) for e in errors]


@pytest.mark.parametrize("qtype", list(QUESTIONS))
def test_every_type_parses_and_round_trips_through_to_dict(qtype):
    spec = parse_question(question_data(qtype), where="t", catalog=CATALOG)
    again = parse_question(spec.to_dict(), where="t", catalog=CATALOG)
    assert again.to_dict() == spec.to_dict()
    assert spec.to_dict()["slug"] == f"{qtype}-q"


def test_spec_collects_all_errors_of_a_file_with_lines_and_paths(tmp_path):
    errors = errors_of(
        tmp_path,
        """
        questions:
          - slug: Bad_Slug
            type: single
            domain: limit
            difficulty: medium
            stem: Which?
            lessons: [lambda-limit, lambda-limits#nowhere]
            facts: [lambda.memory.maxx]
            options:
              - text: A
                correct: true
                explanation: yes
              - text: B
                correct: yes-ish
                explanation: nope
              - text: C
                correct: false
          - slug: second
            type: multiple
            domain: limits
            difficulty: medium
            stem: Pick
            lessons: [lambda-limits]
            options:
              - {text: A, correct: true, explanation: a}
              - {text: B, correct: false, explanation: b}
              - {text: C, correct: false, explanation: c}
              - {text: a, correct: false, explanation: d}
        """,
    )
    assert errors == [
        "content/quizzes/q.yaml:2: slug: 'Bad_Slug' is not a valid slug (fix: use lowercase "
        "letters, digits and single hyphens, at most 100 characters)",
        "content/quizzes/q.yaml:4: domain: unknown domain 'limit' (fix: use one of limits, "
        "endpoints, auth, capacity, events, lambda-config, data-modelling)",
        "content/quizzes/q.yaml:7: lessons[0]: no lesson 'lambda-limit' in content/course.yaml "
        "(fix: did you mean lambda-limits?)",
        "content/quizzes/q.yaml:7: lessons[1]: lesson 'lambda-limits' has no section 'nowhere' "
        "(fix: use an anchor shown in the lesson page's headings, or drop '#...')",
        "content/quizzes/q.yaml:8: facts[0]: no fact 'lambda.memory.maxx' in "
        "content/facts.yaml (fix: did you mean lambda.memory.max?)",
        "content/quizzes/q.yaml:12: options[0].explanation: must be text, but YAML read it as "
        "true (fix: put quotes around it: YAML reads yes, no, on and off as true/false)",
        "content/quizzes/q.yaml:14: options[1].correct: 'yes-ish' is not true or false "
        "(fix: write 'correct: true' or 'correct: false')",
        "content/quizzes/q.yaml:16: options[2].explanation: missing (fix: add "
        "'explanation: ...' with some text)",
        "content/quizzes/q.yaml:28: options[3].text: same text as options[0].text (fix: every "
        "option needs its own wording, or remove one)",
        "content/quizzes/q.yaml:24: options: a multiple-response question needs at least two "
        "correct options and at least one wrong one, this one has 1 of 4 correct (fix: mark "
        "two or more options 'correct: true' and leave at least one false)",
    ]


@pytest.mark.parametrize(
    ("qtype", "overrides", "message"),
    [
        ("single", {"type": "quiz"}, "type: unknown type 'quiz'"),
        ("single", {"stem": ""}, "stem: is empty"),
        ("single", {"lessons": []}, "lessons: is empty"),
        ("single", {"colour": "red"}, "colour: unknown key"),
        ("numeric", {"answer": "12"}, "answer: '12' is not a number"),
        ("numeric", {"tolerance": -1}, "tolerance: must not be negative"),
        ("numeric", {"explanation": None}, "explanation: missing"),
        (
            "numeric",
            {"mistakes": [{"value": 1200.25, "explanation": "x"}]},
            "mistakes[0].value: 1200.25 would be graded correct (answer 1200 ± 0.5)",
        ),
        (
            "single",
            {"options": QUESTIONS["single"]["options"][:2]},
            "options: has 2 options; this type needs 3 to 6",
        ),
        (
            "matching",
            {"pairs": QUESTIONS["matching"]["pairs"][:2]},
            "pairs: has 2 pairs; this type needs 3 to 7",
        ),
        (
            "matching",
            {"extra_right": ["R1"]},
            "extra_right[0]: same text as pairs[0].right",
        ),
        (
            "ordering",
            {"items": QUESTIONS["ordering"]["items"] * 2},
            "items[3].text: same text as items[0].text",
        ),
        (
            "single",
            {"type": "generated", "generator": "dynamo-capacity", "options": None},
            "generator: unknown generator family 'dynamo-capacity'",
        ),
    ],
)
def test_spec_field_errors(qtype, overrides, message):
    data = question_data(qtype, **overrides)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ContentErrors) as exc:
        parse_question(data, where="form", catalog=CATALOG)
    assert message in [e.message for e in exc.value.errors]


def test_spec_error_names_the_field_path_for_forms():
    data = question_data("single")
    del data["options"][1]["explanation"]
    with pytest.raises(ContentErrors) as exc:
        parse_question(data, where="browser form")
    assert [(e.file, e.path, e.message) for e in exc.value.errors] == [
        ("browser form", "options[1].explanation", "options[1].explanation: missing")
    ]


def test_generated_question_with_unimportable_generators_says_why():
    broken = Catalog(families=type("F", (dict,), {"reason": "ImportError: boom"})())
    data = {
        "slug": "gen",
        "type": "generated",
        "domain": "capacity",
        "difficulty": "easy",
        "lessons": ["x"],
        "generator": "dynamodb-capacity",
    }
    with pytest.raises(ContentErrors) as exc:
        parse_question(data, where="f", catalog=broken)
    assert str(exc.value) == (
        "f: generator: unknown generator family 'dynamodb-capacity' "
        "(fix: quizzes.generators could not be imported (ImportError: boom))"
    )


def test_file_shape_errors(tmp_path):
    assert errors_of(tmp_path, "slug: x\n") == [
        "content/quizzes/q.yaml:1: a question file has one top-level key 'questions:' "
        "(found: slug) (fix: start the file with 'questions:' followed by '- slug: ...' entries)"
    ]
    assert errors_of(tmp_path, "questions:\n  - slug: [\n")[0].startswith(
        "content/quizzes/q.yaml:3: malformed YAML"
    )
    assert errors_of(tmp_path, "questions:\n") == []


def test_exam_file_errors(tmp_path):
    path = tmp_path / "exams.yaml"
    path.write_text(
        textwrap.dedent(
            """
            exams:
              - slug: practice-exam
                title: Practice exam
                questions: 0
                blueprint:
                  limits: 2
                  lambda: 1
                  auth: -1
            """
        ).lstrip()
    )
    exams, errors = parse_exams_file(path, "content/quizzes/exams.yaml")
    assert exams == []
    assert [str(e) for e in errors] == [
        "content/quizzes/exams.yaml:4: exams[0].questions: 0 is not a whole number from 1 to "
        "500 (fix: leave it out for the default 65)",
        "content/quizzes/exams.yaml:7: exams[0].blueprint.lambda: unknown domain 'lambda' "
        "(fix: use one of limits, endpoints, auth, capacity, events, lambda-config, "
        "data-modelling)",
        "content/quizzes/exams.yaml:8: exams[0].blueprint.auth: weight -1 must be a positive "
        "number (fix: e.g. 2 or 0.5)",
    ]


def test_exam_defaults(tmp_path):
    path = tmp_path / "exams.yaml"
    path.write_text("exams:\n  - slug: e\n    title: E\n    blueprint: {limits: 1}\n")
    exams, errors = parse_exams_file(path, "x")
    assert errors == []
    assert exams[0].to_dict() == {
        "slug": "e",
        "title": "E",
        "questions": 65,
        "minutes": 130,
        "pass_mark": 720,
        "passing_fraction": 0.72,
        "blueprint": {"limits": 1},
    }


def test_blueprint_counts_largest_remainder():
    assert blueprint_counts({"limits": 1, "auth": 1, "events": 1}, 65) == {
        "limits": 22,
        "auth": 22,
        "events": 21,
    }
    assert blueprint_counts({"limits": 3, "auth": 1}, 10) == {"limits": 8, "auth": 2}
    assert sum(blueprint_counts({"a": 0.3, "b": 0.3, "c": 0.4}, 7).values()) == 7
