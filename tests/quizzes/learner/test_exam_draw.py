"""Drawing an attempt: blueprint counts, stored shuffles that survive reloads."""

import re
from collections import Counter

import pytest

from quizzes import exams
from quizzes.models import AttemptItem, Exam, Question
from quizzes.rendering import inline_html
from quizzes.spec import blueprint_counts as share_by_weight
from quizzes.variants import variant_for


def test_attempt_draws_each_domain_to_the_blueprint(course, learner):
    exam = Exam.objects.get(slug="serverless-associate")
    attempt = exams.start_attempt(user=learner, exam=exam, seed=7)
    items = list(attempt.items.select_related("question"))
    drawn = Counter(item.question.domain for item in items)
    assert dict(drawn) == share_by_weight(exam.blueprint, 65)
    assert dict(drawn) == {
        "limits": 10,
        "endpoints": 8,
        "auth": 10,
        "capacity": 9,
        "events": 11,
        "lambda-config": 9,
        "data-modelling": 8,
    }
    assert [i.position for i in items] == list(range(1, 66))
    assert len({i.question_id for i in items}) == 65
    assert all(i.question.is_active for i in items)
    assert attempt.deadline - attempt.started_at == exams.timedelta(minutes=130)
    assert (attempt.pass_mark, attempt.pass_fraction, attempt.question_count) == (720, 0.72, 65)


def test_attempts_are_shuffled_per_attempt_and_reproducible_by_seed(course, learner):
    exam = Exam.objects.get(slug="serverless-associate")
    first = exams.start_attempt(user=learner, exam=exam, seed=1)
    second = exams.start_attempt(user=learner, exam=exam, seed=2)
    again = exams.start_attempt(user=learner, exam=exam, seed=1)

    def order(attempt):
        return list(attempt.items.order_by("position").values_list("question_id", flat=True))

    assert order(first) != order(second)
    assert order(first) == order(again)


def test_option_order_is_stored_per_item_and_matches_every_rebuild(course, learner):
    attempt = exams.start_attempt(user=learner, exam=Exam.objects.get(slug="serverless-associate"))
    items = list(attempt.items.select_related("question"))
    with_choices = [i for i in items if i.choice_order]
    assert with_choices, "a 65-question draw from the bank has questions with options"
    for item in items:
        variant = variant_for(item.question, item.seed)
        assert variant.display_order() == item.choice_order


def test_question_page_shows_the_same_shuffle_on_every_reload(course, learner, lena_client):
    Question.objects.exclude(type="single").update(is_active=False)
    attempt = exams.start_attempt(user=learner, exam=Exam.objects.get(slug="mini-exam"))
    item = AttemptItem.objects.select_related("question").get(attempt=attempt, position=3)
    authored = [o["text"] for o in item.question.spec["options"]]
    stored = [inline_html(authored[i]) for i in item.choice_order["options"]]

    def shown() -> list[str]:
        page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/q/3/").content.decode()
        return re.findall(r'<span class="choice-text">(.*?)</span>', page)

    assert shown() == stored
    assert shown() == stored


def test_a_bank_too_small_for_the_exam_is_refused_with_a_reason(course, learner, make_exam):
    exam = make_exam(questions=500, blueprint={"limits": 1})
    with pytest.raises(exams.ExamError, match=r"only \d+ active questions .* it needs 500"):
        exams.start_attempt(user=learner, exam=exam)
    assert not exam.attempts.exists()
