"""Submitting: payload validation, the rate limit, who sees what, the gradebook and CSV."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from labs import services
from labs.models import Submission
from labs.services import RateLimited, SubmissionRefused

from .conftest import lab_files

STARTER = lab_files("starter")


def submit(user, lab, files=None, kind="submit") -> Submission:
    return services.create_submission(user=user, lab=lab, files=files or STARTER, kind=kind)


@pytest.mark.parametrize(
    ("files", "kind", "field", "message"),
    [
        ({}, "submit", "files", "no files: submit at least provision.py"),
        ([], "submit", "files", "must be an object mapping file names to their text"),
        (
            {"../etc/passwd": "x"},
            "submit",
            "files",
            "'../etc/passwd' may not contain empty, '.' or '..' parts",
        ),
        (
            {"/abs.py": "x"},
            "run",
            "files",
            "'/abs.py' must be a relative path with forward slashes, like lib/util.py",
        ),
        ({"a.py": 3}, "submit", "files[a.py]", "the content must be text"),
        (
            {"big.py": "x" * (200 * 1024 + 1)},
            "submit",
            "files[big.py]",
            "is 200 KB; the limit is 200 KB",
        ),
        (
            {f"f{i}.py": "" for i in range(21)},
            "submit",
            "files",
            "21 files; at most 20 are allowed",
        ),
        (
            {"lib": "x", "lib/util.py": "y"},
            "submit",
            "files",
            "'lib' is both a file and the folder of 'lib/util.py'",
        ),
        (STARTER, "grade", "kind", "kind must be 'run' or 'submit', not 'grade'"),
    ],
)
def test_bad_payloads_are_refused_and_nothing_is_stored(
    queue_lab, learner, files, kind, field, message
):
    with pytest.raises(SubmissionRefused) as caught:
        services.create_submission(user=learner, lab=queue_lab, files=files, kind=kind)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert Submission.objects.count() == 0


def test_a_stored_submission_is_queued_after_commit(
    queue_lab, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        submission = submit(learner, queue_lab, kind="run")
    assert len(callbacks) == 1
    submission.refresh_from_db()
    assert (submission.status, submission.kind, submission.files, submission.attempts) == (
        "queued",
        "run",
        STARTER,
        0,
    )


def test_rate_limit_counts_recent_submissions_and_says_when(queue_lab, learner, other_learner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(services.RATE_LIMIT):
            submit(learner, queue_lab)
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        with pytest.raises(RateLimited) as caught:
            submit(learner, queue_lab, kind="run")
        # Another learner is not affected.
        submit(other_learner, queue_lab)
    assert caught.value.retry_after == 40
    assert caught.value.message == "You can submit again in 40 seconds (at most 6 a minute)."
    assert Submission.objects.filter(user=learner).count() == services.RATE_LIMIT
    with time_machine.travel(start + timedelta(seconds=60, milliseconds=1), tick=False):
        submit(learner, queue_lab)
    assert Submission.objects.filter(user=learner).count() == services.RATE_LIMIT + 1


def test_retired_lab_takes_no_submissions(queue_lab, learner):
    queue_lab.is_active = False
    queue_lab.save(update_fields=["is_active"])
    with pytest.raises(SubmissionRefused) as caught:
        submit(learner, queue_lab)
    assert caught.value.message == "this lab has been retired and takes no submissions"


def test_grade_submission_leaves_a_finished_submission_alone(queue_lab, learner):
    submission = Submission.objects.create(
        user=learner,
        lab=queue_lab,
        kind="submit",
        files=STARTER,
        status="graded",
        score=Decimal("1"),
        max_score=Decimal("3"),
        result={"score": 1},
    )
    assert services.grade_submission(submission_id=submission.pk) is None
    submission.refresh_from_db()
    assert (submission.status, submission.score, submission.attempts) == (
        "graded",
        Decimal("1.00"),
        0,
    )


# --- who sees what ------------------------------------------------------------------------


def test_another_learners_submission_is_404_everywhere(client, queue_lab, learner, other_learner):
    mine = submit(learner, queue_lab)
    client.force_login(other_learner)
    assert client.get(reverse("labs:submission", args=[mine.pk])).status_code == 404
    assert client.get(reverse("labs:submission_status", args=[mine.pk])).status_code == 404
    assert client.get(queue_lab.get_absolute_url() + f"?from={mine.pk}").status_code == 404
    client.force_login(learner)
    page = client.get(reverse("labs:submission", args=[mine.pk])).content.decode()
    assert f"Submit #{mine.pk}" in page


@pytest.mark.parametrize("name", ["labs:gradebook", "labs:gradebook_csv"])
def test_learners_get_403_on_instructor_pages(client, queue_lab, learner, name):
    client.force_login(learner)
    assert client.get(reverse(name, args=[queue_lab.slug])).status_code == 403
    assert client.post(reverse("labs:regrade", args=[queue_lab.slug])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, queue_lab):
    url = queue_lab.get_absolute_url()
    response = client.get(url)
    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={url}")


# --- JSON API -----------------------------------------------------------------------------


def post_json(client, lab, body, content_type="application/json"):
    return client.post(
        reverse("labs:api_submit", args=[lab.slug]), data=body, content_type=content_type
    )


@pytest.mark.parametrize(
    ("body", "content_type", "error", "field"),
    [
        (
            "{not json",
            "application/json",
            "the body is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
            "body",
        ),
        (
            "[1, 2]",
            "application/json",
            'the body must be a JSON object: {"kind": ..., "files": ...}',
            "body",
        ),
        ('{"kind": "submit"}', "application/json", "the field 'files' is missing", "files"),
        (
            '{"kind": "submit", "files": {}, "score": 10}',
            "application/json",
            "unknown field 'score'; send kind and files",
            "score",
        ),
        (
            '{"kind": 1, "files": {}}',
            "application/json",
            "kind must be the text 'run' or 'submit'",
            "kind",
        ),
        (
            '{"kind": "submit", "files": {"a b.py": ""}}',
            "application/json",
            "'a b.py': use letters, digits, '_', '-' and '.' only, not starting with '.' or '-'",
            "files",
        ),
        (
            "kind=submit",
            "application/x-www-form-urlencoded",
            "send the body as application/json",
            "body",
        ),
    ],
)
def test_bad_json_payloads_get_400_with_a_clear_message(
    client, queue_lab, learner, body, content_type, error, field
):
    client.force_login(learner)
    response = post_json(client, queue_lab, body, content_type)
    assert response.status_code == 400
    assert response.json() == {"error": error, "field": field}
    assert Submission.objects.count() == 0


def test_json_submit_answers_202_with_status_url(client, queue_lab, learner):
    client.force_login(learner)
    response = post_json(client, queue_lab, json.dumps({"kind": "run", "files": STARTER}))
    submission = Submission.objects.get()
    assert response.status_code == 202
    assert response.json() == {
        "id": submission.pk,
        "kind": "run",
        "status": "queued",
        "status_label": "Queued",
        "finished": False,
        "score": None,
        "max_score": None,
        "url": f"/labs/submissions/{submission.pk}/",
        "status_url": f"/labs/submissions/{submission.pk}/status/",
        "html": "",
    }


def test_json_rate_limit_is_429_with_retry_after(client, queue_lab, learner):
    client.force_login(learner)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(services.RATE_LIMIT):
            post_json(client, queue_lab, json.dumps({"kind": "submit", "files": STARTER}))
        response = post_json(client, queue_lab, json.dumps({"kind": "submit", "files": STARTER}))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "error": "You can submit again in 60 seconds (at most 6 a minute).",
        "field": "rate",
    }


# --- the form without JavaScript -----------------------------------------------------------


def test_form_post_redirects_to_the_submission_page(client, queue_lab, learner):
    client.force_login(learner)
    response = client.post(
        reverse("labs:submit", args=[queue_lab.slug]),
        {"kind": "submit", "filename": ["provision.py", ""], "content": ["print(1)\r\n", ""]},
    )
    submission = Submission.objects.get()
    assert response.url == f"/labs/submissions/{submission.pk}/"
    assert submission.files == {"provision.py": "print(1)\n"}
    page = client.get(response.url).content.decode()
    assert '<span class="status-pill status-queued" data-testid="status">Queued</span>' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


def test_refused_form_post_shows_the_code_again(client, queue_lab, learner):
    client.force_login(learner)
    response = client.post(
        reverse("labs:submit", args=[queue_lab.slug]),
        {
            "kind": "submit",
            "filename": ["provision.py", "provision.py"],
            "content": ["a = 1", "b = 2"],
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "two files are named &#x27;provision.py&#x27;; rename one" in page
    assert "a = 1</textarea>" in page and "b = 2</textarea>" in page
    assert Submission.objects.count() == 0


# --- pages and query counts -------------------------------------------------------------


def test_lab_list_shows_lessons_and_my_best_score(client, queue_lab, learner, other_learner):
    for user, score in ((learner, "1"), (learner, "3"), (other_learner, "2")):
        Submission.objects.create(
            user=user,
            lab=queue_lab,
            kind="submit",
            files=STARTER,
            status="graded",
            score=Decimal(score),
            max_score=Decimal("3"),
        )
    client.force_login(learner)
    page = client.get(reverse("labs:list")).content.decode()
    assert "Queue with a long visibility timeout" in page
    assert '<span class="badge done" data-testid="best-score">Best: 3 / 3</span>' in page
    assert '<a href="/lessons/sqs/">' in page


def _graded(user, lab, n):
    for i in range(n):
        Submission.objects.create(
            user=user,
            lab=lab,
            kind="submit",
            files=STARTER,
            status="graded",
            score=Decimal(i % 4),
            max_score=Decimal("3"),
            result={"checks": []},
        )


@pytest.mark.parametrize("count", [1, 5])
def test_lab_list_query_count_is_constant(
    client, course, queue_lab, learner, count, django_assert_num_queries
):
    _graded(learner, queue_lab, count)
    client.force_login(learner)
    # session, user, labs with best scores, lessons (prefetch), 2 x permissions (instructor link)
    with django_assert_num_queries(6):
        assert client.get(reverse("labs:list")).status_code == 200


@pytest.mark.parametrize("count", [1, 5])
def test_lab_page_query_count_is_constant(
    client, queue_lab, learner, count, django_assert_num_queries
):
    _graded(learner, queue_lab, count)
    client.force_login(learner)
    # session, user, lab, latest files for the editor, lessons, history, 2 x permissions
    with django_assert_num_queries(8):
        page = client.get(queue_lab.get_absolute_url()).content.decode()
    assert page.count('<td><span class="status-pill status-graded">Graded</span></td>') == count


def test_lab_page_opens_the_latest_code_or_the_starter(client, queue_lab, learner):
    client.force_login(learner)
    assert (
        "# TODO: set the visibility timeout."
        in client.get(queue_lab.get_absolute_url()).content.decode()
    )
    first = submit(learner, queue_lab, files={"provision.py": "print('mine')\n"})
    submit(learner, queue_lab, files={"provision.py": "print('latest')\n"})
    assert "print(&#x27;latest&#x27;)" in client.get(queue_lab.get_absolute_url()).content.decode()
    older = client.get(queue_lab.get_absolute_url() + f"?from={first.pk}").content.decode()
    assert "print(&#x27;mine&#x27;)" in older
    starter = client.get(queue_lab.get_absolute_url() + "?starter=1").content.decode()
    assert "# TODO: set the visibility timeout." in starter


# --- gradebook ----------------------------------------------------------------------------


@pytest.fixture
def gradebook_rows(queue_lab, learner, other_learner):
    """lena: 1, 3, then 2 (latest); omar: one ungradable; runs never count."""
    base = timezone.now() - timedelta(hours=1)
    rows = [
        (learner, "submit", "graded", "1"),
        (learner, "submit", "graded", "3"),
        (learner, "run", "graded", None),
        (learner, "submit", "graded", "2"),
        (other_learner, "submit", "ungradable", None),
    ]
    for i, (user, kind, status, score) in enumerate(rows):
        s = Submission.objects.create(
            user=user,
            lab=queue_lab,
            kind=kind,
            files=STARTER,
            status=status,
            score=Decimal(score) if score else None,
            max_score=Decimal("3") if score else None,
        )
        Submission.objects.filter(pk=s.pk).update(created=base + timedelta(minutes=i))
    return base


def test_gradebook_best_and_latest_per_learner(
    queue_lab, gradebook_rows, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = services.gradebook(lab=queue_lab)
    assert [
        (r.username, r.best_score, r.latest_score, r.max_score, r.submissions) for r in rows
    ] == [
        ("lena", Decimal("3.00"), Decimal("2.00"), Decimal("3.00"), 3),
        ("omar", None, None, None, 1),
    ]
    assert rows[0].last_submitted == gradebook_rows + timedelta(minutes=3)


def test_gradebook_page_and_csv(client, queue_lab, gradebook_rows, instructor):
    client.force_login(instructor)
    page = client.get(reverse("labs:gradebook", args=[queue_lab.slug])).content.decode()
    assert (
        "<tr><td>lena</td>\n      <td>3</td>\n      <td>2</td>\n      <td>3</td>\n      <td>3</td>"
        in page
    )
    response = client.get(reverse("labs:gradebook_csv", args=[queue_lab.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="gradebook-queue-timeout.csv"'
    first = (gradebook_rows + timedelta(minutes=3)).isoformat(timespec="seconds")
    last = (gradebook_rows + timedelta(minutes=4)).isoformat(timespec="seconds")
    assert response.content.decode() == (
        "learner,best_score,latest_score,max_score,submissions,last_submitted\n"
        f"lena,3,2,3,3,{first}\n"
        f"omar,,,,1,{last}\n"
    )


def test_csv_cells_never_start_a_formula(queue_lab, instructor):
    from labs.services import _cell

    values = ("=SUM(A1)", "+1", "-2", "@x", "lena", None, Decimal("2.50"), Decimal("3.00"))
    assert [_cell(v) for v in values] == ["'=SUM(A1)", "'+1", "'-2", "'@x", "lena", "", "2.5", "3"]


def test_regrade_requeues_finished_submits_after_commit(
    client, queue_lab, gradebook_rows, instructor, django_capture_on_commit_callbacks
):
    client.force_login(instructor)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("labs:regrade", args=[queue_lab.slug]), follow=True)
    assert len(callbacks) == 4  # lena's three submits and omar's ungradable one; not the run
    assert "4 submissions queued for re-grading." in response.content.decode()
    assert sorted(Submission.objects.values_list("kind", "status")) == [
        ("run", "graded"),
        ("submit", "queued"),
        ("submit", "queued"),
        ("submit", "queued"),
        ("submit", "queued"),
    ]
    # Old scores stay in the gradebook until the new ones land.
    assert services.gradebook(lab=queue_lab)[0].best_score == Decimal("3.00")


def test_status_endpoint_follows_queued_running_finished(client, queue_lab, learner):
    submission = submit(learner, queue_lab)
    client.force_login(learner)
    url = reverse("labs:submission_status", args=[submission.pk])
    states = []
    data = client.get(url).json()
    states.append((data["status"], data["status_label"], data["finished"], data["html"]))
    assert services.claim_submission(submission_id=submission.pk, worker="w1@test")
    data = client.get(url).json()
    states.append((data["status"], data["status_label"], data["finished"], data["html"]))
    assert states == [("queued", "Queued", False, ""), ("running", "Running", False, "")]


def test_a_retired_lab_keeps_its_history_and_gradebook(client, queue_lab, learner, instructor):
    submission = submit(learner, queue_lab)
    queue_lab.is_active = False
    queue_lab.save(update_fields=["is_active"])
    client.force_login(learner)
    assert client.get(queue_lab.get_absolute_url()).status_code == 404
    assert "Queue with a long visibility timeout" not in client.get("/labs/").content.decode()
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "Queue with a long visibility timeout (retired)" in page
    client.force_login(instructor)
    gradebook = client.get(reverse("labs:gradebook", args=[queue_lab.slug])).content.decode()
    assert "it takes no new submissions" in gradebook
    assert "<tr><td>lena</td>" in gradebook


def test_lab_page_ignores_a_from_parameter_that_is_no_id(client, queue_lab, learner):
    client.force_login(learner)
    response = client.get(queue_lab.get_absolute_url() + "?from=" + "9" * 40)
    assert response.status_code == 200
    assert "# TODO: set the visibility timeout." in response.content.decode()


def test_regrade_queues_finished_submits_only_and_starts_a_new_round(queue_lab, learner):
    graded, waiting, running, run = (submit(learner, queue_lab) for _ in range(4))
    Submission.objects.filter(pk=graded.pk).update(status="graded", score=1, attempts=1)
    assert services.claim_submission(submission_id=running.pk)
    Submission.objects.filter(pk=run.pk).update(kind="run", status="graded")
    # Waiting and running rows are the sweeper's business (test_sweeper.py), not a re-grade's.
    assert services.regrade_lab(lab=queue_lab) == 1
    rows = Submission.objects.values_list("pk", "status", "round", "attempts")
    assert set(rows) == {
        (graded.pk, "queued", 2, 0),
        (waiting.pk, "queued", 1, 0),
        (running.pk, "running", 1, 1),
        (run.pk, "graded", 1, 0),
    }


@pytest.mark.parametrize("learners", [1, 4])
def test_gradebook_page_query_count_is_constant(
    client, queue_lab, instructor, learners, django_assert_num_queries
):
    from accounts.roles import LEARNER
    from accounts.services import create_user_with_role

    for i in range(learners):
        user = create_user_with_role(username=f"l{i}", password="learner-pass-000", role=LEARNER)
        _graded(user, queue_lab, 2)
    client.force_login(instructor)
    # session, user, 2 x permissions (user's, groups'), lab, gradebook rows
    with django_assert_num_queries(6):
        page = client.get(reverse("labs:gradebook", args=[queue_lab.slug])).content.decode()
    assert page.count("<tr><td>l") == learners
