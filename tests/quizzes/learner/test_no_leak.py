"""No page or JSON response of an open attempt or an unanswered practice question reveals
any part of the key: explanations, which option is right, the expected answer."""

import json
import re

import pytest
from django.utils.html import escape

from quizzes import exams
from quizzes.models import PracticeAnswer, Question
from quizzes.spec import DOMAINS
from quizzes.variants import Variant, variant_for

from .conftest import autosave

# Numbers every exam page carries (token, clock, URLs with ids, version, the question
# navigator and "Question 3 of 160") that could equal a short numeric answer by chance.
NOISE = re.compile(
    r'name="csrfmiddlewaretoken" value="[^"]*"|data-remaining="\d+"|\d+ min<|"/quizzes/[^"]*"'
    r'|name="version" value="\d+"|<nav class="exam-nav".*?</nav>|Question \d+ of \d+'
    r'|"(remaining_seconds|remaining_minutes|version|position)": \d+|"deadline": "[^"]*"',
    re.S,
)
QUESTION_PARTS = r'<div class="question".*?(?=<label class="flag">|<button)|<p class="error".*?</p>'
# Words that would give away grading, unless the question's own text uses them.
MARKERS = ["correct", "explanation", "is-right", "is-wrong", "right answer", "Why"]


def forbidden(variant: Variant) -> list[str]:
    """Strings of the key that the learner must not see while the question is open. Text
    the learner legitimately sees (stem, option texts) is never forbidden."""
    key = variant.key()
    visible = json.dumps(variant.public(), ensure_ascii=False)
    found = [key["explanation"], key["expected_display"]]
    for group in ("options", "pairs", "items", "mistakes"):
        found += [entry["explanation"] for entry in key.get(group, [])]
    if variant.type == "numeric":
        found += [str(key["answer"]), f"{key['answer']:,}"]
    found += [m for m in MARKERS if m.lower() not in visible.lower()]
    return [text for text in {f for f in found if f} if text not in visible]


def assert_no_key(text: str, variants: list[Variant], where: str, *, numbers: bool = True) -> None:
    """`numbers=False` for pages about many questions (home, review), which show positions
    and counts but no question content: there only texts are checked."""
    # The page's own content; the head and footer are the same on every page.
    main = re.search(r"<main.*</main>", text, re.S)
    text = NOISE.sub("", main.group(0) if main else text)
    for variant in variants:
        for secret in forbidden(variant):
            if secret.replace(",", "").replace(".", "").isdigit():
                if not numbers:
                    continue
                # A bare number like 1 also appears in markup (value="1"), so numbers are
                # looked for where question content and messages are shown.
                is_json = not text.lstrip().startswith("<")
                shown = text if is_json else " ".join(re.findall(QUESTION_PARTS, text, re.S))
                pattern = rf"(?<![\d.,]){re.escape(secret)}(?![\d])"
                assert not re.search(pattern, shown), f"{where} shows {secret!r} ({variant.slug})"
            else:
                assert secret not in text and escape(secret) not in text, (
                    f"{where} shows {secret!r} ({variant.slug})"
                )


def learner_answer(variant: Variant):
    """An answer a learner might give: the right one where choosing it shows nothing but the
    learner's own choice, a number that is not the key for numeric questions."""
    return "7777" if variant.type == "numeric" else variant.expected()


@pytest.mark.parametrize("answered", [False, True])
def test_open_attempt_pages_and_responses_reveal_no_key(course, learner, lena_client, answered):
    # An exam of the whole bank, so every question type and generator is crawled.
    active = Question.objects.filter(is_active=True).count()
    exam = exams.Exam.objects.create(
        slug="everything",
        title="Everything",
        question_count=active,
        minutes=600,
        blueprint=dict.fromkeys(DOMAINS, 1),
    )
    attempt = exams.start_attempt(user=learner, exam=exam)
    items = list(attempt.items.select_related("question").order_by("position"))
    variants = [variant_for(i.question, i.seed) for i in items]
    assert {v.type for v in variants} == {"single", "multiple", "numeric", "matching", "ordering"}
    assert any(v.generator for v in variants)
    base = f"/quizzes/attempts/{attempt.pk}"

    if answered:
        for item, variant in zip(items, variants, strict=True):
            response = autosave(
                lena_client, attempt, item.position, answer=learner_answer(variant), version=0
            )
            assert response.status_code == 200, response.content
            assert_no_key(response.content.decode(), [variant], f"autosave {item.position}")
            flagged = autosave(lena_client, attempt, item.position, flagged=True)
            assert_no_key(flagged.content.decode(), [variant], f"flag {item.position}")
        stale = autosave(lena_client, attempt, 1, answer="zz", version=0)
        assert stale.status_code == 409
        assert_no_key(stale.content.decode(), variants[:1], "stale autosave")

    pages = {
        "home": "/quizzes/",
        "review": f"{base}/review/",
        "submit": f"{base}/submit/",
        "clock": f"{base}/clock/",
    }
    for name, url in pages.items():
        response = lena_client.get(url)
        assert response.status_code == 200, name
        assert_no_key(response.content.decode(), variants, name, numbers=False)
    assert lena_client.get(f"{base}/result/").status_code == 302
    assert lena_client.get(f"{base}/").status_code == 302
    for item, variant in zip(items, variants, strict=True):
        page = lena_client.get(f"{base}/q/{item.position}/")
        assert page.status_code == 200
        assert_no_key(page.content.decode(), [variant], f"question {item.position}")
        if answered:
            # A stale form post renders the page again with an error: still no key.
            stale = lena_client.post(
                f"{base}/q/{item.position}/", {"answer": "", "version": "0", "go": "stay"}
            )
            assert_no_key(stale.content.decode(), [variant], f"stale post {item.position}")


def test_unanswered_practice_questions_reveal_no_key(course, learner, lena_client):
    by_type: dict[str, Question] = {}
    for question in Question.objects.filter(is_active=True).order_by("slug"):
        by_type.setdefault(question.type, question)
    assert set(by_type) == {"single", "multiple", "numeric", "matching", "ordering", "generated"}
    for question in by_type.values():
        variant = variant_for(question, 12345)
        item = PracticeAnswer.objects.create(
            user=learner,
            question=question,
            seed=12345,
            spec=variant.spec.to_dict(),
            choice_order=variant.display_order(),
            scope={"domains": [question.domain]},
        )
        page = lena_client.get(f"/quizzes/practice/{item.pk}/")
        assert page.status_code == 200
        assert_no_key(page.content.decode(), [variant], f"practice {question.slug}")
        # An unreadable answer is refused with a reason, and still shows no key.
        refused = lena_client.post(f"/quizzes/practice/{item.pk}/", {"answer": "zz", "rank-a": "x"})
        assert refused.status_code == 400
        assert_no_key(refused.content.decode(), [variant], f"refused {question.slug}")
        item.delete()


def test_the_detector_finds_the_key_once_the_attempt_is_closed(course, learner, lena_client):
    """The crawl's check is real: on the result page every question's key shows."""
    attempt = exams.start_attempt(user=learner, exam=exams.Exam.objects.get(slug="mini-exam"))
    items = list(attempt.items.select_related("question"))
    lena_client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    page = lena_client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    for item in items:
        variant = item.variant()
        with pytest.raises(AssertionError, match="result shows"):
            assert_no_key(page, [variant], "result")
    json_leak = json.dumps({"saved": True, "expected": 1, "version": 1})
    with pytest.raises(AssertionError, match=r"json shows '1'"):
        assert_no_key(json_leak, [NumericKeyOfOne()], "json")


class NumericKeyOfOne:
    """The smallest Variant-like object with a numeric key, for the detector's own test."""

    type = "numeric"
    slug = "fake"

    def key(self):
        return {"explanation": "", "expected_display": "1", "answer": 1}

    def public(self):
        return {"type": "numeric", "stem": "How many?", "unit": ""}
