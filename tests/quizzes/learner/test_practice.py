"""Practice: drawing, instant feedback, spaced repetition, reproducible generated variants."""

from django.utils.html import escape

from quizzes import practice
from quizzes.models import PracticeAnswer, PracticeCard, Question
from quizzes.rendering import inline_html, markdown_html
from quizzes.variants import variant_for

from .conftest import single

LIMITS = practice.Scope(domains=("limits",))


def test_practice_page_then_feedback_with_every_explanation_and_lesson_link(
    only_questions, learner, lena_client
):
    (question,) = only_questions(single("prac-one", lesson="lambda-limits", right=2))
    start = lena_client.get("/quizzes/practice/?lesson=lambda-limits").content.decode()
    assert 'name="lesson" value="lambda-limits"' in start
    drawn = lena_client.post("/quizzes/practice/next/", {"lesson": "lambda-limits"})
    item = PracticeAnswer.objects.get(user=learner)
    assert drawn["Location"] == f"/quizzes/practice/{item.pk}/"
    assert (item.question, item.scope, item.answered_at) == (
        question,
        {"lesson": "lambda-limits"},
        None,
    )

    variant = variant_for(question, item.seed)
    wrong = next(c["key"] for c in variant.public()["choices"] if c["key"] != variant.expected())
    answered = lena_client.post(f"/quizzes/practice/{item.pk}/", {"answer": wrong})
    assert answered["Location"] == f"/quizzes/practice/{item.pk}/"
    page = lena_client.get(f"/quizzes/practice/{item.pk}/").content.decode()

    assert '<p class="verdict">Incorrect.</p>' in page
    assert (
        f"<strong>Correct answer:</strong> {variant.expected().upper()}. prac-one option 2" in page
    )
    for i in range(4):
        assert f"prac-one reason {i}" in page
    assert "prac-one overall explanation" in page
    assert 'Read again: <a href="/lessons/lambda-limits/">Lambda limits</a>' in page
    assert "Next question" in page
    item.refresh_from_db()
    assert (item.answer, item.correct) == (wrong, False)
    card = PracticeCard.objects.get(user=learner, question=question)
    assert (card.box, card.due_step, card.times_seen, card.times_correct) == (1, 3, 1, 0)


def test_an_empty_or_unreadable_answer_is_not_recorded(only_questions, learner, lena_client):
    only_questions(
        {
            "slug": "prac-num",
            "type": "numeric",
            "domain": "capacity",
            "difficulty": "medium",
            "stem": "How many RCUs?",
            "lessons": ["dynamodb-capacity"],
            "answer": 40,
            "unit": "RCU",
            "explanation": "Forty reads of one unit each.",
        }
    )
    item = practice.draw_question(user=learner, scope=practice.Scope(domains=("capacity",)))
    empty = lena_client.post(f"/quizzes/practice/{item.pk}/", {"answer": ""})
    assert empty.status_code == 400
    assert "Choose or type an answer first." in empty.content.decode()
    bad = lena_client.post(f"/quizzes/practice/{item.pk}/", {"answer": "forty"})
    assert bad.status_code == 400
    assert (
        escape("Your answer could not be graded: 'forty' is not a number.") in bad.content.decode()
    )
    assert "Forty reads" not in bad.content.decode()
    item.refresh_from_db()
    assert item.answered_at is None and not PracticeCard.objects.exists()
    good = lena_client.post(f"/quizzes/practice/{item.pk}/", {"answer": "40 RCU"})
    assert good.status_code == 302
    item.refresh_from_db()
    assert (item.answer, item.correct) == ("40 RCU", True)


def answer(user, *, right: bool) -> Question:
    item = practice.draw_question(user=user, scope=LIMITS)
    variant = variant_for(item.question, item.seed)
    key = (
        variant.expected()
        if right
        else next(c["key"] for c in variant.public()["choices"] if c["key"] != variant.expected())
    )
    result = practice.submit_answer(practice=item, answer=key)
    assert result.correct is right
    return item.question


def test_missed_questions_come_back_sooner_than_known_ones(only_questions, learner):
    only_questions(*(single(f"leit-{n}") for n in range(5)))
    a = answer(learner, right=False)  # step 1: box 1, due at step 3
    b = answer(learner, right=True)  # step 2: box 2, due at step 7
    c = answer(learner, right=True)  # step 3: box 2, due at step 8
    assert len({a, b, c}) == 3
    assert answer(learner, right=True) == a  # due at step 3: back after two others
    d = answer(learner, right=True)  # unseen questions before any card not yet due
    e = answer(learner, right=True)
    assert len({a, b, c, d, e}) == 5
    # Nothing is due at step 6: the card due soonest (b, at 7) comes next.
    assert answer(learner, right=True) == b
    cards = {card.question: card for card in PracticeCard.objects.filter(user=learner)}
    assert (cards[a].box, cards[a].due_step, cards[a].times_seen) == (2, 9, 2)
    assert (cards[b].box, cards[b].due_step) == (3, 7 + 11)


def test_a_question_is_not_repeated_straight_away(only_questions, learner):
    only_questions(single("rep-0"), single("rep-1"))
    first = answer(learner, right=False)
    assert answer(learner, right=True) != first


def test_the_pending_question_is_kept_for_the_same_scope_and_replaced_for_another(
    only_questions, learner
):
    only_questions(single("pend-0"), single("pend-1", domain="auth"))
    first = practice.draw_question(user=learner, scope=LIMITS)
    assert practice.draw_question(user=learner, scope=LIMITS) == first  # reload, double click
    other = practice.draw_question(user=learner, scope=practice.Scope(domains=("auth",)))
    assert other != first and other.question.slug == "pend-1"
    assert list(PracticeAnswer.objects.filter(user=learner)) == [other]


def test_generated_questions_get_a_fresh_seed_and_review_rebuilds_the_same_variant(
    course, learner, lena_client
):
    generated = Question.objects.filter(type="generated", is_active=True).first()
    Question.objects.exclude(pk=generated.pk).update(is_active=False)
    scope = practice.Scope(domains=(generated.domain,))
    seen = []
    for _ in range(3):
        item = practice.draw_question(user=learner, scope=scope)
        variant = variant_for(generated, item.seed)
        practice.submit_answer(practice=item, answer=variant.expected())
        seen.append(item)
    assert len({item.seed for item in seen}) == 3
    for item in seen:
        page = lena_client.get(f"/quizzes/practice/{item.pk}/").content.decode()
        variant = variant_for(generated, item.seed)
        assert '<p class="verdict">Correct.</p>' in page
        assert markdown_html(variant.stem) in page
        for option in variant.key()["options"]:
            assert inline_html(option["explanation"]) in page


def test_unknown_scope_is_refused_with_a_reason(course, lena_client):
    response = lena_client.post("/quizzes/practice/next/", {"domain": "cooking"}, follow=True)
    assert escape("Unknown domain 'cooking': pick from the list.") in response.content.decode()
    assert lena_client.get("/quizzes/practice/?lesson=nope").status_code == 404


def test_a_lesson_without_questions_says_so_on_its_practice_page(only_questions, lena_client):
    only_questions(single("only-limits", lesson="lambda-limits"))
    response = lena_client.post("/quizzes/practice/next/", {"lesson": "lambda-pricing"})
    assert response["Location"] == "/quizzes/practice/?lesson=lambda-pricing"
    page = lena_client.get(response["Location"]).content.decode()
    assert "There are no questions for lesson “Lambda pricing and the free tier” yet." in page
    assert 'name="lesson" value="lambda-pricing"' in page
