"""GIFT import of every supported construct, clear errors for unsupported ones, round trips."""

import textwrap
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.gift import GiftDefaults, escape, export_gift, import_gift_text, parse_gift
from quizzes.models import Question
from quizzes.spec import parse_question
from tests.quizzes.core.conftest import question_data


@pytest.fixture(autouse=True)
def _course(course):
    """GIFT questions are checked against the imported course's lessons and facts."""


DEFAULTS = GiftDefaults(domain="limits", difficulty="medium", lessons=["lambda-limits"])


def parse(text: str, **kw):
    return parse_gift(
        textwrap.dedent(text).lstrip(), "quiz.gift", defaults=kw.get("defaults", DEFAULTS)
    )


def one(text: str) -> dict:
    result = parse(text)
    assert [str(e) for e in result.errors] == []
    assert len(result.specs) == 1
    return result.specs[0].to_dict()


def errors(text: str, **kw) -> list[str]:
    return [str(e) for e in parse(text, **kw).errors]


def test_gift_multiple_choice_with_name_feedback_and_comments():
    spec = one(
        """
        // a comment line is ignored
        ::Memory max::Which is the largest memory setting? {
          =10,240 MB#The documented maximum.
          ~3,008 MB#The limit before late 2020.
          ~1,024 MB#Far below the limit.
          ####Memory ranges from 128 MB to 10,240 MB.
        }
        """
    )
    assert spec == {
        "slug": "memory-max",
        "type": "single",
        "domain": "limits",
        "difficulty": "medium",
        "stem": "Which is the largest memory setting?",
        "lessons": ["lambda-limits"],
        "options": [
            {"text": "10,240 MB", "correct": True, "explanation": "The documented maximum."},
            {"text": "3,008 MB", "correct": False, "explanation": "The limit before late 2020."},
            {"text": "1,024 MB", "correct": False, "explanation": "Far below the limit."},
        ],
        "explanation": "Memory ranges from 128 MB to 10,240 MB.",
    }


def test_gift_weighted_answers_become_multiple_response_with_warning():
    result = parse(
        """
        ::two::Pick two. {
          ~%50%A#a right
          ~%50%B#b right
          ~%-100%C#c wrong
          ~%-50%D#d wrong
        }
        """
    )
    spec = result.specs[0].to_dict()
    assert spec["type"] == "multiple"
    assert [o["correct"] for o in spec["options"]] == [True, True, False, False]
    assert [str(w) for w in result.warnings] == [
        "quiz.gift:1: answer weights give partial credit in Moodle; here the question is all "
        "or nothing (every positive-weight answer must be chosen, no other)"
    ]


def test_gift_uneven_positive_weights_also_warn():
    result = parse("::w::Pick. {~%70%A#a ~%30%B#b ~%-100%C#c ~%-100%D#d}")
    assert result.specs[0].type == "multiple"
    assert len(result.warnings) == 1


@pytest.mark.parametrize(
    ("block", "correct", "true_expl", "false_expl"),
    [
        ("{T#No, it is.#Yes, it is.}", True, "Yes, it is.", "No, it is."),
        ("{TRUE#No, it is.#Yes, it is.}", True, "Yes, it is.", "No, it is."),
        ("{F#No, it is not.#Right, it is not.}", False, "No, it is not.", "Right, it is not."),
        ("{FALSE#No, it is not.#Right, it is not.}", False, "No, it is not.", "Right, it is not."),
    ],
)
def test_gift_true_false_with_feedback(block, correct, true_expl, false_expl):
    spec = one(f"::tf::Lambda scales automatically. {block}")
    assert spec["type"] == "single"
    assert spec["options"] == [
        {"text": "True", "correct": correct, "explanation": true_expl},
        {"text": "False", "correct": not correct, "explanation": false_expl},
    ]


def test_gift_true_false_general_feedback_fills_missing_with_warning():
    result = parse("::tf::Lambda scales automatically. {T####It scales per request.}")
    spec = result.specs[0].to_dict()
    assert [o["explanation"] for o in spec["options"]] == ["It scales per request."] * 2
    assert [w.message for w in result.warnings] == [
        "2 true/false answers had no feedback; the general feedback (####) explains them"
    ]


@pytest.mark.parametrize(
    ("block", "answer", "tolerance"),
    [
        ("{#5:0.5}", 5, 0.5),
        ("{#1..10}", 5.5, 4.5),
        ("{#900}", 900, None),
        ("{=42}", 42, None),  # short answer that is a number
    ],
)
def test_gift_numeric_forms(block, answer, tolerance):
    spec = one(f"::n::How many? {block[:-1]}####Because.}}")
    assert spec["type"] == "numeric"
    assert spec["answer"] == answer
    assert spec.get("tolerance") == tolerance
    assert spec["explanation"] == "Because."


def test_gift_numeric_multiple_answers_partial_credit_becomes_mistake():
    result = parse(
        """
        $CATEGORY: $course$/coldstart/capacity/hard
        ::rcu::How many RCUs? {#
          =1200:0.5#Right.
          =%50%600#Half: that is eventual consistency.
          ~300#Quarter.
        }
        """
    )
    spec = result.specs[0].to_dict()
    assert (spec["domain"], spec["difficulty"]) == ("capacity", "hard")
    assert spec["answer"] == 1200 and spec["tolerance"] == 0.5
    assert spec["mistakes"] == [
        {"value": 600, "explanation": "Half: that is eventual consistency."},
        {"value": 300, "explanation": "Quarter."},
    ]
    assert spec["explanation"] == "Right."
    assert [str(w) for w in result.warnings] == [
        "quiz.gift:4: partial credit (50%) for 600 is dropped: it is graded wrong here, "
        "with its feedback"
    ]


def test_gift_matching_with_distractor():
    spec = one(
        """
        ::match::Match each client to an endpoint type. {
          =Clients around the world -> Edge-optimized
          =Clients in one Region -> Regional
          =Clients inside a VPC -> Private
          = -> Global accelerator
          ####Edge for spread clients, Regional for nearby ones, Private for VPC-only.
        }
        """
    )
    assert spec["type"] == "matching"
    assert [(p["left"], p["right"]) for p in spec["pairs"]] == [
        ("Clients around the world", "Edge-optimized"),
        ("Clients in one Region", "Regional"),
        ("Clients inside a VPC", "Private"),
    ]
    assert spec["extra_right"] == ["Global accelerator"]


def test_gift_escapes_and_newlines():
    spec = one(
        r"""
        ::esc::Is 1\=1 and a\~b \{x\} \#1 at 10\:30?\nSecond line. {
          =Yes \= really#Because \# and \{ are escaped.
          ~No#Wrong\: it is.
          ~Maybe \\ perhaps#Not that.
        }
        """
    )
    assert spec["stem"] == "Is 1=1 and a~b {x} #1 at 10:30?\nSecond line."
    assert [o["text"] for o in spec["options"]] == ["Yes = really", "No", "Maybe \\ perhaps"]
    assert spec["options"][0]["explanation"] == "Because # and { are escaped."
    assert spec["options"][1]["explanation"] == "Wrong: it is."


def test_gift_html_is_converted_to_markdown():
    spec = one(
        "::h::[html]<p>Use <b>Regional</b> &amp; <code>PRIVATE</code>?</p><ul><li>one</li></ul>"
        " {=Yes#y ~No#n ~Maybe#m}"
    )
    assert spec["stem"] == "Use **Regional** & `PRIVATE`?\n\n- one"


def test_gift_markdown_and_plain_formats_keep_text():
    assert one("::m::[markdown]Is **this** `ok`? {=Yes#y ~No#n ~Maybe#m}")["stem"] == (
        "Is **this** `ok`?"
    )
    assert one("::p::[plain]Plain text? {=Yes#y ~No#n ~Maybe#m}")["stem"] == "Plain text?"


def test_gift_category_and_options_supply_domain_difficulty_lessons():
    text = "$CATEGORY: coldstart/auth\n\n::c::Which? {=A#a ~B#b ~C#c}"
    result = parse(text, defaults=GiftDefaults(difficulty="easy", lessons=["lambda-limits"]))
    assert (result.specs[0].domain, result.specs[0].difficulty) == ("auth", "easy")
    assert errors("::c::Which? {=A#a ~B#b ~C#c}", defaults=GiftDefaults()) == [
        "quiz.gift:1: question 'c' has no domain (fix: add '$CATEGORY: coldstart/<domain>' or "
        "--domain; domains: limits, endpoints, auth, capacity, events, lambda-config, "
        "data-modelling)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "::e::Describe Lambda. {}",
            "quiz.gift:1: an empty answer block {} (essay) has no answer key to grade (fix: "
            "remove essay questions before importing)",
        ),
        (
            "::mw::Lambda {=scales ~sleeps} on demand.",
            "quiz.gift:1: an answer block in the middle of the text (missing-word format) is "
            "not supported (fix: move the blank to the end of the question text: "
            "'Text ... {answers}')",
        ),
        (
            "::sa::Name the service. {=Lambda =AWS Lambda}",
            "quiz.gift:1: short answer (typed text) questions are not supported: only typed "
            "numbers are graded here (fix: turn it into multiple choice, or use a numeric "
            "answer {#...})",
        ),
        (
            "Just a description.",
            "quiz.gift:1: a description (text with no answer block) is not a question (fix: "
            "remove it, or add an answer block { ... })",
        ),
        (
            "::img::[html]<img src=x> Which? {=A#a ~B#b ~C#c}",
            "quiz.gift:1: HTML tag(s) <img> cannot be imported (fix: keep to text, paragraphs, "
            "bold, italics, code and lists, or use [markdown])",
        ),
        (
            "::f::[latex]Which? {=A#a ~B#b ~C#c}",
            "quiz.gift:1: text format [latex] is not supported (fix: use [markdown], [plain] or "
            "[html])",
        ),
        (
            "::two::How many? {#=5 =6}",
            "quiz.gift:1: a numeric question needs exactly one fully right answer, this one "
            "has 2 (fix: keep one '=' answer (a range a..b or value:tolerance covers several "
            "values))",
        ),
        (
            "::r::How many? {#10..1}",
            "quiz.gift:1: '10..1' is not a range low..high (fix: e.g. {#1..10})",
        ),
        (
            "::open::Which?\n{=A#a\n~B#b",
            "quiz.gift:2: the answer block '{' is never closed (fix: add the closing '}' "
            "(escape a literal brace as \\{ or \\}))",
        ),
    ],
)
def test_gift_unsupported_constructs_are_errors_with_lines(text, message):
    assert errors(text) == [message]


def test_gift_validation_errors_point_at_the_answer_line():
    text = "::q::Which?\n{\n=A#a\n~B\n~C#c\n}"
    assert errors(text) == [
        "quiz.gift:4: options[1].explanation: no feedback (fix: add '#why' after the answer, "
        "or '####why' general feedback before the closing })"
    ]


def test_gift_duplicate_names_and_unknown_lessons():
    text = "::q::One? {=A#a ~B#b ~C#c}\n\n::q::Two? {=A#a ~B#b ~C#c}"
    assert errors(text) == [
        "quiz.gift:3: question name 'q' is also used at line 1 (fix: give each question its "
        "own ::name::)"
    ]
    bad = GiftDefaults(domain="limits", difficulty="easy", lessons=["no-such-lesson"])
    assert errors("::q::One? {=A#a ~B#b ~C#c}", defaults=bad) == [
        "quiz.gift:1: lessons[0]: no lesson 'no-such-lesson' in content/course.yaml (fix: use "
        "a lesson slug from content/course.yaml)"
    ]


def test_import_gift_is_all_or_nothing_and_idempotent(course):
    good = "::ok-one::Which? {=A#a ~B#b ~C#c}"
    result = import_gift_text(good + "\n\n::bad::Essay {}", "quiz.gift", defaults=DEFAULTS)
    assert len(result.errors) == 1
    assert not Question.objects.filter(slug="ok-one").exists()
    result = import_gift_text(good, "quiz.gift", defaults=DEFAULTS, check=True)
    assert (result.errors, len(result.specs)) == ([], 1)
    assert not Question.objects.filter(slug="ok-one").exists()
    result = import_gift_text(good, "quiz.gift", defaults=DEFAULTS)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    q = Question.objects.get(slug="ok-one")
    assert (q.origin, q.source, q.domain) == ("gift", "quiz.gift:1", "limits")
    again = import_gift_text(good, "quiz.gift", defaults=DEFAULTS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = import_gift_text(good.replace("#a", "#aa"), "quiz.gift", defaults=DEFAULTS)
    assert (changed.created, changed.updated) == (0, 1)


def test_import_gift_refuses_to_replace_a_file_question(course):
    existing = Question.objects.filter(origin="file", is_active=True).first()
    result = import_gift_text(
        f"::{existing.slug}::Other? {{=A#a ~B#b ~C#c}}", "quiz.gift", defaults=DEFAULTS
    )
    assert [str(e) for e in result.errors] == [
        f"quiz.gift:1: question '{existing.slug}' differs from the bank's question "
        f"{existing.source} (fix: rename it with a different ::name::, or edit the bank's "
        "question instead)"
    ]


def test_export_gift_then_import_gives_the_same_questions_for_the_whole_bank(course):
    questions = list(Question.objects.filter(is_active=True).order_by("domain", "slug"))
    assert len(questions) >= 10
    text = export_gift(questions)
    result = parse_gift(text, "bank.gift")
    assert [str(e) for e in result.errors] == []
    assert {s.slug: s.to_dict() for s in result.specs} == {q.slug: q.spec for q in questions}
    # Importing it back into the same bank changes nothing.
    imported = import_gift_text(text, "bank.gift")
    assert (imported.created, imported.updated, imported.unchanged) == (0, 0, len(questions))


def test_export_gift_round_trips_every_type(course):
    from quizzes.bank import SyncCounts, sync_questions
    from quizzes.spec import parse_question
    from tests.quizzes.core.conftest import QUESTIONS, question_data

    specs = [
        parse_question(
            question_data(
                t, slug=f"g-{t}", stem="Line one: {x} = ~y #z\n\n- two", facts=["lambda.memory.max"]
            ),
            where="t",
        )
        for t in QUESTIONS
    ]
    tf = question_data("single", slug="g-tf")
    tf["options"] = [
        {"text": "True", "correct": False, "explanation": "No."},
        {"text": "False", "correct": True, "explanation": "Yes."},
    ]
    specs.append(parse_question(tf, where="t"))
    sync_questions(specs, origin="browser", counts=SyncCounts(), retire_missing=False)
    out = StringIO()
    call_command("export_gift", "--origin", "browser", stdout=out)
    text = out.getvalue()
    assert "{F#No.#Yes.}" in text
    assert (
        "// coldstart: domain=limits difficulty=medium lessons=lambda-limits facts=lambda.memory.max type=ordering"
        in text
    )
    Question.objects.filter(slug__startswith="g-").delete()
    result = import_gift_text(text, "browser.gift")
    assert [str(e) for e in result.errors] == []
    assert result.created == len(specs)
    assert {q.slug: q.spec for q in Question.objects.filter(slug__startswith="g-")} == {
        s.slug: s.to_dict() for s in specs
    }


def test_import_gift_command(course, tmp_path):
    path = tmp_path / "q.gift"
    path.write_text("::cmd-q::Which? {=A#a ~B#b ~C#c}\n\n::e::Essay {}\n")
    err = StringIO()
    with pytest.raises(CommandError, match=r"1 error\(s\) in q.gift; nothing was imported"):
        call_command(
            "import_gift",
            str(path),
            "--domain",
            "auth",
            "--difficulty",
            "easy",
            "--lessons",
            "lambda-limits",
            stderr=err,
            stdout=StringIO(),
        )
    assert "error: q.gift:3: an empty answer block {} (essay)" in err.getvalue()
    path.write_text("::cmd-q::Which? {=A#a ~B#b ~C#c}\n")
    out = StringIO()
    call_command(
        "import_gift",
        str(path),
        "--domain",
        "auth",
        "--difficulty",
        "easy",
        "--lessons",
        "lambda-limits",
        stdout=out,
    )
    assert out.getvalue() == "imported q.gift: 1 created, 0 updated, 0 unchanged\n"
    assert Question.objects.get(slug="cmd-q").domain == "auth"


def test_escape_round_trip():
    text = "a = b ~ c # d { e } f : g \\ h\nnext"
    assert escape(text) == "a \\= b \\~ c \\# d \\{ e \\} f \\: g \\\\ h\\nnext"


def test_gift_generated_question_via_coldstart_comment():
    text = (
        "// coldstart: type=generated generator=dynamodb-capacity "
        "params=%7B%22operation%22%3A%22read%22%7D\n::gen-reads::Generated question."
    )
    spec = one(text)
    assert spec == {
        "slug": "gen-reads",
        "type": "generated",
        "domain": "limits",
        "difficulty": "medium",
        "lessons": ["lambda-limits"],
        "generator": "dynamodb-capacity",
        "params": {"operation": "read"},
    }
    assert errors(text.replace("dynamodb-capacity", "dynamo-capacity")) == [
        "quiz.gift:2: generator: unknown generator family 'dynamo-capacity' (fix: did you "
        "mean dynamodb-capacity?)"
    ]


GIFT_SPECIALS = st.sampled_from(list("~=#{}:\\%->/\n[]"))
PRIVATE_USE = "".join(chr(c) for c in range(0xE000, 0xE007))
TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=PRIVATE_USE)
        | GIFT_SPECIALS,
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@pytest.mark.parametrize(
    "text",
    ["%50%x", "a -> b", "// not a comment", "T", "#x", "[html]x", "::x::y", "a\n\nb", "1..2"],
)
def test_gift_round_trip_of_texts_that_look_like_syntax(text):
    data = question_data("single", stem=text)
    data["options"][1]["text"] = text
    spec = parse_question(data, where="t")
    result = parse_gift(export_gift([spec]), "x.gift")
    assert [str(e) for e in result.errors] == []
    assert result.specs[0].to_dict() == spec.to_dict()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(stem=TEXT, a=TEXT, b=TEXT, c=TEXT, why=TEXT)
def test_gift_round_trip_of_any_text(stem, a, b, c, why):
    data = question_data("single", stem=stem, explanation=why)
    for option, text, suffix in zip(data["options"], (a, b, c), "123", strict=True):
        option["text"] = text + suffix  # keeps the three options distinct
    data["options"][0]["explanation"] = why
    spec = parse_question(data, where="t")
    result = parse_gift(export_gift([spec]), "x.gift")
    assert [str(e) for e in result.errors] == []
    assert result.specs[0].to_dict() == spec.to_dict()


def test_import_gift_command_check_writes_nothing(course, tmp_path):
    path = tmp_path / "c.gift"
    path.write_text(
        "$CATEGORY: coldstart/events/easy\n\n"
        "::check-q::Which?\r\n{\r\n// a comment between answers\r\n=A#a\r\n~B#b\r\n~C#c\r\n}\r\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_gift", str(path), "--check", "--lessons", "lambda-limits", stdout=out)
    assert out.getvalue() == "c.gift OK: 1 questions\n"
    assert not Question.objects.filter(slug="check-q").exists()
