"""Attempts keep the question as it was drawn: editing a question in the browser or
re-importing its file afterwards never changes a past attempt's page, score or review, while
a new attempt gets the new version."""

import re
import shutil

import pytest
import yaml

from courses.importer import import_content
from quizzes import authoring, exams, practice, variants
from quizzes.models import AttemptItem, Exam, Question

from .conftest import autosave, single

OLD, NEW = "first wording", "second wording"


def worded(slug: str, wording: str, *, right: int) -> dict:
    """single() with every text marked by `wording`, so a page shows which version it got."""
    data = single(slug, right=right)
    data["stem"] = f"Scenario {slug} in its {wording}: which option fits?"
    for i, option in enumerate(data["options"]):
        option["text"] = f"{slug} option {i} ({wording})"
        option["explanation"] = f"{slug} reason {i} ({wording})"
    data["explanation"] = f"{slug} overall ({wording})"
    return data


def shown_options(page: str, slug: str) -> list[str]:
    """The option texts of `slug` in the order the page shows them."""
    found = []
    for i in range(4):
        for wording in (OLD, NEW):
            text = f"{slug} option {i} ({wording})"
            if text in page:
                found.append((page.index(text), text))
    return [text for _, text in sorted(found)]


def page_text(client, url: str) -> str:
    """A page without its CSRF tokens, which differ on every request."""
    html = client.get(url).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def answer_all_right(client, attempt) -> None:
    for item in attempt.items.order_by("position"):
        response = autosave(client, attempt, item.position, answer=item.variant().expected())
        assert response.status_code == 200, response.content


def rewrite(slug: str) -> dict:
    """The new version: new texts, and the right option moved from 0 to 3."""
    return worded(slug, NEW, right=3)


@pytest.fixture
def exam_of_two(make_exam):
    return make_exam(questions=2, blueprint={"limits": 1}, slug="snapshots")


def test_a_browser_edit_changes_no_open_or_closed_attempt(
    only_questions, exam_of_two, learner, instructor, lena_client
):
    questions = only_questions(worded("snap-a", OLD, right=0), worded("snap-b", OLD, right=0))
    attempt = exams.start_attempt(user=learner, exam=exam_of_two)
    answer_all_right(lena_client, attempt)
    before = {
        item.position: lena_client.get(
            f"/quizzes/attempts/{attempt.pk}/q/{item.position}/"
        ).content.decode()
        for item in attempt.items.all()
    }
    for question in questions:
        authoring.save_browser_question(
            data=rewrite(question.slug), user=instructor, question=question
        )
    assert Question.objects.get(slug="snap-a").spec["options"][3]["correct"] is True

    # The open attempt still shows the old texts in the same order.
    for item in attempt.items.select_related("question"):
        page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/{item.position}/")
        html = page.content.decode()
        assert NEW not in html
        slug = item.question.slug
        assert shown_options(html, slug) == shown_options(before[item.position], slug)
        assert len(shown_options(html, slug)) == 4

    # Graded against the version answered: both right, as when they were given.
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.scaled_score, attempt.passed) == (2, 1000, True)
    review = lena_client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert "snap-a reason 0 (first wording)" in review
    assert "snap-a overall (first wording)" in review
    assert NEW not in review

    # A new attempt gets the new version.
    fresh = exams.start_attempt(user=learner, exam=exam_of_two)
    item = fresh.items.first()
    html = lena_client.get(f"/quizzes/attempts/{fresh.pk}/q/{item.position}/").content.decode()
    assert "(second wording)" in html
    assert OLD not in html
    assert item.variant().spec.options[3].correct is True


@pytest.fixture
def file_content(tmp_path, settings):
    """A copy of the real content/ whose quizzes folder holds two questions and one exam."""
    settings.COLDSTART_CONTENT_EXTENSIONS = ["quizzes.content.QuizContent"]
    root = tmp_path / "content"
    root.mkdir()
    for name in ("course.yaml", "facts.yaml"):
        shutil.copy(settings.CONTENT_DIR / name, root / name)
    (root / "notes").symlink_to(settings.CONTENT_DIR / "notes")
    (root / "quizzes").mkdir()
    (root / "quizzes" / "exams.yaml").write_text(
        "exams:\n  - {slug: file-exam, title: File exam, questions: 2, blueprint: {limits: 1}}\n"
    )

    def write(wording: str, right: int) -> None:
        data = {"questions": [worded(s, wording, right=right) for s in ("file-a", "file-b")]}
        (root / "quizzes" / "snap.yaml").write_text(yaml.safe_dump(data, sort_keys=False))

    write(OLD, 0)
    return root, write


def test_a_reimport_changes_no_past_attempt_or_practice_answer(
    course, file_content, learner, lena_client
):
    root, write = file_content
    import_content(root)
    exam = Exam.objects.get(slug="file-exam")
    attempt = exams.start_attempt(user=learner, exam=exam)
    answer_all_right(lena_client, attempt)
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    drawn = practice.draw_question(user=learner, scope=practice.Scope(domains=("limits",)))
    right = drawn.variant().expected()
    practice.submit_answer(practice=drawn, answer=right)
    review_before = page_text(lena_client, f"/quizzes/attempts/{attempt.pk}/result/")
    practice_before = page_text(lena_client, drawn.get_absolute_url())
    assert "file-a reason 0 (first wording)" in review_before

    write(NEW, 3)
    result = import_content(root)
    assert result.updated["questions"] == 2
    assert Question.objects.get(slug="file-a").spec["options"][0]["correct"] is False

    attempt.refresh_from_db()
    assert (attempt.correct_count, attempt.scaled_score) == (2, 1000)
    assert page_text(lena_client, f"/quizzes/attempts/{attempt.pk}/result/") == review_before
    drawn.refresh_from_db()
    assert practice.feedback(practice=drawn).correct is True
    assert page_text(lena_client, drawn.get_absolute_url()) == practice_before

    fresh = exams.start_attempt(user=learner, exam=exam)
    assert all(NEW in item.spec["stem"] for item in fresh.items.all())


def test_a_pending_practice_question_keeps_the_version_drawn(
    only_questions, learner, instructor, lena_client
):
    (question,) = only_questions(worded("snap-p", OLD, right=0))
    drawn = practice.draw_question(user=learner, scope=practice.Scope(domains=("limits",)))
    right = drawn.variant().expected()
    authoring.save_browser_question(data=rewrite("snap-p"), user=instructor, question=question)
    page = lena_client.get(drawn.get_absolute_url()).content.decode()
    assert OLD in page
    assert NEW not in page
    response = lena_client.post(drawn.get_absolute_url(), {"answer": right})
    assert response.status_code == 302
    drawn.refresh_from_db()
    assert drawn.correct is True
    feedback = lena_client.get(drawn.get_absolute_url()).content.decode()
    assert "snap-p reason 0 (first wording)" in feedback


def test_a_change_to_the_shuffle_code_does_not_reorder_a_drawn_question(
    only_questions, exam_of_two, learner, lena_client, monkeypatch
):
    only_questions(worded("snap-a", OLD, right=0), worded("snap-b", OLD, right=0))
    attempt = exams.start_attempt(user=learner, exam=exam_of_two)
    item = attempt.items.select_related("question").get(position=1)
    url = f"/quizzes/attempts/{attempt.pk}/q/1/"
    before = shown_options(lena_client.get(url).content.decode(), item.question.slug)

    def other_shuffle(rng, n, *, avoid_identity=False):
        return list(reversed(item.choice_order["options"])) if n == 4 else list(range(n))

    monkeypatch.setattr(variants, "_shuffled", other_shuffle)
    rebuilt_now = variants.variant_for(item.question, item.seed)
    assert rebuilt_now.display_order() != item.choice_order  # the new code would differ
    assert shown_options(lena_client.get(url).content.decode(), item.question.slug) == before


def test_a_stored_order_that_does_not_fit_the_snapshot_is_refused(
    only_questions, exam_of_two, learner
):
    only_questions(worded("snap-a", OLD, right=0), worded("snap-b", OLD, right=0))
    attempt = exams.start_attempt(user=learner, exam=exam_of_two)
    item = attempt.items.get(position=1)
    AttemptItem.objects.filter(pk=item.pk).update(choice_order={"options": [0, 1, 1, 2]})
    item.refresh_from_db()
    with pytest.raises(variants.VariantError, match=r"stored options order \[0, 1, 1, 2\]"):
        item.variant()
