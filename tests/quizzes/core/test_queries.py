"""Query counts of the bank's bulk paths stay flat as the bank grows."""

import pytest

from quizzes.bank import SyncCounts, export_files, sync_questions
from quizzes.models import Question
from quizzes.spec import parse_question
from quizzes.variants import variant_for
from tests.quizzes.core.conftest import QUESTIONS, question_data


def specs(n: int):
    types = list(QUESTIONS)
    return [
        parse_question(
            question_data(types[i % len(types)], slug=f"q-{i}", facts=["lambda.memory.max"]),
            where="t",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [1, 25])
def test_sync_unchanged_questions_is_a_fixed_number_of_queries(
    course, n, django_assert_num_queries
):
    batch = specs(n)
    sync_questions(batch, origin="browser", counts=SyncCounts(), retire_missing=False)
    counts = SyncCounts()
    # savepoint, lessons, facts, questions, their lessons, their facts, release
    with django_assert_num_queries(7):
        sync_questions(batch, origin="browser", counts=counts, retire_missing=True)
    assert (counts.created, counts.updated, counts.deleted) == ({}, {}, {})


@pytest.mark.parametrize("n", [1, 25])
def test_sync_new_questions_is_a_fixed_number_of_queries(course, n, django_assert_num_queries):
    # savepoint, lessons, facts, existing, create, re-read, lesson links, fact links, release
    with django_assert_num_queries(9):
        sync_questions(specs(n), origin="browser", counts=SyncCounts(), retire_missing=False)
    assert Question.objects.filter(origin="browser").count() == n


@pytest.mark.parametrize("n", [1, 25])
def test_export_is_one_query(course, n, django_assert_num_queries):
    sync_questions(specs(n), origin="browser", counts=SyncCounts(), retire_missing=False)
    with django_assert_num_queries(1):
        files = export_files("browser")
    assert len(files["browser.yaml"]) == n


def test_static_variant_needs_no_query(course, django_assert_num_queries):
    question = Question.objects.filter(type="single").first()
    with django_assert_num_queries(0):
        variant = variant_for(question, 11)
    assert variant.slug == question.slug
